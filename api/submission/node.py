"""The node as the submission pipeline sees it: a few JSON-RPC calls, batched where it counts.

Over HTTP (anvil, a consortium node) requests are raw JSON-RPC through the web3 provider
(``chain.transactions.rpc.JsonRpc``), which keeps a session per thread: web3's result formatters
would cost more than the work. Raw transactions go out as one JSON-RPC batch per round. The in-process eth-tester chain takes no
raw JSON-RPC and is not thread-safe, so there every call goes through web3 under one lock.
Results come back in one shape either way: ints, lowercase ``0x`` hex strings, receipts as
dicts whose logs ``chain.events.decode_logs`` reads.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionNotFound
from web3.types import RPCEndpoint, TxParams

from chain._revert import as_chain_error, decode_revert
from chain.artifacts import ledger_abi
from chain.errors import NodeError, TransactionError, node_error
from chain.events import LedgerEvent, decode_logs, event_specs, hex_string, quantity, topic0
from chain.transactions._replay import replayed_revert
from chain.transactions.rpc import JsonRpc


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    block_number: int
    status: int
    gas_used: int
    logs: list[dict[str, Any]]

    def events(self) -> list[LedgerEvent]:
        """Every ledger event, decoded (costly for a bridging's whole issuance: prefer
        ``topics`` where the indexed fields say enough)."""
        return decode_logs(self.logs)

    def topics(self, event: str) -> list[list[bytes]]:
        """The raw topics of each ``event`` log (audited events: selector, seq, two fields)."""
        wanted = topic0(event)
        found = []
        for log in self.logs:
            raw = [bytes.fromhex(hex_string(t)[2:]) for t in log["topics"]]
            if raw and raw[0] == wanted:
                found.append(raw)
        return found

    def ledger_seq(self) -> int | None:
        """The highest audit seq among the transaction's ledger events (topic 1 of each)."""
        audited = audited_topics()
        seqs = [
            int(hex_string(log["topics"][1]), 16)
            for log in self.logs
            if len(log["topics"]) == 4
            and bytes.fromhex(hex_string(log["topics"][0])[2:]) in audited
        ]
        return max(seqs) if seqs else None


@lru_cache(maxsize=1)
def audited_topics() -> frozenset[bytes]:
    return frozenset(event_specs("ICarbonLedgerEvents"))


def _receipt(raw: Any) -> Receipt:
    return Receipt(
        tx_hash=hex_string(raw["transactionHash"]),
        block_number=quantity(raw["blockNumber"]),
        status=quantity(raw["status"]),
        gas_used=quantity(raw["gasUsed"]),
        logs=[dict(log) for log in raw["logs"]],
    )


