"""Shared helpers of the contract tests: fast transactions, exact revert assertions, event
expectations and the invariants every test must leave intact (audit chain, conservation).

Transactions are sent with a fixed gas limit (no estimation round trip: ~4x faster on
eth-tester). Refusals are provoked with ``attempt``: an ``eth_call`` on the pending block (the
next block's timestamp, no state change), its revert decoded by ``chain._revert`` exactly as the
client decodes it; ``reverts`` then checks the exception class and its arguments exactly.

Test modules opt in to the after-test invariant check with::

    from tests.contracts._helpers import invariants  # noqa: F401  (autouse fixture)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from eth_abi.abi import decode
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract.contract import ContractFunction

from chain import audit
from chain._revert import as_chain_error
from chain.abi import abi_type
from chain.artifacts import load_artifact
from chain.client import LedgerClient, TxResult
from chain.domain import (
    Batch,
    Issuance,
    Label,
    Project,
    RangeState,
    RetirementRequest,
    namespace_id,
    part_key,
    unpack_date,
)
from chain.errors import ContractError
from chain.events import LedgerEvent, decode_log, decode_logs, event_specs
from tests.conftest import VCS_NAMESPACE, Ledger

AUDITED = frozenset(event_specs("ICarbonLedgerEvents"))
"""topic0 of every audited event (the ones ICarbonLedgerEvents declares)."""

GAS = 3_000_000
"""Gas limit of every transaction sent by these helpers (more than any operation needs)."""

ZERO = "0x" + "00" * 20
PARTS_HEAD = 0
PARTS_END = 2**224 - 1
U64_MAX = 2**64 - 1
MAX_SERIAL = 2**63 - 2  # Limits.MAX_SERIAL: the largest serial the ledger accepts
MAX_QUANTITY = 2**32 - 1
GS_PROJECT = Project("GS11236", "Uganda cookstoves", "UG", "GS TPDDTEC", "Energy efficiency")
ACTORS = ("admin", "issuer", "gs_issuer", "alice", "bob", "carol", "outsider")


# ---------------------------------------------------------------- small conversions


def addr(who: LedgerClient | str) -> str:
    """Lower-case address, as decoded events and errors carry them."""
    return (who.account if isinstance(who, LedgerClient) else who).lower()


def name_of(ledger: Ledger, address: str) -> str:
    """The fixture's name for an address (``"alice"``), or the address itself."""
    for name in ACTORS:
        if getattr(ledger, name).account.lower() == address.lower():
            return name
    return "zero" if address.lower() == ZERO else address.lower()


