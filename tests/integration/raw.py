"""Talking to the ledger below the typed client: calldata encoded from the ABI with every
``string`` sent as raw ``bytes`` (so invalid UTF-8 reaches the contract), transactions signed
and sent one per block, logs decoded with strings kept as the exact bytes the log carries, and
EIP-712 digests hashed over those raw bytes.

Nothing here uses the project's decoder, hint computation or signing helpers: the pipeline
test checks those against this independent reading of the same ABI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi.abi import decode, encode
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3

from chain._revert import decode_revert, revert_data
from chain.artifacts import ledger_abi, load_artifact

GAS = 3_000_000
"""Every transaction's gas limit (more than any operation needs; no estimation round trip)."""


class Text(bytes):
    """The raw bytes of an ABI ``string`` (as opposed to ``bytes32`` or ``bytes``)."""


def _type(entry: Mapping[str, Any], *, raw: bool) -> str:
    kind = str(entry["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_type(c, raw=raw) for c in entry["components"])
        return f"({inner}){kind[len('tuple') :]}"
    if raw and kind.startswith("string"):
        return "bytes" + kind[len("string") :]
    return kind


@dataclass(frozen=True)
class Function:
    name: str
    selector: bytes
    raw_types: tuple[str, ...]


@cache
def function(name: str) -> Function:
    """The ledger function ``name`` (every name the tests send is unique in the ABI)."""
    entries = [e for e in ledger_abi() if e.get("type") == "function" and e["name"] == name]
    assert len(entries) == 1, f"{name}: {len(entries)} ABI entries"
    inputs = entries[0]["inputs"]
    signature = f"{name}({','.join(_type(i, raw=False) for i in inputs)})"
    return Function(name, keccak(text=signature)[:4], tuple(_type(i, raw=True) for i in inputs))


def calldata(name: str, args: Sequence[Any]) -> bytes:
    """``name(args)`` encoded with strings given (and sent) as bytes."""
    fn = function(name)
    return fn.selector + encode(list(fn.raw_types), list(args))


@cache
def token_function(name: str) -> Function:
    """The pool token (``PoolToken``, a pool's ERC-20) function ``name``."""
    entries = [
        e
        for e in load_artifact("PoolToken").abi
        if e.get("type") == "function" and e["name"] == name
    ]
    assert len(entries) == 1, f"{name}: {len(entries)} ABI entries"
    inputs = entries[0]["inputs"]
    signature = f"{name}({','.join(_type(i, raw=False) for i in inputs)})"
    return Function(name, keccak(text=signature)[:4], tuple(_type(i, raw=True) for i in inputs))


def token_calldata(name: str, args: Sequence[Any]) -> bytes:
    """``name(args)`` of a pool's ERC-20."""
    fn = token_function(name)
    return fn.selector + encode(list(fn.raw_types), list(args))


@dataclass(frozen=True)
class _Field:
    name: str
    entry: Mapping[str, Any]


@dataclass(frozen=True)
class EventType:
    name: str
    indexed: tuple[_Field, ...]
    data: tuple[_Field, ...]


@cache
def event_types() -> dict[bytes, EventType]:
    """The audited events (``ICarbonLedgerEvents``) by topic0; the ledger also emits
    OpenZeppelin's own events (``RoleGranted``, ...), which are no part of the trail."""
    out: dict[bytes, EventType] = {}
    for e in load_artifact("ICarbonLedgerEvents").abi:
        if e.get("type") != "event":
            continue
        signature = f"{e['name']}({','.join(_type(i, raw=False) for i in e['inputs'])})"
        out[keccak(text=signature)] = EventType(
            str(e["name"]),
            tuple(_Field(i["name"], i) for i in e["inputs"] if i["indexed"]),
            tuple(_Field(i["name"], i) for i in e["inputs"] if not i["indexed"]),
        )
    return out


def _value(entry: Mapping[str, Any], value: Any) -> Any:
    """A decoded value in plain form: strings as ``Text``, tuples as dicts, addresses lower."""
    kind = str(entry["type"])
    if kind == "tuple":
        return {c["name"]: _value(c, v) for c, v in zip(entry["components"], value, strict=True)}
    if kind == "string":
        return Text(value)
    if kind == "address":
        return str(value).lower()
    return value


@dataclass(frozen=True)
class RawEvent:
    """One log of the ledger, as the node gave it, with its fields decoded independently."""

    name: str
    seq: int
    block_number: int
    block_hash: str
    tx_hash: str
    tx_index: int
    log_index: int
    topics: tuple[bytes, ...]
    data: bytes
    fields: dict[str, Any]


def decode_receipt(receipt: Mapping[str, Any], address: str) -> list[RawEvent]:
    """The ledger's audited events in a receipt, in log order."""
    out = []
    for log in receipt["logs"]:
        topics = tuple(bytes(t) for t in log["topics"])
        if log["address"].lower() != address.lower() or topics[0] not in event_types():
            continue
        spec = event_types()[topics[0]]
        fields: dict[str, Any] = {}
        for f, topic in zip(spec.indexed, topics[1:], strict=True):
            (value,) = decode([_type(f.entry, raw=True)], topic)
            fields[f.name] = _value(f.entry, value)
        data = bytes(log["data"])
        values = decode([_type(f.entry, raw=True) for f in spec.data], data)
        for f, value in zip(spec.data, values, strict=True):
            fields[f.name] = _value(f.entry, value)
        out.append(
            RawEvent(
                name=spec.name,
                seq=int(fields["seq"]),
                block_number=int(log["blockNumber"]),
                block_hash="0x" + bytes(log["blockHash"]).hex(),
                tx_hash="0x" + bytes(log["transactionHash"]).hex(),
                tx_index=int(log["transactionIndex"]),
                log_index=int(log["logIndex"]),
                topics=topics,
                data=data,
                fields=fields,
            )
        )
    return out


@dataclass(frozen=True)
class Outcome:
    """What a sent transaction did: its events if accepted, else the contract's error name."""

    events: list[RawEvent]
    error: str | None
    block_number: int

    @property
    def accepted(self) -> bool:
        return self.error is None


class RawSender:
    """Signs and sends calldata to the ledger from any of the chain's accounts, one transaction
    per block (the embedded chain mines each on arrival), keeping each account's nonce."""

    def __init__(self, w3: Web3, address: str, accounts: Sequence[LocalAccount]) -> None:
        self.w3 = w3
        self.address = Web3.to_checksum_address(address)
        self.accounts = {a.address.lower(): a for a in accounts}
        self.chain_id = w3.eth.chain_id
        self._nonces: dict[str, int] = {}

    def reset(self) -> None:
        """Forget the nonces (after the chain was reverted to a snapshot)."""
        self._nonces.clear()

    def send(self, sender: str, data: bytes, to: str | None = None) -> Outcome:
        """Send ``data`` to the ledger (or to ``to``, a pool's token, which calls the
        ledger: its audited events are the ledger's logs all the same)."""
        account = self.accounts[sender.lower()]
        target = self.address if to is None else Web3.to_checksum_address(to)
        nonce = self._nonces.get(account.address)
        if nonce is None:
            nonce = self.w3.eth.get_transaction_count(account.address)
        tx = {
            "to": target,
            "data": data,
            "gas": GAS,
            "nonce": nonce,
            "chainId": self.chain_id,
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 0,
        }
        signed = account.sign_transaction(tx)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        self._nonces[account.address] = nonce + 1  # a reverted transaction spends its nonce too
        # Mined on arrival (eth-tester, anvil's automine), but anvil may answer a moment later.
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.01)
        block = int(receipt["blockNumber"])
        if receipt["status"] == 1:
            return Outcome(decode_receipt(receipt, self.address), None, block)
        return Outcome([], self._reason(account.address, data, block, target), block)

    def _reason(self, sender: str, data: bytes, block: int, target: str) -> str:
        """The refusal's error name, replayed as a call on the state before its block (each
        transaction has a block of its own, so the replay is exact)."""
        try:
            self.w3.eth.call({"from": sender, "to": target, "data": data, "gas": GAS}, block - 1)
        except Exception as exc:
            raw = revert_data(exc)
            error = decode_revert(raw, ledger_abi()) if raw else None
            if error is not None:
                return error.error_name
            if not raw:
                return "revert without data"  # e.g. an enum argument out of range
            return f"revert 0x{raw[:4].hex()}"
        return "reverted (the replay succeeded)"


# ---------------------------------------------------------------- EIP-712 over raw bytes

_DOMAIN_TYPE = keccak(
    text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
BRIDGE_TYPEHASH = keccak(
    text="Bridge(uint16 programId,bytes32 projectKey,string namespace,uint64 firstSerial,"
    "uint64 lastSerial,address recipient,uint32 vintageStart,uint32 vintageEnd,uint16 labels,"
    "bytes32 metadataHash,string registryReference,uint256 nonce,uint256 deadline)"
)
RETIRE_TYPEHASH = keccak(
    text="Retire(address holder,uint64 batchId,uint64 firstSerial,uint64 lastSerial,"
    "string beneficiary,uint8 purpose,string jurisdiction,uint32 consumptionStart,"
    "uint32 consumptionEnd,string note,uint256 nonce,uint256 deadline)"
)


def domain_separator(chain_id: int, contract: str) -> bytes:
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [_DOMAIN_TYPE, keccak(b"CarbonLedger"), keccak(b"1"), chain_id, contract],
        )
    )


