"""The log replay rebuilds the contract's ranges and flags every impossible event."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.domain import HoldingRange, RangeState
from chain.errors import ReplayViolation
from chain.events import LedgerEvent
from chain.replay import ZERO_ADDRESS, BatchHoldings, HoldingsReplay

A = "0x" + "a" * 40
B = "0x" + "b" * 40


def _event(name: str, seq: int, **fields: Any) -> LedgerEvent:
    return LedgerEvent(name, seq, seq, "0x", "0x", 0, 0, {"seq": seq, **fields}, (), b"")


def _bridged(seq: int, batch_id: int, first: int, last: int) -> LedgerEvent:
    issuance = {"programId": 1, "firstSerial": first, "lastSerial": last}
    return _event("BatchBridged", seq, batchId=batch_id, issuance=issuance)


def _moved(seq: int, first: int, last: int, sender: str, to: str, state: RangeState) -> LedgerEvent:
    return _event(
        "SerialsMoved", seq, batchId=1, firstSerial=first, lastSerial=last,
        **{"from": sender, "to": to, "state": int(state)},
    )  # fmt: skip


def _replay(*events: LedgerEvent) -> HoldingsReplay:
    return HoldingsReplay().apply_all([_bridged(1, 1, 1, 100), *events])


def test_mint_split_and_absorb_reproduce_the_contract_tiling() -> None:
    replay = _replay(
        _moved(2, 1, 100, ZERO_ADDRESS, A, RangeState.HELD),
        _moved(3, 40, 60, A, B, RangeState.HELD),
        _moved(4, 61, 70, A, B, RangeState.HELD),
        _moved(5, 50, 65, B, B, RangeState.RETIRED),
    )
    assert replay.violations == []
    assert replay.batches[1].ranges == [
        HoldingRange(1, 39, A, RangeState.HELD),
        HoldingRange(40, 49, B, RangeState.HELD),
        HoldingRange(50, 65, B, RangeState.RETIRED),
        HoldingRange(66, 70, B, RangeState.HELD),
        HoldingRange(71, 100, A, RangeState.HELD),
    ]
    totals = replay.batches[1].totals()
    assert totals[RangeState.RETIRED] == 16
    assert sum(totals.values()) == 100


def test_spending_serials_not_held_is_a_violation_naming_the_event() -> None:
    replay = _replay(
        _moved(2, 1, 100, ZERO_ADDRESS, A, RangeState.HELD),
        _moved(3, 10, 20, B, B, RangeState.RETIRED),
    )
    (violation,) = replay.violations
    assert (violation.event, violation.seq, violation.field) == ("SerialsMoved", 3, "from")


def test_retired_serials_cannot_move_again() -> None:
    replay = _replay(
        _moved(2, 1, 100, ZERO_ADDRESS, A, RangeState.HELD),
        _moved(3, 1, 10, A, A, RangeState.RETIRED),
        _moved(4, 5, 15, A, B, RangeState.HELD),
    )
    assert [v.seq for v in replay.violations] == [4]


def test_moves_outside_the_batch_and_double_mints_are_violations() -> None:
    replay = _replay(
        _moved(2, 1, 100, ZERO_ADDRESS, A, RangeState.HELD),
        _moved(3, 90, 101, A, B, RangeState.HELD),
        _moved(4, 50, 50, ZERO_ADDRESS, B, RangeState.HELD),
        _bridged(5, 1, 200, 300),
    )
    assert [(v.seq, v.field) for v in replay.violations] == [
        (3, "firstSerial"),
        (4, "firstSerial"),
        (5, "batchId"),
    ]


# ---------------------------------------------------------------- against a plain model

HOLDERS = (A, B, "0x" + "c" * 40)
BATCH = (1, 12)  # first and last serial: few, so moves meet range edges often


def _model_move(
    ranges: list[HoldingRange], first: int, last: int, sender: str, to: str, state: RangeState
) -> list[HoldingRange] | None:
    """The contract's tiling, written plainly: the ranges that overlap the move must cover it
    without a hole, all live with the sender; they become the sender's remainders on either
    side and the moved range. ``None`` when the move is impossible."""
    if not BATCH[0] <= first <= last <= BATCH[1]:
        return None
    touched = [r for r in ranges if r.first <= last and r.last >= first]
    if sender == ZERO_ADDRESS:
        return (
            None
            if touched
            else sorted([*ranges, HoldingRange(first, last, to, state)], key=lambda r: r.first)
        )
    covered = sum(min(r.last, last) - max(r.first, first) + 1 for r in touched)
    if covered != last - first + 1 or any(
        r.holder != sender or r.state != RangeState.HELD for r in touched
    ):
        return None
    kept = [r for r in ranges if r not in touched]
    new = [HoldingRange(first, last, to, state)]
    if touched[0].first < first:
        new.append(HoldingRange(touched[0].first, first - 1, sender, RangeState.HELD))
    if touched[-1].last > last:
        new.append(HoldingRange(last + 1, touched[-1].last, sender, RangeState.HELD))
    return sorted(kept + new, key=lambda r: r.first)


_serial = st.integers(BATCH[0] - 1, BATCH[1] + 1)
_moves = st.lists(
    st.tuples(
        _serial,
        _serial,
        st.sampled_from((ZERO_ADDRESS, *HOLDERS)),
        st.sampled_from(HOLDERS),
        st.sampled_from((RangeState.HELD, RangeState.HELD, RangeState.RETIRED)),
    ),
    max_size=40,
)


@settings(max_examples=500, deadline=None)
@given(_moves)
def test_moves_match_the_plain_model(moves: list[tuple[int, int, str, str, RangeState]]) -> None:
    """Every fast path of ``BatchHoldings.move`` (one range split, several absorbed, a mint)
    against the plain tiling: the same ranges after each move, the same moves refused."""
    holdings = BatchHoldings(1, *BATCH)
    expected: list[HoldingRange] = []
    for a, b, sender, to, state in moves:
        first, last = min(a, b), max(a, b)
        after = _model_move(expected, first, last, sender, to, state)
        before = list(holdings.ranges)
        if after is None:
            with pytest.raises(ReplayViolation):
                holdings.move(first, last, sender, to, state)
            assert holdings.ranges == before  # a refused move changes nothing
        else:
            removed, written = holdings.move(first, last, sender, to, state)
            assert holdings.ranges == after
            assert holdings.starts == [r.first for r in after]
            touched = [r for r in before if r.first <= last and r.last >= first]
            assert removed == [r.first for r in touched]
            low = min([first, *(r.first for r in touched)])
            high = max([last, *(r.last for r in touched)])
            assert written == [r for r in after if low <= r.first and r.last <= high]
            expected = after