def timestamp(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> int:
    """UTC unix time of a civil date and time."""
    return int(dt.datetime(year, month, day, hour, minute, sec, tzinfo=dt.UTC).timestamp())


def next_block_timestamp(ledger: Ledger) -> int:
    """Timestamp the next mined transaction will carry: eth-tester fixes the pending block's
    timestamp when it mines the block before (latest + 1, or the wall clock if that is later)."""
    return int(ledger.chain.w3.eth.get_block("pending")["timestamp"])


def ymd(value: dt.date) -> int:
    return value.year * 10000 + value.month * 100 + value.day


def predicted_pool_token(ledger: Ledger, pool_id: int, name: str = "P", symbol: str = "P") -> str:
    """The address {createPool} will give pool ``pool_id``'s token (CREATE2, salt = pool id),
    known before the pool exists: what an attacker could name in advance."""
    init = load_artifact("PoolToken").bytecode
    ctor = ledger.chain.w3.codec.encode(["uint32", "string", "string"], [pool_id, name, symbol])
    code_hash = Web3.keccak(bytes.fromhex(init[2:]) + ctor)
    raw = Web3.keccak(
        b"\xff" + bytes.fromhex(ledger.deployment.address[2:]) + pool_id.to_bytes(32) + code_hash
    )
    return to_checksum("0x" + raw[12:].hex())


def key_of(program_id: int, namespace: str, first: int) -> int:
    """The bridged-part key of ``first`` in a namespace, as the contract computes it."""
    return part_key(namespace_id(program_id, namespace), first)


# ---------------------------------------------------------------- sending and reverting


def send(client: LedgerClient, fn: ContractFunction, *, gas: int = GAS) -> TxResult:
    """Send ``fn`` as ``client`` with a fixed gas limit; its decoded ledger events."""
    assert client.sender is not None
    receipt = client.sender.transact(fn, gas=gas)
    mine = [log for log in receipt["logs"] if log["address"].lower() == client.address.lower()]
    return TxResult(
        tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
        block_number=receipt["blockNumber"],
        gas_used=receipt["gasUsed"],
        events=decode_logs(mine),
    )


def attempt(client: LedgerClient, fn: ContractFunction) -> None:
    """Simulate ``fn`` as ``client`` in the next block; raise the decoded revert if it fails.

    (An ``eth_call`` on the pending block: unlike ``estimate_gas`` on eth-tester, it keeps the
    raw revert bytes even for an error whose only argument is a string.)
    """
    try:
        fn.call({"from": client.account}, "pending")
    except Exception as exc:
        raise as_chain_error(exc, client.abi) from exc


def _norm(value: Any) -> Any:
    """Addresses to lower case, mappings to plain dicts, lists to tuples: comparable values."""
    if isinstance(value, Mapping):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return tuple(_norm(v) for v in value)
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return value.lower()
    return value


@contextmanager
def reverts(error: type[ContractError], **arguments: Any) -> Iterator[Any]:
    """Expect exactly ``error`` (not a subclass or parent) with exactly these arguments."""
    with pytest.raises(error) as info:
        yield info
    assert type(info.value) is error, f"{type(info.value).__name__} is not {error.__name__}"
    assert info.value.error_name == error.__name__
    assert _norm(info.value.arguments) == _norm(arguments)


# ---------------------------------------------------------------- ledger operations


def issuance(
    ledger: Ledger, first: int, last: int, recipient: Any = None, **changes: Any
) -> Issuance:
    """``ledger.issuance`` with any field replaced (``namespace=``, ``labels=``, ...)."""
    to = addr(recipient) if recipient is not None else ledger.alice.account
    return dataclasses.replace(ledger.issuance(first, last, to), **changes)


def find_hint(ledger: Ledger, i: Issuance) -> int:
    """The part immediately below ``i``'s first serial, read through ``findPartHint``."""
    fn = ledger.admin.contract.functions.findPartHint(
        i.program_id, i.namespace, i.first_serial, PARTS_HEAD
    )
    return int(fn.call())


def bridge_fn(client: LedgerClient, i: Issuance, hint: int) -> ContractFunction:
    return client.contract.functions.bridge(i.as_abi(), hint)


def bridge(
    ledger: Ledger, i: Issuance, *, by: LedgerClient | None = None, hint: int | None = None
) -> TxResult:
    """Bridge ``i`` (by the VCS issuer unless ``by``), with the correct hint unless given."""
    client = by or ledger.issuer
    return send(client, bridge_fn(client, i, find_hint(ledger, i) if hint is None else hint))


def bridge_range(
    ledger: Ledger, first: int, last: int, recipient: Any = None, **changes: Any
) -> int:
    """Bridge ``first..last`` to ``recipient`` (alice by default); the new batch id."""
    result = bridge(ledger, issuance(ledger, first, last, recipient, **changes))
    return int(result.event("BatchBridged").fields["batchId"])


def range_start(ledger: Ledger, batch_id: int, serial: int) -> int:
    for first, last, _holder, _state in ranges(ledger, batch_id):
        if first <= serial <= last:
            return first
    raise LookupError(f"serial {serial} is in no range of batch {batch_id}")


def transfer_fn(
    client: LedgerClient, batch_id: int, first: int, last: int, to: Any, start: int
) -> ContractFunction:
    return client.contract.functions.transfer(batch_id, first, last, to_checksum(to), start)


def transfer(
    ledger: Ledger,
    client: LedgerClient,
    batch_id: int,
    first: int,
    last: int,
    to: Any,
    start: int | None = None,
) -> TxResult:
    if start is None:
        start = range_start(ledger, batch_id, first)
    return send(client, transfer_fn(client, batch_id, first, last, to, start))


def retire_fn(client: LedgerClient, request: RetirementRequest, start: int) -> ContractFunction:
    return client.contract.functions.retire(request.as_abi(), start)


def retire(
    ledger: Ledger, client: LedgerClient, request: RetirementRequest, start: int | None = None
) -> TxResult:
    if start is None:
        start = range_start(ledger, request.batch_id, request.first_serial)
    return send(client, retire_fn(client, request, start))


def to_checksum(who: Any) -> ChecksumAddress:
    return Web3.to_checksum_address(addr(who))


# ---------------------------------------------------------------- reading state


def ranges(ledger: Ledger, batch_id: int) -> list[tuple[int, int, str, RangeState]]:
    """Every holding range of a batch as ``(first, last, holder name, state)``, in order.

    Reads ``rangesFrom`` in small pages (cheap on py-evm) and names holders by fixture name.
    """
    fn = ledger.admin.contract.functions
    b = ledger.admin.batch(batch_id)
    out: list[tuple[int, int, str, RangeState]] = []
    start = b.first_serial
    while start <= b.last_serial:
        starts, found = fn.rangesFrom(batch_id, start, 32).call()
        assert starts, f"rangesFrom({batch_id}, {start}) returned nothing"
        for s, (holder, last, state) in zip(starts, found, strict=True):
            out.append((int(s), int(last), name_of(ledger, holder), RangeState(state)))
        start = out[-1][1] + 1
    return out


def batch(ledger: Ledger, batch_id: int) -> Batch:
    return ledger.admin.batch(batch_id)


def parts(ledger: Ledger) -> list[tuple[int, int, int]]:
    """The whole bridged-part list as ``(key, next, batchId)``, head sentinel included."""
    fn = ledger.admin.contract.functions
    out: list[tuple[int, int, int]] = []
    cursor = PARTS_HEAD
    while cursor != PARTS_END:
        keys, found = fn.partsFrom(cursor, 64).call()
        out.extend((int(k), int(p[0]), int(p[1])) for k, p in zip(keys, found, strict=True))
        cursor = out[-1][1]
    return out


# ---------------------------------------------------------------- events


def expect_events(result: TxResult, *expected: tuple[str, Mapping[str, Any]]) -> None:
    """``result`` emitted exactly these audited events (name, every field but ``seq``), with
    consecutive sequence numbers. (OpenZeppelin's own, unaudited events are left aside.)"""
    events = audited(result)
    got = [(e.name, {k: v for k, v in e.fields.items() if k != "seq"}) for e in events]
    assert _norm(got) == _norm([(name, dict(fields)) for name, fields in expected])
    assert_consecutive(events)


def audited(result: TxResult) -> list[LedgerEvent]:
    """The audited events among a transaction's decoded events."""
    return [e for e in result.events if e.topics[0] in AUDITED]


def unaudited_names(result: TxResult) -> list[str]:
    """Names of the other (OpenZeppelin) events the transaction emitted."""
    return [e.name for e in result.events if e.topics[0] not in AUDITED]


def assert_consecutive(events: Sequence[LedgerEvent], after: int | None = None) -> None:
    """Sequence numbers go up by exactly one per event (starting right ``after`` if given)."""
    seqs = [e.seq for e in events]
    first = seqs[0] if after is None and seqs else (after or 0) + 1
    assert seqs == list(range(first, first + len(seqs)))
    for e in events:
        assert e.fields["seq"] == e.seq


def moved(
    batch_id: int,
    frm: Any,
    to: Any,
    first: int,
    last: int,
    state: RangeState,
    actor: Any,
) -> tuple[str, dict[str, Any]]:
    """An expected SerialsMoved event."""
    return (
        "SerialsMoved",
        {
            "batchId": batch_id,
            "from": addr(frm),
            "to": addr(to),
            "firstSerial": first,
            "lastSerial": last,
            "state": int(state),
            "actor": addr(actor),
        },
    )


def issuance_fields(i: Issuance) -> dict[str, Any]:
    """An Issuance as the BatchBridged event decodes it."""
    names = (
        "programId",
        "projectKey",
        "namespace",
        "firstSerial",
        "lastSerial",
        "recipient",
        "vintageStart",
        "vintageEnd",
        "labels",
        "metadataHash",
        "registryReference",
    )
    return dict(zip(names, i.as_abi(), strict=True))


def issuance_abi(i: Issuance, **changes: Any) -> tuple[Any, ...]:
    """``i.as_abi()`` with raw ABI fields replaced (``vintageStart=20201301``, ``labels=16``)."""
    fields = issuance_fields(i)
    unknown = set(changes) - set(fields)
    assert not unknown, unknown
    fields.update(changes)
    return tuple(fields.values())


def retirement_fields(r: RetirementRequest) -> dict[str, Any]:
    """A RetirementRequest as the CreditsRetired event decodes it."""
    names = (
        "batchId",
        "firstSerial",
        "lastSerial",
        "beneficiary",
        "purpose",
        "jurisdiction",
        "consumptionStart",
        "consumptionEnd",
        "note",
    )
    return dict(zip(names, r.as_abi(), strict=True))


# ---------------------------------------------------------------- invariants


def ledger_logs(ledger: Ledger, from_block: int = 0) -> list[Any]:
    return list(
        ledger.chain.w3.eth.get_logs(
            {
                "address": to_checksum(ledger.deployment.address),
                "fromBlock": from_block,
                "toBlock": "latest",
            }
        )
    )


def audited_logs(logs: Sequence[Any]) -> list[Any]:
    return [log for log in logs if log["topics"] and bytes(log["topics"][0]) in AUDITED]


def check_log_matches_abi(ledger: Ledger, log: Any) -> None:
    """An audited log has four topics and web3.py's own ABI decoder reads it as we do."""
    assert len(log["topics"]) == 4
    ours = decode_log(log)
    assert ours is not None
    theirs = getattr(ledger.admin.contract.events, ours.name)().process_log(log)
    assert theirs["event"] == ours.name
    assert _norm(theirs["args"]) == _norm(ours.fields)
    assert int.from_bytes(bytes(log["topics"][1])) == ours.seq


def check_audit_chain(ledger: Ledger, since: audit.AuditState, from_block: int) -> None:
    """The audited logs mined from ``from_block`` on fold ``since`` into the on-chain head."""
    logs = audited_logs(ledger_logs(ledger, from_block))
    for log in logs:
        check_log_matches_abi(ledger, log)
    recomputed = audit.recompute(
        ((tuple(bytes(t) for t in log["topics"]), bytes(log["data"])) for log in logs), since
    )
    assert recomputed == ledger.admin.audit_state()


def view_many(ledger: Ledger, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[tuple[Any, ...]]:
    """Run many views in one ``eth_call`` through the ledger's own ``multicall``; each result
    decoded with the view's ABI outputs."""
    if not calls:
        return []
    contract = ledger.admin.contract
    data = [bytes.fromhex(contract.encode_abi(name, args=list(args))[2:]) for name, args in calls]
    raw = contract.functions.multicall(data).call()
    out = []
    for (name, _args), returned in zip(calls, raw, strict=True):
        entry = next(e for e in ledger.admin.abi if e.get("name") == name)
        out.append(tuple(decode([abi_type(o) for o in entry["outputs"]], returned)))
    return out


def check_conservation(ledger: Ledger) -> None:
    """Per batch: ranges tile exactly the batch's serials; totals per state match the ranges;
    ``balanceOf`` matches each holder's live ranges. (Views batched through multicall.)"""
    count = ledger.admin.batch_count()
    ids = range(1, count + 1)
    batches = [
        Batch(i, *r[0][:-1], unpack_date(r[0][-1]))
        for i, r in zip(ids, view_many(ledger, [("batch", [i]) for i in ids]), strict=True)
    ]
    pending = {b.batch_id: b.first_serial for b in batches}
    found: dict[int, list[tuple[int, int, str, int]]] = {i: [] for i in ids}
    while pending:
        page = view_many(ledger, [("rangesFrom", [i, start, 16]) for i, start in pending.items()])
        for (batch_id, _start), (starts, rs) in zip(list(pending.items()), page, strict=True):
            assert starts, f"batch {batch_id}: no range at {pending[batch_id]}"
            for s, (holder, last, state) in zip(starts, rs, strict=True):
                found[batch_id].append((int(s), int(last), holder.lower(), int(state)))
            end = found[batch_id][-1][1]
            if end >= batches[batch_id - 1].last_serial:
                del pending[batch_id]
            else:
                pending[batch_id] = end + 1
    balance_calls = []
    expected_balances = []
    for b in batches:
        rs = found[b.batch_id]
        assert rs[0][0] == b.first_serial and rs[-1][1] == b.last_serial
        totals = {state: 0 for state in RangeState}
        held: dict[str, int] = {}
        for first, last, holder, state in rs:
            totals[RangeState(state)] += last - first + 1
            if state == RangeState.HELD:
                held[holder] = held.get(holder, 0) + last - first + 1
        assert totals[RangeState.NONE] == 0
        assert totals[RangeState.RETIRED] == b.retired
        assert totals[RangeState.DETOKENISED] == b.detokenised
        assert totals[RangeState.CANCELLED] == b.cancelled
        assert totals[RangeState.HELD] == b.held >= 0
        for holder, quantity in held.items():
            balance_calls.append(("balanceOf", [to_checksum(holder), b.batch_id]))
            expected_balances.append((quantity,))
    assert view_many(ledger, balance_calls) == expected_balances


@pytest.fixture(autouse=True)
def invariants(request: pytest.FixtureRequest, ledger: Ledger) -> Iterator[None]:
    """After each test: the new audited logs match the ABI and fold into ``auditHead``, and
    every batch conserves its serials. Skipped for xfail tests (they show broken states)."""
    w3 = ledger.chain.w3
    from_block = int(w3.eth.block_number) + 1
    since = ledger.admin.audit_state()
    yield
    if request.node.get_closest_marker("xfail") is not None:
        return
    check_audit_chain(ledger, since, from_block)
    check_conservation(ledger)


def labels(*names: str) -> Label:
    out = Label.NONE
    for n in names:
        out |= Label[n]
    return out


VCS_NS = VCS_NAMESPACE
