"""Holdings: transfers of exact serials (whole, partial, spanning ranges), every refusal, and the
views over holdings (balanceOf, rangeAt, rangesFrom, serialStatus, batch totals)."""

from __future__ import annotations

from typing import Any

import pytest

from chain.domain import RangeState, RetirementRequest
from chain.errors import (
    AccountFrozen,
    AccountNotAllowed,
    InsufficientCredits,
    InvalidRangeHint,
    InvalidSerialRange,
    SelfTransfer,
    UnknownBatch,
)
from tests.conftest import Ledger
from tests.contracts._helpers import (
    ZERO,
    addr,
    attempt,
    batch,
    bridge_range,
    expect_events,
    invariants,  # noqa: F401  (autouse fixture)
    moved,
    ranges,
    retire,
    reverts,
    send,
    transfer,
    transfer_fn,
)

HELD, RETIRED = RangeState.HELD, RangeState.RETIRED


@pytest.fixture
def one(ledger: Ledger) -> Ledger:
    """Batch 1: serials 1001..2000, all held by alice."""
    bridge_range(ledger, 1001, 2000)
    return ledger


def _range_at(ledger: Ledger, start: int, batch_id: int = 1) -> tuple[str, int, int]:
    holder, last, state = ledger.admin.contract.functions.rangeAt(batch_id, start).call()
    return (holder.lower(), last, state)


def _insufficient(who: Any, first: int, last: int, batch_id: int = 1) -> dict[str, Any]:
    return {"holder": addr(who), "batchId": batch_id, "first": first, "last": last}


# ---------------------------------------------------------------- transfers that work


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        pytest.param(1001, 2000, [(1001, 2000, "bob")], id="whole-range"),
        pytest.param(1001, 1300, [(1001, 1300, "bob"), (1301, 2000, "alice")], id="from-start"),
        pytest.param(1701, 2000, [(1001, 1700, "alice"), (1701, 2000, "bob")], id="from-end"),
        pytest.param(
            1401,
            1600,
            [(1001, 1400, "alice"), (1401, 1600, "bob"), (1601, 2000, "alice")],
            id="middle-splits-in-three",
        ),
        pytest.param(
            1500,
            1500,
            [(1001, 1499, "alice"), (1500, 1500, "bob"), (1501, 2000, "alice")],
            id="single-serial",
        ),
    ],
)
def test_transfer_moves_exact_serials(
    one: Ledger, first: int, last: int, expected: list[tuple[int, int, str]]
) -> None:
    result = transfer(one, one.alice, 1, first, last, one.bob, start=1001)
    expect_events(result, moved(1, one.alice, one.bob, first, last, HELD, one.alice))
    assert ranges(one, 1) == [(f, la, who, HELD) for f, la, who in expected]
    assert one.admin.balance_of(one.bob.account, 1) == last - first + 1
    assert one.admin.balance_of(one.alice.account, 1) == 1000 - (last - first + 1)
    b = batch(one, 1)
    assert (b.quantity, b.held, b.retired, b.detokenised, b.cancelled) == (1000, 1000, 0, 0, 0)


def test_split_ranges_are_keyed_by_their_start(one: Ledger) -> None:
    transfer(one, one.alice, 1, 1401, 1600, one.bob, start=1001)
    a, b = addr(one.alice), addr(one.bob)
    assert _range_at(one, 1001) == (a, 1400, HELD)
    assert _range_at(one, 1401) == (b, 1600, HELD)
    assert _range_at(one, 1601) == (a, 2000, HELD)
    assert _range_at(one, 1500) == (ZERO, 0, RangeState.NONE)  # not a range start
    assert _range_at(one, 1001, batch_id=2) == (ZERO, 0, RangeState.NONE)  # no such batch


