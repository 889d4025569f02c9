"""The log replay rebuilds the contract's ranges and flags every impossible event."""

from __future__ import annotations

from typing import Any

from chain.domain import RangeState, SerialRange
from chain.events import LedgerEvent
from chain.replay import ZERO_ADDRESS, HoldingsReplay

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
        SerialRange(1, 39, A, RangeState.HELD),
        SerialRange(40, 49, B, RangeState.HELD),
        SerialRange(50, 65, B, RangeState.RETIRED),
        SerialRange(66, 70, B, RangeState.HELD),
        SerialRange(71, 100, A, RangeState.HELD),
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
