"""Hints the contract needs, computed off-chain: the bridged part below a new range, and the
holding range a serial lies in. The contract verifies every hint, so a stale one only costs a
revert (``InvalidBridgeHint``/``InvalidRangeHint``), never a wrong state."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence

from chain.domain import HoldingRange, RangeState

PARTS_HEAD = 0
PARTS_END = 2**224 - 1

PartPage = Callable[[int, int], tuple[Sequence[int], Sequence[int]]]
"""fetch(from_key, max_count) → (keys, next pointers) of consecutive parts, as ``partsFrom``."""


class PartIndex:
    """Local mirror of the contract's sorted list of bridged-part keys."""

    def __init__(self, fetch: PartPage, page: int = 500) -> None:
        self._fetch = fetch
        self._page = page
        self._keys: list[int] = []
        self._loaded = False

    def refresh(self) -> None:
        """Re-read the whole list from the chain (after a stale-hint revert, or at start)."""
        keys: list[int] = []
        cursor = PARTS_HEAD
        while True:
            page_keys, nexts = self._fetch(cursor, self._page)
            keys.extend(k for k in page_keys if k != PARTS_HEAD)
            if not nexts or nexts[-1] == PARTS_END:
                break
            cursor = nexts[-1]
        self._keys = sorted(keys)
        self._loaded = True

    def hint_for(self, key: int) -> int:
        """Key of the part immediately below ``key`` (the head sentinel if none)."""
        if not self._loaded:
            self.refresh()
        i = bisect.bisect_left(self._keys, key)
        return self._keys[i - 1] if i > 0 else PARTS_HEAD

    def add(self, key: int) -> None:
        bisect.insort(self._keys, key)

    def discard(self, key: int) -> None:
        """Forget ``key`` (its batch was voided: the part left the list)."""
        i = bisect.bisect_left(self._keys, key)
        if i < len(self._keys) and self._keys[i] == key:
            del self._keys[i]

    def __len__(self) -> int:
        return len(self._keys)


def range_start_for(ranges: Sequence[HoldingRange], serial: int) -> int:
    """Start of the range containing ``serial`` (``ranges`` sorted by first serial)."""
    i = bisect.bisect_right([r.first for r in ranges], serial) - 1
    if i < 0 or not ranges[i].contains(serial):
        raise LookupError(f"serial {serial} is in no range of this batch")
    return ranges[i].first


def holder_runs(ranges: Sequence[HoldingRange], holder: str) -> list[tuple[int, int]]:
    """``holder``'s live serials as maximal runs ``(first, last)``, lowest first.

    Adjacent ranges of the same holder form one run: the contract moves a run in one call.
    """
    runs: list[tuple[int, int]] = []
    holder = holder.lower()
    for r in ranges:
        if r.state != RangeState.HELD or r.holder.lower() != holder:
            continue
        if runs and runs[-1][1] + 1 == r.first:
            runs[-1] = (runs[-1][0], r.last)
        else:
            runs.append((r.first, r.last))
    return runs


def lowest_serials(
    ranges: Sequence[HoldingRange], holder: str, quantity: int
) -> list[tuple[int, int]]:
    """The ``quantity`` lowest live serials of ``holder``, as runs; ``LookupError`` if short."""
    picked: list[tuple[int, int]] = []
    remaining = quantity
    for first, last in holder_runs(ranges, holder):
        if remaining == 0:
            break
        take = min(remaining, last - first + 1)
        picked.append((first, first + take - 1))
        remaining -= take
    if remaining:
        held = quantity - remaining
        raise LookupError(
            f"{holder} holds {held} live credits of this batch, fewer than {quantity}"
        )
    return picked
