"""chain._hints: the bridged-part mirror and the holding-range arithmetic, without a chain."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain._hints import (
    PARTS_END,
    PARTS_HEAD,
    PartIndex,
    holder_runs,
    lowest_serials,
    range_start_for,
)
from chain.domain import HoldingRange, RangeState

ALICE = "0x" + "aa" * 20
BOB = "0x" + "bb" * 20
HELD, RETIRED = RangeState.HELD, RangeState.RETIRED


class FakeParts:
    """``partsFrom`` over a sorted list: from a stored key, up to ``count`` parts and nexts."""

    def __init__(self, keys: Sequence[int]) -> None:
        self.nodes = [PARTS_HEAD, *sorted(keys)]
        self.calls: list[tuple[int, int]] = []

    def __call__(self, start: int, count: int) -> tuple[list[int], list[int]]:
        self.calls.append((start, count))
        i = self.nodes.index(start)  # the contract reverts for a key it does not store
        page = self.nodes[i : i + count]
        nexts = [*self.nodes[i + 1 : i + 1 + len(page)], PARTS_END][: len(page)]
        return page, nexts


def _below(keys: Sequence[int], key: int) -> int:
    return max((k for k in keys if k < key), default=PARTS_HEAD)


# ------------------------------------------------------------ PartIndex


def test_refresh_pages_through_the_list() -> None:
    keys = [10 * i for i in range(1, 11)]
    fetch = FakeParts(keys)
    index = PartIndex(fetch, page=3)
    index.refresh()
    assert len(index) == 10
    # 11 nodes (head + 10) in pages of 3: each page starts at the previous page's last next.
    assert fetch.calls == [(PARTS_HEAD, 3), (30, 3), (60, 3), (90, 3)]


def test_refresh_stops_on_a_page_that_ends_the_list_exactly() -> None:
    fetch = FakeParts([1, 2, 3, 4, 5])
    index = PartIndex(fetch, page=3)
    index.refresh()
    assert len(index) == 5
    assert fetch.calls == [(PARTS_HEAD, 3), (3, 3)]


def test_an_empty_list_gives_the_head() -> None:
    fetch = FakeParts([])
    index = PartIndex(fetch)
    assert index.hint_for(12345) == PARTS_HEAD
    assert fetch.calls == [(PARTS_HEAD, 500)]


def test_hint_for_below_between_and_above() -> None:
    fetch = FakeParts([100, 200, 300])
    index = PartIndex(fetch)
    assert fetch.calls == []  # lazy: nothing read before the first hint
    assert index.hint_for(50) == PARTS_HEAD  # below every part
    assert index.hint_for(150) == 100  # between
    assert index.hint_for(200) == 100  # a key that exists: the part below it
    assert index.hint_for(10**30) == 300  # above every part
    assert len(fetch.calls) == 1  # read once, then answered locally


def test_add_is_seen_without_reading_again() -> None:
    fetch = FakeParts([100, 300])
    index = PartIndex(fetch)
    assert index.hint_for(250) == 100
    index.add(200)
    assert index.hint_for(250) == 200
    assert index.hint_for(200) == 100
    assert len(index) == 3
    assert len(fetch.calls) == 1


def test_refresh_forgets_local_additions_the_chain_lacks() -> None:
    fetch = FakeParts([100])
    index = PartIndex(fetch)
    index.refresh()
    index.add(150)  # e.g. a bridging that was rolled back
    index.refresh()
    assert index.hint_for(200) == 100


@given(
    keys=st.sets(st.integers(1, 2**200), max_size=40),
    probes=st.lists(st.integers(0, 2**200 + 1), min_size=1, max_size=10),
    page=st.integers(1, 7),
)
def test_hint_is_the_largest_key_below(keys: set[int], probes: list[int], page: int) -> None:
    fetch = FakeParts(sorted(keys))
    index = PartIndex(fetch, page=page)
    for probe in probes:
        assert index.hint_for(probe) == _below(sorted(keys), probe)
    assert len(index) == len(keys)
    assert len(fetch.calls) == -(-(len(keys) + 1) // page)  # ceil(nodes / page)


# ------------------------------------------------------------ holding ranges


def r(first: int, last: int, holder: str = ALICE, state: RangeState = HELD) -> HoldingRange:
    return HoldingRange(first, last, holder, state)


BATCH = [
    r(1001, 1100),
    r(1101, 1200),  # adjacent to the first: one run with it
    r(1201, 1300, BOB),  # another holder breaks the run
    r(1301, 1310),
    r(1311, 1320, state=RETIRED),  # a spent range breaks it too
    r(1321, 1400),
    r(1401, 1450, ALICE.upper().replace("0X", "0x")),  # same holder, other spelling
]


def test_range_start_for() -> None:
    assert range_start_for(BATCH, 1001) == 1001
    assert range_start_for(BATCH, 1150) == 1101
    assert range_start_for(BATCH, 1200) == 1101
    assert range_start_for(BATCH, 1450) == 1401
    for outside in (1000, 1451, 0):
        with pytest.raises(LookupError, match=f"serial {outside} is in no range"):
            range_start_for(BATCH, outside)


def test_range_start_for_a_serial_in_a_gap() -> None:
    with pytest.raises(LookupError):
        range_start_for([r(1, 10), r(21, 30)], 15)
    with pytest.raises(LookupError):
        range_start_for([], 1)


def test_holder_runs_merge_adjacent_ranges_only() -> None:
    assert holder_runs(BATCH, ALICE) == [(1001, 1200), (1301, 1310), (1321, 1450)]
    assert holder_runs(BATCH, BOB.upper().replace("0X", "0x")) == [(1201, 1300)]
    assert holder_runs(BATCH, "0x" + "cc" * 20) == []


def test_lowest_serials_exact_picks_across_runs() -> None:
    assert lowest_serials(BATCH, ALICE, 1) == [(1001, 1001)]
    assert lowest_serials(BATCH, ALICE, 150) == [(1001, 1150)]  # within one run of two ranges
    assert lowest_serials(BATCH, ALICE, 200) == [(1001, 1200)]
    assert lowest_serials(BATCH, ALICE, 205) == [(1001, 1200), (1301, 1305)]
    assert lowest_serials(BATCH, ALICE, 340) == [(1001, 1200), (1301, 1310), (1321, 1450)]
    assert lowest_serials(BATCH, BOB, 100) == [(1201, 1300)]


def test_lowest_serials_short_names_held_and_requested() -> None:
    with pytest.raises(LookupError, match="holds 340 live credits of this batch, fewer than 341"):
        lowest_serials(BATCH, ALICE, 341)
    with pytest.raises(LookupError, match="holds 0 live credits of this batch, fewer than 1"):
        lowest_serials(BATCH, "0x" + "cc" * 20, 1)


HOLDERS = [ALICE, BOB, "0x" + "cc" * 20]


@st.composite
def tilings(draw: st.DrawFn) -> list[HoldingRange]:
    """A batch's ranges: consecutive, each with a holder and a state."""
    first = draw(st.integers(1, 10**9))
    out = []
    for size in draw(st.lists(st.integers(1, 30), min_size=1, max_size=12)):
        holder = draw(st.sampled_from(HOLDERS))
        state = draw(st.sampled_from([HELD, HELD, RETIRED, RangeState.CANCELLED]))
        out.append(r(first, first + size - 1, holder, state))
        first += size
    return out


@given(tilings(), st.sampled_from(HOLDERS), st.integers(1, 400))
def test_lowest_serials_picks_exactly_the_lowest_held(
    ranges: list[HoldingRange], holder: str, quantity: int
) -> None:
    held = sorted(
        s
        for x in ranges
        if x.holder == holder and x.state == HELD
        for s in range(x.first, x.last + 1)
    )
    runs = holder_runs(ranges, holder)
    assert sorted(s for a, b in runs for s in range(a, b + 1)) == held
    assert all(b + 1 < c for (_, b), (c, _) in itertools.pairwise(runs))  # maximal
    if quantity > len(held):
        with pytest.raises(LookupError, match=f"holds {len(held)} live credits"):
            lowest_serials(ranges, holder, quantity)
        return
    picks = lowest_serials(ranges, holder, quantity)
    assert [s for a, b in picks for s in range(a, b + 1)] == held[:quantity]
    # One pick per run touched, each starting where its run starts: one call per pick.
    assert [a for a, _ in picks] == [a for a, _ in runs[: len(picks)]]
    for a, _ in picks:
        assert range_start_for(ranges, a) == a
