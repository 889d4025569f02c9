"""Holdings rebuilt from the event log alone, splitting ranges exactly as the contract does.

``BatchHoldings`` is the one Python implementation of the contract's range tiling: the
auditor's replay (``HoldingsReplay``, used by ``audit verify``) and the indexer's write path
both apply ``SerialsMoved`` events through it. A move of serials the sender did not hold, a
range outside its batch, a second mint of the same serials: each raises ``ReplayViolation``,
which the replay records and the indexer treats as fatal.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from chain.domain import HoldingRange, RangeState
from chain.errors import ReplayViolation
from chain.events import LedgerEvent

ZERO_ADDRESS = "0x" + "0" * 40


@dataclass(frozen=True)
class Violation:
    block: int
    event: str
    seq: int
    field: str
    message: str


class BatchHoldings:
    """The holding ranges of one batch, kept sorted by first serial.

    ``starts`` mirrors ``ranges`` so that locating a serial is a bisect, and a move costs
    O(log n + ranges touched) plus a list splice.
    """

    def __init__(
        self,
        batch_id: int,
        first_serial: int,
        last_serial: int,
        ranges: Iterable[HoldingRange] = (),
    ) -> None:
        self.batch_id = batch_id
        self.first_serial = first_serial
        self.last_serial = last_serial
        self.ranges: list[HoldingRange] = sorted(ranges, key=lambda r: r.first)
        self.starts: list[int] = [r.first for r in self.ranges]

    @property
    def quantity(self) -> int:
        return self.last_serial - self.first_serial + 1

    def totals(self) -> dict[RangeState, int]:
        out: dict[RangeState, int] = {s: 0 for s in RangeState if s != RangeState.NONE}
        for r in self.ranges:
            out[r.state] += r.quantity
        return out

    def move(
        self, first: int, last: int, sender: str, to: str, state: RangeState
    ) -> tuple[list[int], list[HoldingRange]]:
        """Apply one ``SerialsMoved``; returns (starts of ranges removed, ranges written)."""
        if not self.first_serial <= first <= last <= self.last_serial:
            raise ReplayViolation("firstSerial", f"{first}..{last} outside batch {self.batch_id}")
        lo = bisect.bisect_right(self.starts, first) - 1
        if sender == ZERO_ADDRESS:
            overlaps_left = lo >= 0 and self.ranges[lo].last >= first
            overlaps_right = lo + 1 < len(self.starts) and self.starts[lo + 1] <= last
            if overlaps_left or overlaps_right:
                raise ReplayViolation(
                    "firstSerial", f"{first}..{last} minted twice in batch {self.batch_id}"
                )
            minted = HoldingRange(first, last, to, state)
            self.ranges.insert(lo + 1, minted)
            self.starts.insert(lo + 1, first)
            return [], [minted]
        ranges, starts = self.ranges, self.starts
        held = RangeState.HELD
        if lo >= 0:
            # Most moves take serials out of one range: split it without the general walk.
            r = ranges[lo]
            if last <= r.last and r.holder == sender and r.state == held:
                if r.first < first:
                    written = [HoldingRange(r.first, first - 1, sender, held)]
                    written.append(HoldingRange(first, last, to, state))
                else:
                    written = [HoldingRange(first, last, to, state)]
                if r.last > last:
                    written.append(HoldingRange(last + 1, r.last, sender, held))
                ranges[lo : lo + 1] = written
                starts[lo : lo + 1] = [w.first for w in written]
                return [r.first], written
        hi = lo
        covered = lo >= 0 and ranges[lo].last >= first
        while covered and ranges[hi].last < last:
            covered = hi + 1 < len(ranges) and starts[hi + 1] == ranges[hi].last + 1
            hi += 1
        touched = ranges[lo : hi + 1] if covered else []
        for r in touched:
            if r.holder != sender or r.state != held:
                touched = []
                break
        if not touched:
            raise ReplayViolation(
                "from",
                f"{sender} did not hold all of {first}..{last} live in batch {self.batch_id}",
            )
        written = []
        if touched[0].first < first:
            written.append(HoldingRange(touched[0].first, first - 1, sender, held))
        written.append(HoldingRange(first, last, to, state))
        if touched[-1].last > last:
            written.append(HoldingRange(last + 1, touched[-1].last, sender, held))
        removed = [r.first for r in touched]
        ranges[lo : hi + 1] = written
        starts[lo : hi + 1] = [r.first for r in written]
        return removed, written


class HoldingsReplay:
    """Every batch's holdings derived from a log; ``violations`` lists what was wrong."""

    def __init__(self) -> None:
        self.batches: dict[int, BatchHoldings] = {}
        self.violations: list[Violation] = []
        self.programs: dict[int, int] = {}  # batch id -> programme id
        self.buffers: dict[int, str] = {}  # programme id -> buffer account
        self._last_move: tuple[int, int, int, str, str, int] | None = None

    def apply_all(self, events: Iterable[LedgerEvent]) -> HoldingsReplay:
        for event in events:
            self.apply(event)
        return self

    def apply(self, event: LedgerEvent) -> None:
        try:
            if event.name == "BatchBridged":
                issuance = event.fields["issuance"]
                batch_id = int(event.fields["batchId"])
                if batch_id in self.batches:
                    raise ReplayViolation("batchId", f"batch {batch_id} bridged twice")
                self.batches[batch_id] = BatchHoldings(
                    batch_id, int(issuance["firstSerial"]), int(issuance["lastSerial"])
                )
                self.programs[batch_id] = int(issuance["programId"])
            elif event.name == "ProgramBufferSet":
                f = event.fields
                self.buffers[int(f["programId"])] = str(f["account"]).lower()
            elif event.name == "BufferReversed":
                self._buffer_reversed(event.fields)
            elif event.name == "SerialsMoved":
                f = event.fields
                batch = self.batches.get(int(f["batchId"]))
                if batch is None:
                    raise ReplayViolation(
                        "batchId", f"serials moved in unknown batch {f['batchId']}"
                    )
                move = (
                    int(f["batchId"]),
                    int(f["firstSerial"]),
                    int(f["lastSerial"]),
                    str(f["from"]).lower(),
                    str(f["to"]).lower(),
                    int(f["state"]),
                )
                self._last_move = move
                batch.move(move[1], move[2], move[3], move[4], RangeState(move[5]))
                return
        except ReplayViolation as v:
            self.violations.append(
                Violation(event.block_number, event.name, event.seq, v.field, str(v))
            )
        self._last_move = None

    def _buffer_reversed(self, f: dict[str, object]) -> None:
        """A buffer reversal cancelled serials its programme's buffer account held (the
        ``SerialsMoved`` just before it says so, exactly), to make good a batch of the same
        programme."""
        batch_id, reversed_id = int(str(f["batchId"])), int(str(f["reversedBatchId"]))
        holder = str(f["holder"]).lower()
        program = self.programs.get(batch_id)
        if program is None:
            raise ReplayViolation("batchId", f"buffer reversal in unknown batch {batch_id}")
        if self.buffers.get(program) != holder:
            raise ReplayViolation(
                "holder",
                f"buffer reversal cancelled {holder}'s serials of batch {batch_id}, not the "
                f"buffer account of programme {program} ({self.buffers.get(program)})",
            )
        if reversed_id == batch_id or self.programs.get(reversed_id) != program:
            raise ReplayViolation(
                "reversedBatchId",
                f"buffer reversal of batch {reversed_id}, not another batch of programme {program}",
            )
        cancelled = (
            batch_id,
            int(str(f["firstSerial"])),
            int(str(f["lastSerial"])),
            holder,
            holder,
            int(RangeState.CANCELLED),
        )
        if self._last_move != cancelled:
            raise ReplayViolation(
                "firstSerial",
                f"buffer reversal of serials {cancelled[1]}..{cancelled[2]} of batch {batch_id} "
                "does not follow the move that cancelled them",
            )