def bridge_struct_hash(issuance: Sequence[Any], nonce: int, deadline: int) -> bytes:
    """``issuance`` as the ABI tuple the call sends (namespace and reference as bytes)."""
    program, key, namespace, first, last, recipient, start, end, labels, meta, reference = issuance
    types = ["bytes32", "uint16", "bytes32", "bytes32", "uint64", "uint64", "address", "uint32"]
    types += ["uint32", "uint16", "bytes32", "bytes32", "uint256", "uint256"]
    values = [BRIDGE_TYPEHASH, program, key, keccak(namespace), first, last, recipient, start]
    values += [end, labels, meta, keccak(reference), nonce, deadline]
    return keccak(encode(types, values))


def retire_struct_hash(request: Sequence[Any], holder: str, nonce: int, deadline: int) -> bytes:
    batch, first, last, beneficiary, purpose, jurisdiction, c_start, c_end, note = request
    types = ["bytes32", "address", "uint64", "uint64", "uint64", "bytes32", "uint8", "bytes32"]
    types += ["uint32", "uint32", "bytes32", "uint256", "uint256"]
    values = [RETIRE_TYPEHASH, holder, batch, first, last, keccak(beneficiary), purpose % 256]
    values += [keccak(jurisdiction), c_start, c_end, keccak(note), nonce, deadline]
    return keccak(encode(types, values))


def sign_digest(account: LocalAccount, separator: bytes, struct_hash: bytes) -> bytes:
    """The 65-byte signature of the EIP-712 digest ``0x1901 ‖ separator ‖ struct_hash``."""
    signed = account.unsafe_sign_hash(keccak(b"\x19\x01" + separator + struct_hash))
    return bytes(signed.signature)