def test_transfer_spanning_adjacent_ranges_of_the_holder_absorbs_them(one: Ledger) -> None:
    for first, last in ((1001, 1100), (1101, 1200), (1201, 1300)):
        transfer(one, one.alice, 1, first, last, one.bob, start=first)
    assert [r[:3] for r in ranges(one, 1)][:3] == [
        (1001, 1100, "bob"),
        (1101, 1200, "bob"),
        (1201, 1300, "bob"),
    ]
    # Starts inside the first, runs through the second, ends inside the third.
    result = transfer(one, one.bob, 1, 1051, 1250, one.carol, start=1001)
    expect_events(result, moved(1, one.bob, one.carol, 1051, 1250, HELD, one.bob))
    assert ranges(one, 1) == [
        (1001, 1050, "bob", HELD),
        (1051, 1250, "carol", HELD),
        (1251, 1300, "bob", HELD),
        (1301, 2000, "alice", HELD),
    ]
    # The absorbed ranges' slots are gone.
    assert _range_at(one, 1101) == (ZERO, 0, RangeState.NONE)
    assert _range_at(one, 1201) == (ZERO, 0, RangeState.NONE)


def test_transfer_of_several_whole_adjacent_ranges_leaves_one_range(one: Ledger) -> None:
    transfer(one, one.alice, 1, 1001, 1100, one.bob, start=1001)
    transfer(one, one.alice, 1, 1101, 1200, one.bob, start=1101)
    transfer(one, one.bob, 1, 1001, 1200, one.carol, start=1001)
    assert ranges(one, 1) == [(1001, 1200, "carol", HELD), (1201, 2000, "alice", HELD)]
    assert _range_at(one, 1101) == (ZERO, 0, RangeState.NONE)


def test_a_transfer_to_oneself_is_refused(one: Ledger) -> None:
    # It would change no holding, only fragment the ranges (issue 12).
    fn = one.alice.contract.functions.transfer(1, 1401, 1600, one.alice.account, 1001)
    with reverts(SelfTransfer, account=addr(one.alice)):
        attempt(one.alice, fn)
    assert ranges(one, 1) == [(1001, 2000, "alice", HELD)]


def test_a_holders_adjacent_ranges_move_together(one: Ledger) -> None:
    transfer(one, one.alice, 1, 1401, 1600, one.bob, start=1001)
    result = transfer(one, one.bob, 1, 1401, 1600, one.alice, start=1401)
    expect_events(result, moved(1, one.bob, one.alice, 1401, 1600, HELD, one.bob))
    assert ranges(one, 1) == [
        (1001, 1400, "alice", HELD),
        (1401, 1600, "alice", HELD),
        (1601, 2000, "alice", HELD),
    ]
    # ... and those adjacent ranges can be moved together again.
    transfer(one, one.alice, 1, 1001, 2000, one.bob, start=1001)
    assert ranges(one, 1) == [(1001, 2000, "bob", HELD)]


def test_client_transfer_quantity_takes_the_lowest_serials_one_call_per_run(one: Ledger) -> None:
    transfer(one, one.alice, 1, 1101, 1200, one.carol, start=1001)
    results = one.alice.transfer_quantity(1, 150, one.bob.account)
    assert [
        (e.fields["firstSerial"], e.fields["lastSerial"]) for r in results for e in r.events
    ] == [
        (1001, 1100),
        (1201, 1250),
    ]
    assert one.admin.balance_of(one.bob.account, 1) == 150


# ---------------------------------------------------------------- refusals


def test_transfer_spanning_another_holders_range_is_refused(one: Ledger) -> None:
    transfer(one, one.alice, 1, 1001, 1100, one.bob, start=1001)
    transfer(one, one.alice, 1, 1201, 1300, one.bob, start=1101)
    # bob holds 1001..1100 and 1201..1300; alice still holds 1101..1200 in between.
    with reverts(InsufficientCredits, **_insufficient(one.bob, 1001, 1300)):
        attempt(one.bob, transfer_fn(one.bob, 1, 1001, 1300, one.carol, 1001))
    with reverts(InsufficientCredits, **_insufficient(one.bob, 1050, 1150)):
        attempt(one.bob, transfer_fn(one.bob, 1, 1050, 1150, one.carol, 1001))


def test_transfer_of_someone_elses_serials_is_refused(one: Ledger) -> None:
    with reverts(InsufficientCredits, **_insufficient(one.bob, 1001, 1001)):
        attempt(one.bob, transfer_fn(one.bob, 1, 1001, 1001, one.carol, 1001))


