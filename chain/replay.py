"""Rebuild holdings from the event log alone, checking the ledger's invariants on the way.

This is the auditor's independent model of the contract's state: it applies ``BatchBridged``
and ``SerialsMoved`` events in order, splitting ranges exactly as the contract does, and
reports every violation it meets instead of stopping at the first: a move of serials the
sender did not hold, a range outside its batch, an overlap.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

from chain.domain import RangeState, SerialRange
from chain.events import LedgerEvent

ZERO_ADDRESS = "0x" + "0" * 40


@dataclass(frozen=True)
class Violation:
    block: int
    event: str
    seq: int
    field: str
    message: str


@dataclass
class BatchReplay:
    batch_id: int
    program_id: int
    first_serial: int
    last_serial: int
    ranges: list[SerialRange] = field(default_factory=list)

    @property
    def quantity(self) -> int:
        return self.last_serial - self.first_serial + 1

    def totals(self) -> dict[RangeState, int]:
        out: dict[RangeState, int] = {s: 0 for s in RangeState if s != RangeState.NONE}
        for r in self.ranges:
            out[r.state] += r.quantity
        return out


class HoldingsReplay:
    """Per-batch holding ranges derived from the log; ``violations`` lists what was wrong."""

    def __init__(self) -> None:
        self.batches: dict[int, BatchReplay] = {}
        self.violations: list[Violation] = []

    def apply_all(self, events: Iterable[LedgerEvent]) -> HoldingsReplay:
        for event in events:
            self.apply(event)
        return self

    def apply(self, event: LedgerEvent) -> None:
        if event.name == "BatchBridged":
            issuance = event.fields["issuance"]
            batch_id = int(event.fields["batchId"])
            if batch_id in self.batches:
                self._violate(event, "batchId", f"batch {batch_id} bridged twice")
                return
            self.batches[batch_id] = BatchReplay(
                batch_id,
                int(issuance["programId"]),
                int(issuance["firstSerial"]),
                int(issuance["lastSerial"]),
            )
        elif event.name == "SerialsMoved":
            self._move(event)

    def _violate(self, event: LedgerEvent, name: str, message: str) -> None:
        self.violations.append(Violation(event.block_number, event.name, event.seq, name, message))

    def _move(self, event: LedgerEvent) -> None:
        f = event.fields
        batch_id, first, last = int(f["batchId"]), int(f["firstSerial"]), int(f["lastSerial"])
        sender, to, state = str(f["from"]).lower(), str(f["to"]).lower(), RangeState(f["state"])
        batch = self.batches.get(batch_id)
        if batch is None:
            self._violate(event, "batchId", f"serials moved in unknown batch {batch_id}")
            return
        if not batch.first_serial <= first <= last <= batch.last_serial:
            self._violate(event, "firstSerial", f"{first}..{last} outside batch {batch_id}")
            return
        ranges = batch.ranges
        starts = [r.first for r in ranges]
        lo = bisect.bisect_right(starts, first) - 1
        if sender == ZERO_ADDRESS:
            if (lo >= 0 and ranges[lo].last >= first) or (
                lo + 1 < len(ranges) and starts[lo + 1] <= last
            ):
                self._violate(
                    event, "firstSerial", f"{first}..{last} minted twice in batch {batch_id}"
                )
                return
            ranges.insert(lo + 1, SerialRange(first, last, to, state))
            return
        hi = lo
        covered = lo >= 0 and ranges[lo].last >= first
        while covered and ranges[hi].last < last:
            covered = hi + 1 < len(ranges) and ranges[hi + 1].first == ranges[hi].last + 1
            hi += 1
        touched = ranges[lo : hi + 1] if covered else []
        if not touched or any(
            r.holder.lower() != sender or r.state != RangeState.HELD for r in touched
        ):
            self._violate(
                event,
                "from",
                f"{sender} did not hold all of {first}..{last} live in batch {batch_id}",
            )
            return
        replacement = []
        if touched[0].first < first:
            replacement.append(
                SerialRange(touched[0].first, first - 1, touched[0].holder, RangeState.HELD)
            )
        replacement.append(SerialRange(first, last, to, state))
        if touched[-1].last > last:
            replacement.append(
                SerialRange(last + 1, touched[-1].last, touched[-1].holder, RangeState.HELD)
            )
        ranges[lo : hi + 1] = replacement
