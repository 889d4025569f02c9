"""Executing an import plan: transactions in a fixed order, pipelined, grouped by multicall.

Rows are taken in chunks (``chunk_rows``, in file order). Within a chunk the actions go in three
phases, each phase's transactions sent back to back (consecutive nonces) and then awaited:
project registrations, bridgings, then mirrored retirements and cancellations (which need the
new batch ids). In a phase, each programme's actions are packed ``group_size`` at a time into
one ``multicall`` transaction with an explicit gas limit from :class:`GasTable` (no estimation:
it would double the EVM work and cannot see the state earlier pipelined transactions create).

The order depends only on the plan, and a group is atomic, so a run killed at any moment has
applied a prefix of these transactions; planning again from the new state yields exactly the
rest, grouped the same way. A group the ledger refuses is retried one action at a time, with
hints read afresh from the chain, so each refused action is reported with its own reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hexbytes import HexBytes
from web3 import Web3
from web3.types import TxReceipt

from chain import _hints
from chain.client import LedgerClient
from chain.domain import namespace_id, part_key
from chain.errors import TransactionError
from chain.events import decode_logs
from chain.importer.plan import BridgeOp, CancelOp, Op, ProjectOp, RetireOp, RowPlan
from chain.transactions import FeePolicy, TxSender


@dataclass(frozen=True)
class GasTable:
    """Explicit gas limits: a base per action plus a margin per byte of its strings (calldata,
    event data and hashing grow with them). Measured costs are well below (docs/IMPORT.md)."""

    project: int = 200_000
    bridge: int = 260_000
    retire: int = 220_000
    cancel: int = 180_000
    per_byte: int = 120
    multicall: int = 30_000

    def of(self, op: Op) -> int:
        if isinstance(op, ProjectOp):
            return self.project + self.per_byte * _size(*op.project.as_abi())
        if isinstance(op, BridgeOp):
            i = op.issuance
            return self.bridge + self.per_byte * _size(i.namespace, i.registry_reference)
        if isinstance(op, RetireOp):
            r = op.request
            return self.retire + self.per_byte * _size(r.beneficiary, r.jurisdiction, r.note)
        return self.cancel + self.per_byte * _size(op.reason)


def _size(*texts: str) -> int:
    return sum(len(t.encode("utf-8")) for t in texts)


class ImportFees(FeePolicy):
    """A fixed fee cap for the whole run (100 gwei, or twice the base fee if that is higher;
    0 on a chain without a base fee, where gas is free), so that a transaction's bytes depend
    only on the plan: a re-run after a crash sends exactly what an uninterrupted run would have
    sent next."""

    def __init__(self, w3: Web3, floor: int = 100 * 10**9) -> None:
        super().__init__()
        base = int(w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
        self.cap = max(floor, 2 * base) if base > 0 else 0

    def fees(self, w3: Web3) -> dict[str, int]:
        return {"maxFeePerGas": self.cap, "maxPriorityFeePerGas": 0}


@dataclass
class RunResult:
    """What the executor did: real ids of planned batches, refused rows, transactions, gas."""

    batch_ids: dict[int, int] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)
    row_txs: dict[int, list[str]] = field(default_factory=dict)
    transactions: int = 0
    gas: dict[str, int] = field(default_factory=dict)

    def fail(self, plan: RowPlan, reason: str) -> None:
        self.failures.setdefault(plan.index, reason)

    def resolve(self, batch: int) -> int | None:
        return batch if batch > 0 else self.batch_ids.get(batch)


Entry = tuple[RowPlan, Op]
Progress = Callable[[int, int, int], None]
_PHASES: tuple[tuple[type, ...], ...] = ((ProjectOp,), (BridgeOp,), (RetireOp, CancelOp))


class Executor:
    """Runs plans as the programmes' issuers (``senders``: programme code → issuer sender)."""

    def __init__(
        self,
        ledger: LedgerClient,
        senders: dict[str, TxSender],
        *,
        gas: GasTable | None = None,
        group_size: int = 25,
        chunk_rows: int = 25,
        progress: Progress | None = None,
    ) -> None:
        self.ledger = ledger
        self.senders = senders
        self.gas = gas or GasTable()
        self.group_size = max(1, group_size)
        self.chunk_rows = max(1, chunk_rows)
        self.progress = progress
        self.parts = _hints.PartIndex(self._parts_page)

    def _parts_page(self, start: int, count: int) -> tuple[list[int], list[int]]:
        keys, parts = self.ledger.contract.functions.partsFrom(start, count).call()
        return [int(k) for k in keys], [int(p[0]) for p in parts]

    def run(self, plans: Sequence[RowPlan]) -> RunResult:
        result = RunResult()
        for start in range(0, len(plans), self.chunk_rows):
            chunk = plans[start : start + self.chunk_rows]
            for kinds in _PHASES:
                self._phase(chunk, kinds, result)
            if self.progress is not None:
                self.progress(
                    min(start + self.chunk_rows, len(plans)), len(plans), result.transactions
                )
        return result

    # ------------------------------------------------------------ one phase

    def _phase(self, chunk: Sequence[RowPlan], kinds: tuple[type, ...], result: RunResult) -> None:
        work: dict[str, list[Entry]] = {}
        for plan in chunk:
            for op in plan.ops:
                if plan.index in result.failures:
                    break
                if not isinstance(op, kinds):
                    continue
                resolved = _resolve(op, result)
                if resolved is None:
                    result.fail(plan, "not done: bridging its block failed (see that row)")
                    break
                work.setdefault(op.program, []).append((plan, resolved))
        sent: list[tuple[str, list[Entry], HexBytes | TransactionError]] = []
        for program in sorted(work):
            entries = work[program]
            for at in range(0, len(entries), self.group_size):
                group = entries[at : at + self.group_size]
                sent.append((program, group, self._send(program, group)))
        for program, group, outcome in sent:
            self._settle(program, group, outcome, result)

    def _send(self, program: str, group: list[Entry]) -> HexBytes | TransactionError:
        sender = self.senders[program]
        contract = self.ledger.contract
        calls = [self._call(op) for _, op in group]
        gas = sum(self.gas.of(op) for _, op in group)
        try:
            if len(calls) == 1:
                name, args = calls[0]
                return sender.send(getattr(contract.functions, name)(*args), gas=gas)
            data = [contract.encode_abi(name, args=args) for name, args in calls]
            return sender.send(contract.functions.multicall(data), gas=gas + self.gas.multicall)
        except TransactionError as exc:  # eth-tester refuses a reverting transaction at once
            return exc

    def _call(self, op: Op, *, fresh: bool = False) -> tuple[str, list[Any]]:
        if isinstance(op, ProjectOp):
            return "registerProject", [op.program_id, op.project.as_abi()]
        if isinstance(op, BridgeOp):
            i = op.issuance
            key = part_key(namespace_id(i.program_id, i.namespace), i.first_serial)
            hint = self.parts.hint_for(key)
            self.parts.add(key)
            return "bridge", [i.as_abi(), hint]
        start = self.ledger.range_start(op.batch, _first(op)) if fresh else op.range_start
        if isinstance(op, RetireOp):
            return "recordRegistryRetirement", [op.request.as_abi(), start, op.retired_on]
        return "cancel", [
            op.batch,
            Web3.to_checksum_address(op.holder),
            op.first,
            op.last,
            start,
            op.reason,
        ]

    def _settle(
        self,
        program: str,
        group: list[Entry],
        outcome: HexBytes | TransactionError,
        result: RunResult,
    ) -> None:
        if not isinstance(outcome, TransactionError):
            try:
                receipt = self.senders[program].wait(outcome)
            except TransactionError as exc:
                self._count(program, group, outcome, result)
                outcome = exc
            else:
                self._count(program, group, outcome, result, receipt)
                self._learn_batches(group, receipt, result)
                return
        self._one_by_one(program, group, result)

    def _count(
        self,
        program: str,
        group: list[Entry],
        tx_hash: HexBytes,
        result: RunResult,
        receipt: TxReceipt | None = None,
    ) -> None:
        if receipt is None:
            receipt = self.ledger.w3.eth.get_transaction_receipt(tx_hash)
        result.transactions += 1
        result.gas[program] = result.gas.get(program, 0) + int(receipt["gasUsed"])
        shown = "0x" + bytes(tx_hash).hex()
        for index in dict.fromkeys(p.index for p, _ in group):
            result.row_txs.setdefault(index, []).append(shown)

    def _learn_batches(self, group: list[Entry], receipt: TxReceipt, result: RunResult) -> None:
        bridges = [op for _, op in group if isinstance(op, BridgeOp)]
        if not bridges:
            return
        mine = [
            log for log in receipt["logs"] if log["address"].lower() == self.ledger.address.lower()
        ]
        bridged = [e for e in decode_logs(mine) if e.name == "BatchBridged"]
        for op, event in zip(bridges, bridged, strict=True):
            result.batch_ids[op.placeholder] = int(event.fields["batchId"])

    def _one_by_one(self, program: str, group: list[Entry], result: RunResult) -> None:
        """The group was refused: retry each action alone, hints read from the chain."""
        self.parts.refresh()
        sender = self.senders[program]
        for plan, op in group:
            if plan.index in result.failures:
                continue
            resolved = _resolve(op, result)
            if resolved is None:
                result.fail(plan, "not done: bridging its block failed (see that row)")
                continue
            try:
                name, args = self._call(resolved, fresh=True)
                fn = getattr(self.ledger.contract.functions, name)(*args)
                tx_hash = sender.send(fn, gas=self.gas.of(resolved))
                receipt = sender.wait(tx_hash)
            except TransactionError as exc:
                if isinstance(resolved, BridgeOp):
                    self.parts.refresh()
                result.fail(plan, f"the ledger refused it: {exc}")
                continue
            self._count(program, [(plan, resolved)], tx_hash, result, receipt)
            self._learn_batches([(plan, resolved)], receipt, result)


def _first(op: Op) -> int:
    if isinstance(op, RetireOp):
        return op.request.first_serial
    assert isinstance(op, CancelOp)
    return op.first


def _resolve(op: Op, result: RunResult) -> Op | None:
    """``op`` with a planned batch's placeholder replaced by its real id (None: not bridged)."""
    if isinstance(op, RetireOp | CancelOp) and op.batch < 0:
        batch = result.resolve(op.batch)
        if batch is None:
            return None
        if isinstance(op, RetireOp):
            request = dataclasses.replace(op.request, batch_id=batch)
            return dataclasses.replace(op, batch=batch, request=request)
        return dataclasses.replace(op, batch=batch)
    return op