def test_transfer_past_the_end_of_the_batch_is_refused(one: Ledger) -> None:
    with reverts(InsufficientCredits, **_insufficient(one.alice, 1901, 2001)):
        attempt(one.alice, transfer_fn(one.alice, 1, 1901, 2001, one.bob, 1001))


def test_retired_serials_cannot_be_transferred(one: Ledger) -> None:
    retire(one, one.alice, RetirementRequest(1, 1101, 1200, "Acme"), start=1001)
    with reverts(InsufficientCredits, **_insufficient(one.alice, 1101, 1150)):
        attempt(one.alice, transfer_fn(one.alice, 1, 1101, 1150, one.bob, 1101))
    # Spanning from live credits into the retired range is refused as a whole.
    with reverts(InsufficientCredits, **_insufficient(one.alice, 1001, 1150)):
        attempt(one.alice, transfer_fn(one.alice, 1, 1001, 1150, one.bob, 1001))
    with reverts(InsufficientCredits, **_insufficient(one.alice, 1050, 1250)):
        attempt(one.alice, transfer_fn(one.alice, 1, 1050, 1250, one.bob, 1001))


@pytest.mark.parametrize(
    ("first", "start"),
    [
        pytest.param(1500, 1002, id="not-a-range-start"),
        pytest.param(1500, 1601, id="start-above-first"),
        pytest.param(1700, 1001, id="range-ends-before-first"),
        pytest.param(1500, 0, id="zero"),
        pytest.param(2001, 2001, id="beyond-the-batch"),
    ],
)
def test_transfer_with_a_wrong_range_hint_is_refused(one: Ledger, first: int, start: int) -> None:
    transfer(one, one.alice, 1, 1601, 1700, one.bob, start=1001)  # ranges 1001-1600, 1601-1700, …
    with reverts(InvalidRangeHint, batchId=1, rangeStart=start):
        attempt(one.alice, transfer_fn(one.alice, 1, first, first, one.carol, start))


def test_transfer_with_first_above_last_is_refused(one: Ledger) -> None:
    with reverts(InvalidSerialRange, first=1500, last=1499):
        attempt(one.alice, transfer_fn(one.alice, 1, 1500, 1499, one.bob, 1001))


# The refusals every holdings operation shares (pause, frozen batch, the sender's allowlist and
# freeze, unknown batch, range hint, serials not held) are in test_holder_refusals.py; these
# are the transfer's own: the recipient's.


def test_transfer_to_a_frozen_account_is_refused(one: Ledger) -> None:
    one.admin.set_account(one.bob.account, allowed=True, frozen=True)
    with reverts(AccountFrozen, account=addr(one.bob)):
        attempt(one.alice, transfer_fn(one.alice, 1, 1001, 1001, one.bob, 1001))
    one.admin.set_account(one.bob.account, allowed=True, frozen=False)
    transfer(one, one.alice, 1, 1001, 1001, one.bob, start=1001)


def test_transfer_to_an_account_not_on_the_allowlist_is_refused(one: Ledger) -> None:
    for to in (one.outsider.account, ZERO):
        with reverts(AccountNotAllowed, account=addr(to)):
            attempt(one.alice, transfer_fn(one.alice, 1, 1001, 1001, to, 1001))


def test_a_holder_removed_from_the_allowlist_cannot_transfer(one: Ledger) -> None:
    one.admin.set_account(one.alice.account, allowed=False, frozen=False)
    with reverts(AccountNotAllowed, account=addr(one.alice)):
        attempt(one.alice, transfer_fn(one.alice, 1, 1001, 1001, one.bob, 1001))
    # The sender is checked before the recipient.
    with reverts(AccountNotAllowed, account=addr(one.alice)):
        attempt(one.alice, transfer_fn(one.alice, 1, 1001, 1001, one.outsider, 1001))


def test_a_refused_transfer_changes_nothing(one: Ledger) -> None:
    transfer(one, one.alice, 1, 1101, 1200, one.bob, start=1001)
    before = (ranges(one, 1), one.admin.audit_state())
    # Mined (not just simulated): the partial writes before the failing check are undone.
    with reverts(InsufficientCredits, **_insufficient(one.alice, 1050, 1150)):
        send(one.alice, transfer_fn(one.alice, 1, 1050, 1150, one.carol, 1001))
    assert (ranges(one, 1), one.admin.audit_state()) == before