class Node:
    """Thread-safe access to one node for the pipeline (see the module docstring)."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self.rpc = JsonRpc.of(w3)
        self.raw = self.rpc is not None
        self._lock = threading.RLock() if self.raw else _serialise(w3)
        self.abi = ledger_abi()
        self._chain_id: int | None = None
        self._block_receipts = self.raw  # eth_getBlockReceipts, until the node says otherwise

    # ------------------------------------------------------------ plumbing

    def request(self, method: str, params: Sequence[Any]) -> Any:
        if self.rpc is None:
            raise NodeError(f"{method} needs a JSON-RPC node")
        return self.rpc.request(method, params)

    # ------------------------------------------------------------ chain state

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            with self._lock:
                self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def block_number(self) -> int:
        if self.raw:
            return quantity(self.request("eth_blockNumber", []))
        with self._lock:
            return int(self.w3.eth.block_number)

    def latest(self) -> tuple[int, int, int]:
        """(number, timestamp, base fee) of the latest block."""
        if self.raw:
            block = self.request("eth_getBlockByNumber", ["latest", False])
        else:
            with self._lock:
                block = self.w3.eth.get_block("latest")
        return (
            quantity(block["number"]),
            quantity(block["timestamp"]),
            quantity(block.get("baseFeePerGas") or 0),
        )

    def block_transactions(self, number: int) -> list[str] | None:
        """Hashes of the transactions in block ``number`` (``None`` if it does not exist yet)."""
        if self.raw:
            block = self.request("eth_getBlockByNumber", [hex(number), False])
        else:
            with self._lock:
                try:
                    block = self.w3.eth.get_block(number)
                except Exception:
                    return None
        if block is None:
            return None
        return [hex_string(h) for h in block["transactions"]]

    def block_receipts(self, number: int, hashes: Sequence[str]) -> list[Receipt]:
        """Receipts of ``hashes``, all mined in block ``number``."""
        if self._block_receipts:
            try:
                raws = self.request("eth_getBlockReceipts", [hex(number)])
            except NodeError:
                self._block_receipts = False
            else:
                wanted = set(hashes)
                return [_receipt(r) for r in raws if hex_string(r["transactionHash"]) in wanted]
        found = [self.receipt(h) for h in hashes]
        return [r for r in found if r is not None]

    def receipt(self, tx_hash: str) -> Receipt | None:
        if self.raw:
            raw = self.request("eth_getTransactionReceipt", [tx_hash])
            return None if raw is None else _receipt(raw)
        with self._lock:
            try:
                return _receipt(self.w3.eth.get_transaction_receipt(HexBytes(tx_hash)))
            except TransactionNotFound:
                return None

    def known(self, tx_hash: str) -> bool:
        """Whether the node has the transaction (pending or mined)."""
        if self.raw:
            return self.request("eth_getTransactionByHash", [tx_hash]) is not None
        with self._lock:
            try:
                self.w3.eth.get_transaction(HexBytes(tx_hash))
            except TransactionNotFound:
                return False
            return True

    def nonce(self, address: str, tag: str = "pending") -> int:
        if self.raw:
            return quantity(self.request("eth_getTransactionCount", [address, tag]))
        with self._lock:
            return int(
                self.w3.eth.get_transaction_count(Web3.to_checksum_address(address), tag)  # type: ignore[arg-type]
            )

    def balance(self, address: str) -> int:
        if self.raw:
            return quantity(self.request("eth_getBalance", [address, "latest"]))
        with self._lock:
            return int(self.w3.eth.get_balance(Web3.to_checksum_address(address)))

    def has_code(self, address: str) -> bool:
        """Whether ``address`` is a contract (an ERC-1271 signer, say)."""
        if self.raw:
            return len(self.request("eth_getCode", [address, "latest"])) > 2
        with self._lock:
            return len(self.w3.eth.get_code(Web3.to_checksum_address(address))) > 0

    # ------------------------------------------------------------ calls

    def call(self, to: str, data: bytes, sender: str | None = None) -> bytes:
        """``eth_call`` at the latest block; a revert raises the decoded contract error."""
        tx: dict[str, Any] = {"to": to, "data": "0x" + data.hex()}
        if sender:
            tx["from"] = sender
        if self.raw:
            try:
                return bytes.fromhex(self.request("eth_call", [tx, "latest"])[2:])
            except NodeError as exc:
                raise as_chain_error(exc, self.abi) from exc
        params = self._params(tx)
        with self._lock:
            try:
                return bytes(self.w3.eth.call(params))
            except Exception as exc:
                raise as_chain_error(exc, self.abi) from exc

    def estimate_gas(self, sender: str, to: str, data: bytes, value: int = 0) -> int:
        """Gas the call needs now; a revert raises the decoded contract error."""
        tx = {"from": sender, "to": to, "data": "0x" + data.hex(), "value": hex(value)}
        if self.raw:
            try:
                return quantity(self.request("eth_estimateGas", [tx]))
            except NodeError as exc:
                raise self._revert_of(exc, tx) from exc
        params = self._params(tx)
        with self._lock:
            try:
                return int(self.w3.eth.estimate_gas(params))
            except Exception as exc:
                raise self._revert_of(exc, tx) from exc

    def _revert_of(self, exc: Exception, tx: dict[str, Any]) -> TransactionError:
        error = as_chain_error(exc, self.abi)
        if error.__class__ is not TransactionError:
            return error
        # Some providers (eth-tester) lose the payload when estimating; a call keeps it.
        try:
            self.call(tx["to"], bytes.fromhex(tx["data"][2:]), tx["from"])
        except TransactionError as replayed:
            return replayed
        return error

    @staticmethod
    def _params(tx: dict[str, Any]) -> TxParams:
        params: dict[str, Any] = {
            "to": Web3.to_checksum_address(tx["to"]),
            "data": tx["data"],
        }
        if tx.get("from"):
            params["from"] = Web3.to_checksum_address(tx["from"])
        if tx.get("value"):
            params["value"] = int(tx["value"], 16)
        return params  # type: ignore[return-value]

    # ------------------------------------------------------------ sending

    def send_raw(self, raws: Sequence[bytes]) -> list[str | NodeError]:
        """Broadcast, in order; each answer is the transaction hash or why it was refused."""
        if self.rpc is not None:
            answers = self.rpc.batch([("eth_sendRawTransaction", ["0x" + r.hex()]) for r in raws])
            return [a if isinstance(a, NodeError) else hex_string(a) for a in answers]
        out: list[str | NodeError] = []
        with self._lock:
            for raw in raws:
                try:
                    out.append(hex_string(self.w3.eth.send_raw_transaction(raw)))
                except Exception as exc:
                    out.append(node_error("eth_sendRawTransaction", str(exc)))
        return out

    def revert_reason(
        self, receipt: Receipt, sender: str, to: str, data: bytes
    ) -> TransactionError:
        """Why a mined transaction reverted: the node's trace when it has one (exact), else the
        same call replayed on the previous block, then on its own (which an earlier transaction
        of the same block may have changed; the message says so when it cannot tell)."""
        output = self.rpc.traced_output(receipt.tx_hash) if self.rpc is not None else None
        if output is not None:
            decoded = decode_revert(output, self.abi, tx_hash=receipt.tx_hash)
            if decoded is not None:
                return decoded
        tx: dict[str, Any] = {"from": sender, "to": to, "data": "0x" + data.hex()}
        # On the parent block's state, then the block's own, as TxSender replays.
        replayed = replayed_revert(lambda block: self._call_at(tx, block), receipt.block_number)
        decoded = decode_revert(replayed, self.abi, tx_hash=receipt.tx_hash) if replayed else None
        if decoded is not None:
            return decoded
        return TransactionError(
            f"transaction {receipt.tx_hash} reverted (no trace; replaying it found no reason)",
            tx_hash=receipt.tx_hash,
        )

    def _call_at(self, tx: dict[str, Any], block: int) -> object:
        """``eth_call`` of ``tx`` on block ``block``'s state; a revert raises as the node says."""
        if self.raw:
            return self.request("eth_call", [tx, hex(block)])
        with self._lock:
            return self.w3.eth.call(self._params(tx), block)


def _serialise(w3: Web3) -> threading.RLock:
    """Put every request through an in-process provider (eth-tester) behind one lock, whoever
    makes it: py-evm is not thread-safe, and the pipeline's threads share the chain with
    whatever else holds this ``Web3``. Returns the lock (one per provider)."""
    provider: Any = w3.provider
    lock: threading.RLock | None = getattr(provider, "_carbon_ledger_lock", None)
    if lock is None:
        lock = threading.RLock()
        unlocked = provider.make_request

        def make_request(method: RPCEndpoint, params: Any) -> Any:
            with lock:
                return unlocked(method, params)

        provider.make_request = make_request
        provider._carbon_ledger_lock = lock
        # web3.py caches, on the provider, the middleware chain it built around the
        # ``make_request`` of the time: calls through ``w3.eth`` would go on bypassing the lock.
        provider._request_func_cache = (None, None)
    return lock