# ---------------------------------------------------------------- views


def test_balance_of_counts_only_live_credits_of_the_account(one: Ledger) -> None:
    transfer(one, one.alice, 1, 1001, 1300, one.bob, start=1001)
    transfer(one, one.alice, 1, 1501, 1600, one.bob, start=1301)
    retire(one, one.bob, RetirementRequest(1, 1001, 1050, "Acme"), start=1001)
    balance = one.admin.balance_of
    assert balance(one.bob.account, 1) == 250 + 100
    assert balance(one.alice.account, 1) == 1000 - 400
    assert balance(one.carol.account, 1) == 0
    assert balance(ZERO, 1) == 0
    with reverts(UnknownBatch, batchId=2):
        balance(one.alice.account, 2)


def test_serial_status_names_holder_and_state(one: Ledger) -> None:
    transfer(one, one.alice, 1, 1401, 1600, one.bob, start=1001)
    retire(one, one.bob, RetirementRequest(1, 1401, 1450, "Acme"), start=1401)
    status = one.admin.contract.functions.serialStatus
    assert status(1, 1001, 1001).call() == [one.alice.account, HELD]
    assert status(1, 1400, 1001).call() == [one.alice.account, HELD]
    assert status(1, 1450, 1401).call() == [one.bob.account, RETIRED]
    assert status(1, 1451, 1451).call() == [one.bob.account, HELD]
    assert status(1, 2000, 1601).call() == [one.alice.account, HELD]
    for serial, start in ((1500, 1401), (1400, 1401), (1601, 1001), (1500, 1500), (5, 2)):
        with reverts(InvalidRangeHint, batchId=1, rangeStart=start):
            attempt(one.admin, status(1, serial, start))
    with reverts(InvalidRangeHint, batchId=9, rangeStart=1001):
        attempt(one.admin, status(9, 1001, 1001))
    # The client's convenience form finds the range itself.
    assert one.admin.serial_status(1, 1449).state == RETIRED


def test_ranges_from_pages_with_max_count(one: Ledger) -> None:
    for first in (1201, 1401, 1601, 1801):  # five ranges: 1001, 1201, 1401, 1601, 1801
        transfer(one, one.alice, 1, first, first + 199, one.bob)
    fn = one.admin.contract.functions.rangesFrom

    def starts(start: int, count: int) -> list[int]:
        got_starts, got = fn(1, start, count).call()
        assert len(got_starts) == len(got)
        return list(got_starts)

    assert starts(1001, 2) == [1001, 1201]
    assert starts(1401, 2) == [1401, 1601]
    assert starts(1801, 2) == [1801]
    assert starts(1001, 100) == [1001, 1201, 1401, 1601, 1801]
    assert starts(1001, 0) == []
    assert starts(2001, 5) == []  # past the end
    got_starts, got = fn(1, 1201, 1).call()
    assert (got_starts, got) == ([1201], [(one.bob.account, 1400, HELD)])
    with reverts(InvalidRangeHint, batchId=1, rangeStart=1202):
        attempt(one.admin, fn(1, 1202, 3))
    with reverts(UnknownBatch, batchId=2):
        attempt(one.admin, fn(2, 1001, 3))


def test_batch_totals_follow_every_kind_of_spend(one: Ledger) -> None:
    transfer(one, one.alice, 1, 1001, 1100, one.bob, start=1001)
    retire(one, one.bob, RetirementRequest(1, 1001, 1010, "Acme"), start=1001)
    one.alice.detokenise(1, 1101, 1130, "VCS-RETURN-7")
    one.admin.cancel(1, one.alice.account, 1131, 1135, "reversal")
    b = batch(one, 1)
    assert (b.quantity, b.retired, b.detokenised, b.cancelled, b.held) == (1000, 10, 30, 5, 955)
    assert [(f, la, s) for f, la, _w, s in ranges(one, 1)] == [
        (1001, 1010, RETIRED),
        (1011, 1100, HELD),
        (1101, 1130, RangeState.DETOKENISED),
        (1131, 1135, RangeState.CANCELLED),
        (1136, 2000, HELD),
    ]
    with reverts(UnknownBatch, batchId=0):
        one.admin.batch(0)
