"""Retirement (every purpose, label gating, dates), mirrored registry retirements,
detokenisation and cancellation: success events, totals and every refusal."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import pytest

from chain.client import LedgerClient
from chain.domain import Label, Purpose, RangeState, RetirementRequest
from chain.errors import (
    AccessControlUnauthorizedAccount,
    EnforcedPause,
    InsufficientCredits,
    InvalidConsumptionPeriod,
    InvalidDate,
    InvalidRangeHint,
    InvalidSerialRange,
    LabelRequired,
    LabelsLocked,
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
    next_block_timestamp,
    ranges,
    retire,
    retire_fn,
    retirement_fields,
    reverts,
    send,
    timestamp,
    to_checksum,
    transfer,
)

HELD, RETIRED = RangeState.HELD, RangeState.RETIRED
DETOKENISED, CANCELLED = RangeState.DETOKENISED, RangeState.CANCELLED


@pytest.fixture
def one(ledger: Ledger) -> Ledger:
    """Batch 1: serials 1001..2000, all held by alice, no labels."""
    bridge_range(ledger, 1001, 2000)
    return ledger


def _today(ledger: Ledger) -> int:
    """YYYYMMDD of the next block, which the next transaction lands in."""
    day = dt.datetime.fromtimestamp(next_block_timestamp(ledger), dt.UTC).date()
    return day.year * 10000 + day.month * 100 + day.day


def _insufficient(who: Any, first: int, last: int, batch_id: int = 1) -> dict[str, Any]:
    return {"holder": addr(who), "batchId": batch_id, "first": first, "last": last}


def _role(ledger: Ledger) -> bytes:
    return ledger.admin.issuer_role(ledger.vcs)


# ---------------------------------------------------------------- retire


def test_retire_records_everything_and_spends_the_serials(one: Ledger) -> None:
    request = RetirementRequest(
        1,
        1101,
        1200,
        "Hilti Corporation",
        Purpose.VOLUNTARY,
        jurisdiction="CH",
        consumption_start=dt.date(2024, 1, 1),
        consumption_end=dt.date(2024, 12, 31),
    )
    today = _today(one)
    fn = retire_fn(one.alice, request, 1001)
    assert fn.call({"from": one.alice.account}) == 1  # the retirement id

    result = send(one.alice, fn)

    expect_events(
        result,
        moved(1, one.alice, one.alice, 1101, 1200, RETIRED, one.alice),
        (
            "CreditsRetired",
            {
                "retirementId": 1,
                "holder": addr(one.alice),
                "retirement": retirement_fields(request),
                "retiredOn": today,
                "mirrored": False,
                "actor": addr(one.alice),
                "labels": 0,
            },
        ),
    )
    fields = result.event("CreditsRetired").fields["retirement"]
    assert (fields["jurisdiction"], fields["consumptionStart"], fields["consumptionEnd"]) == (
        "CH",
        20240101,
        20241231,
    )
    assert ranges(one, 1) == [
        (1001, 1100, "alice", HELD),
        (1101, 1200, "alice", RETIRED),
        (1201, 2000, "alice", HELD),
    ]
    b = batch(one, 1)
    assert (b.retired, b.held) == (100, 900)
    assert one.admin.balance_of(one.alice.account, 1) == 900
    assert one.admin.contract.functions.retirementCount().call() == 1


@pytest.mark.parametrize("purpose", list(Purpose))
def test_every_purpose_is_recorded_when_the_batch_has_the_labels(
    ledger: Ledger, purpose: Purpose
) -> None:
    every = Label.CORSIA_ELIGIBLE | Label.ARTICLE6_AUTHORISED | Label.CORRESPONDING_ADJUSTMENT
    bridge_range(ledger, 1, 10, labels=every)
    result = retire(ledger, ledger.alice, RetirementRequest(1, 1, 10, "Acme", purpose), start=1)
    assert result.event("CreditsRetired").fields["retirement"]["purpose"] == int(purpose)
    assert result.event("CreditsRetired").fields["labels"] == int(every)


@pytest.mark.parametrize("purpose", [Purpose.VOLUNTARY, Purpose.COMPLIANCE])
def test_voluntary_and_compliance_need_no_label(one: Ledger, purpose: Purpose) -> None:
    result = retire(one, one.alice, RetirementRequest(1, 1001, 1001, "Acme", purpose), start=1001)
    assert result.event("CreditsRetired").fields["retirement"]["purpose"] == int(purpose)


@pytest.mark.parametrize(
    ("purpose", "needed", "other"),
    [
        # The fixture's vintage is 2020: before CORSIA's first phase, eligibility suffices.
        pytest.param(Purpose.CORSIA, Label.CORSIA_ELIGIBLE, Label.ARTICLE6_AUTHORISED, id="corsia"),
        pytest.param(
            Purpose.ARTICLE6,
            Label.ARTICLE6_AUTHORISED | Label.CORRESPONDING_ADJUSTMENT,
            Label.CORSIA_ELIGIBLE,
            id="article6",
        ),
    ],
)
def test_gated_purposes_need_their_labels_until_set_labels_adds_them(
    one: Ledger, purpose: Purpose, needed: Label, other: Label
) -> None:
    request = RetirementRequest(1, 1001, 1010, "Airline", purpose)
    for labels in (Label.NONE, other | Label.CCP_APPROVED):
        one.admin.set_labels(1, labels)
        with reverts(LabelRequired, batchId=1, label=int(needed)):
            attempt(one.alice, retire_fn(one.alice, request, 1001))
    one.admin.set_labels(1, needed)
    result = retire(one, one.alice, request, start=1001)
    assert result.event("CreditsRetired").fields["retirement"]["purpose"] == int(purpose)
    assert result.event("CreditsRetired").fields["labels"] == int(needed)
    # The retirement relied on the labels: they can no longer be stripped.
    with reverts(LabelsLocked, batchId=1):
        attempt(one.admin, one.admin.contract.functions.setLabels(1, 0))


@pytest.mark.parametrize(
    ("purpose", "labels", "missing"),
    [
        (Purpose.CORSIA, Label.CORSIA_ELIGIBLE, Label.CORRESPONDING_ADJUSTMENT),
        (Purpose.CORSIA, Label.CORRESPONDING_ADJUSTMENT, Label.CORSIA_ELIGIBLE),
        (Purpose.ARTICLE6, Label.ARTICLE6_AUTHORISED, Label.CORRESPONDING_ADJUSTMENT),
        (Purpose.ARTICLE6, Label.CORRESPONDING_ADJUSTMENT, Label.ARTICLE6_AUTHORISED),
    ],
)
def test_corsia_first_phase_vintage_needs_the_corresponding_adjustment(
    ledger: Ledger, purpose: Purpose, labels: Label, missing: Label
) -> None:
    vintage = {"vintage_start": dt.date(2021, 1, 1), "vintage_end": dt.date(2021, 12, 31)}
    bridge_range(ledger, 1, 10, labels=labels, **vintage)
    request = RetirementRequest(1, 1, 1, "Airline", purpose)
    with reverts(LabelRequired, batchId=1, label=int(missing)):
        attempt(ledger.alice, retire_fn(ledger.alice, request, 1))
    ledger.admin.set_labels(1, labels | missing)
    result = retire(ledger, ledger.alice, request, start=1)
    assert result.event("CreditsRetired").fields["labels"] == int(labels | missing)


def test_corsia_vintage_before_2021_needs_eligibility_only(ledger: Ledger) -> None:
    vintage = {"vintage_start": dt.date(2020, 12, 31), "vintage_end": dt.date(2021, 12, 31)}
    bridge_range(ledger, 1, 10, labels=Label.CORSIA_ELIGIBLE, **vintage)
    retire(ledger, ledger.alice, RetirementRequest(1, 1, 1, "Airline", Purpose.CORSIA), start=1)


def test_retired_on_is_the_blocks_utc_date(one: Ledger) -> None:
    moments = [
        ((2027, 12, 31, 23, 59, 59), 20271231),
        ((2028, 1, 1, 0, 0, 0), 20280101),
        ((2028, 2, 28, 23, 59, 59), 20280228),
        ((2028, 2, 29, 0, 0, 0), 20280229),  # leap day
        ((2028, 2, 29, 23, 59, 59), 20280229),
        ((2028, 3, 1, 0, 0, 0), 20280301),
        ((2028, 12, 31, 23, 59, 59), 20281231),  # last day of a leap year
        ((2029, 1, 1, 0, 0, 0), 20290101),
        ((2099, 12, 31, 23, 59, 59), 20991231),
        ((2100, 2, 28, 23, 59, 59), 21000228),
        ((2100, 3, 1, 0, 0, 0), 21000301),  # 2100 is not a leap year
        ((2400, 2, 29, 12, 0, 0), 24000229),  # 2400 is
    ]
    got = []
    for n, (moment, _expected) in enumerate(moments):
        one.chain.time_travel(timestamp(*moment))  # the next block is mined at this instant
        request = RetirementRequest(1, 1001 + n, 1001 + n, "Acme")
        result = retire(one, one.alice, request, start=1001 + n)
        assert one.chain.w3.eth.get_block(result.block_number)["timestamp"] == timestamp(*moment)
        got.append(result.event("CreditsRetired").fields["retiredOn"])
    assert got == [expected for _moment, expected in moments]


def test_retirement_ids_increase_by_one(one: Ledger) -> None:
    transfer(one, one.alice, 1, 1501, 2000, one.bob, start=1001)
    ids = [
        retire(one, one.alice, RetirementRequest(1, 1001, 1010, "A"), start=1001),
        retire(one, one.bob, RetirementRequest(1, 1501, 1510, "B"), start=1501),
        retire(one, one.alice, RetirementRequest(1, 1011, 1011, "C"), start=1011),
    ]
    assert [r.event("CreditsRetired").fields["retirementId"] for r in ids] == [1, 2, 3]
    assert one.admin.contract.functions.retirementCount().call() == 3


def test_retire_spanning_adjacent_ranges_leaves_one_retired_range(one: Ledger) -> None:
    transfer(one, one.alice, 1, 1101, 1200, one.bob, start=1001)
    transfer(one, one.bob, 1, 1101, 1200, one.alice, start=1101)  # alice: 3 adjacent ranges
    retire(one, one.alice, RetirementRequest(1, 1051, 1250, "Acme"), start=1001)
    assert ranges(one, 1) == [
        (1001, 1050, "alice", HELD),
        (1051, 1250, "alice", RETIRED),
        (1251, 2000, "alice", HELD),
    ]


def test_retirement_is_permanent(one: Ledger) -> None:
    retire(one, one.alice, RetirementRequest(1, 1001, 1100, "Acme"), start=1001)
    with reverts(InsufficientCredits, **_insufficient(one.alice, 1001, 1100)):
        attempt(one.alice, retire_fn(one.alice, RetirementRequest(1, 1001, 1100, "X"), 1001))
    with reverts(InsufficientCredits, **_insufficient(one.alice, 1050, 1150)):
        attempt(one.alice, retire_fn(one.alice, RetirementRequest(1, 1050, 1150, "X"), 1001))
    for call in (
        one.alice.contract.functions.detokenise(1, 1001, 1001, 1001, "ref"),
        one.alice.contract.functions.transfer(1, 1001, 1001, one.bob.account, 1001),
    ):
        with reverts(InsufficientCredits, **_insufficient(one.alice, 1001, 1001)):
            attempt(one.alice, call)


def test_client_retire_quantity_retires_the_lowest_serials(one: Ledger) -> None:
    transfer(one, one.alice, 1, 1051, 1100, one.bob, start=1001)
    results = one.alice.retire_quantity(1, 80, "Acme", Purpose.COMPLIANCE, jurisdiction="DE")
    assert [(r.retirement_id, r.first_serial, r.last_serial) for r in results] == [
        (1, 1001, 1050),
        (2, 1101, 1130),
    ]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(20241301, 20241231, id="month-13"),
        pytest.param(20240101, 20231231, id="end-before-start"),
        pytest.param(2024, 2024, id="year-only"),
    ],
)
def test_retire_refuses_a_malformed_consumption_period(one: Ledger, start: int, end: int) -> None:
    raw = list(RetirementRequest(1, 1001, 1001, "Acme").as_abi())
    raw[6], raw[7] = start, end
    with reverts(InvalidConsumptionPeriod, consumptionStart=start, consumptionEnd=end):
        attempt(one.alice, one.alice.contract.functions.retire(tuple(raw), 1001))


# ---------------------------------------------------------------- mirrored registry retirements


def _record_fn(client: LedgerClient, request: RetirementRequest, start: int, on: int) -> Any:
    return client.contract.functions.recordRegistryRetirement(request.as_abi(), start, on)


def test_record_registry_retirement_is_mirrored_with_the_registry_date(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 100, ledger.issuer)  # bridged to the registry's own account
    request = RetirementRequest(1, 11, 20, "Registry beneficiary", Purpose.VOLUNTARY, "GB")
    result = send(ledger.issuer, _record_fn(ledger.issuer, request, 1, 20200615))
    expect_events(
        result,
        moved(1, ledger.issuer, ledger.issuer, 11, 20, RETIRED, ledger.issuer),
        (
            "CreditsRetired",
            {
                "retirementId": 1,
                "holder": addr(ledger.issuer),
                "retirement": retirement_fields(request),
                "retiredOn": 20200615,
                "mirrored": True,
                "actor": addr(ledger.issuer),
                "labels": 0,
            },
        ),
    )
    assert batch(ledger, 1).retired == 10
    # The client's wrapper does the same.
    mirrored = ledger.issuer.record_registry_retirement(
        RetirementRequest(1, 21, 21, "Other"), 20200101
    )
    assert mirrored.retirement_id == 2
    assert mirrored.event("CreditsRetired").fields["retiredOn"] == 20200101


@pytest.mark.parametrize(
    ("purpose", "label"),
    [(Purpose.CORSIA, Label.CORSIA_ELIGIBLE), (Purpose.ARTICLE6, Label.ARTICLE6_AUTHORISED)],
)
def test_a_registrys_own_retirement_needs_only_the_label_naming_its_use(
    ledger: Ledger, purpose: Purpose, label: Label
) -> None:
    # What the registry recorded is replayed as it made it, adjustment or not; a buyer's
    # retirement of the same 2021 batch here needs the corresponding adjustment too.
    vintage = {"vintage_start": dt.date(2021, 1, 1), "vintage_end": dt.date(2021, 12, 31)}
    bridge_range(ledger, 1, 100, ledger.issuer, labels=label, **vintage)
    buyer = RetirementRequest(1, 1, 1, "Airline", purpose)
    with reverts(LabelRequired, batchId=1, label=int(Label.CORRESPONDING_ADJUSTMENT)):
        attempt(ledger.issuer, retire_fn(ledger.issuer, buyer, 1))
    request = RetirementRequest(1, 1, 10, "Airline", purpose)
    mirrored = ledger.issuer.record_registry_retirement(request, 20220301)
    assert mirrored.event("CreditsRetired").fields["mirrored"] is True
    assert mirrored.event("CreditsRetired").fields["labels"] == int(label)
    # Without even the label naming the use, the registry's record is refused too.
    bridge_range(ledger, 101, 200, ledger.issuer, **vintage)
    with reverts(LabelRequired, batchId=2, label=int(label)):
        attempt(
            ledger.issuer,
            _record_fn(ledger.issuer, RetirementRequest(2, 101, 101, "A", purpose), 101, 20220301),
        )


@pytest.mark.parametrize("who", ["alice", "gs_issuer", "admin"])
def test_record_registry_retirement_needs_the_programmes_issuer(ledger: Ledger, who: str) -> None:
    client: LedgerClient = getattr(ledger, who)
    bridge_range(ledger, 1, 100, client if who != "admin" else ledger.alice)
    request = RetirementRequest(1, 1, 1, "X")
    with reverts(AccessControlUnauthorizedAccount, account=addr(client), neededRole=_role(ledger)):
        attempt(client, _record_fn(client, request, 1, 20200615))


@pytest.mark.parametrize(
    "on",
    [0, 20191301, 20190001, 20190100, 20190132, 18991231, 100000101, 2019],
)
def test_record_registry_retirement_refuses_bad_dates(ledger: Ledger, on: int) -> None:
    bridge_range(ledger, 1, 100, ledger.issuer)
    request = RetirementRequest(1, 1, 1, "X")
    with reverts(InvalidDate, date=on):
        attempt(ledger.issuer, _record_fn(ledger.issuer, request, 1, on))


def test_record_registry_retirement_other_refusals(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 100)  # held by alice, not by the registry
    request = RetirementRequest(1, 1, 1, "X")
    with reverts(InsufficientCredits, **_insufficient(ledger.issuer, 1, 1)):
        attempt(ledger.issuer, _record_fn(ledger.issuer, request, 1, 20200615))
    with reverts(UnknownBatch, batchId=5):
        attempt(ledger.issuer, _record_fn(ledger.issuer, RetirementRequest(5, 1, 1, "X"), 1, 1))
    with reverts(LabelRequired, batchId=1, label=int(Label.CORSIA_ELIGIBLE)):
        corsia = RetirementRequest(1, 1, 1, "X", Purpose.CORSIA)
        attempt(ledger.issuer, _record_fn(ledger.issuer, corsia, 1, 20200615))
    ledger.admin.pause()
    with reverts(EnforcedPause):
        attempt(ledger.issuer, _record_fn(ledger.issuer, request, 1, 20200615))


# ---------------------------------------------------------------- detokenise


def _detok_fn(client: LedgerClient, first: int, last: int, start: int, ref: str = "R-1") -> Any:
    return client.contract.functions.detokenise(1, first, last, start, ref)


def test_detokenise_burns_the_serials_with_the_registry_reference(one: Ledger) -> None:
    result = send(one.alice, _detok_fn(one.alice, 1901, 2000, 1001, "VCS-RETURN-42"))
    expect_events(
        result,
        moved(1, one.alice, one.alice, 1901, 2000, DETOKENISED, one.alice),
        (
            "CreditsDetokenised",
            {
                "batchId": 1,
                "holder": addr(one.alice),
                "firstSerial": 1901,
                "lastSerial": 2000,
                "registryReference": "VCS-RETURN-42",
            },
        ),
    )
    assert ranges(one, 1) == [(1001, 1900, "alice", HELD), (1901, 2000, "alice", DETOKENISED)]
    b = batch(one, 1)
    assert (b.detokenised, b.held) == (100, 900)


def test_detokenised_serials_cannot_be_detokenised_again(one: Ledger) -> None:
    # The refusals every holdings operation shares are in test_holder_refusals.py.
    send(one.alice, _detok_fn(one.alice, 1001, 1001, 1001))
    with reverts(InsufficientCredits, **_insufficient(one.alice, 1001, 1001)):
        attempt(one.alice, _detok_fn(one.alice, 1001, 1001, 1001))


# ---------------------------------------------------------------- cancel


def _cancel_fn(
    client: LedgerClient, holder: Any, first: int, last: int, start: int, batch_id: int = 1
) -> Any:
    return client.contract.functions.cancel(
        batch_id, to_checksum(holder), first, last, start, "registry reversal"
    )


def test_cancel_by_the_programme_admin_records_the_reason_and_actor(one: Ledger) -> None:
    result = send(one.admin, _cancel_fn(one.admin, one.alice, 1401, 1500, 1001))
    expect_events(
        result,
        moved(1, one.alice, one.alice, 1401, 1500, CANCELLED, one.admin),
        (
            "CreditsCancelled",
            {
                "batchId": 1,
                "holder": addr(one.alice),
                "firstSerial": 1401,
                "lastSerial": 1500,
                "reason": "registry reversal",
                "actor": addr(one.admin),
            },
        ),
    )
    assert ranges(one, 1) == [
        (1001, 1400, "alice", HELD),
        (1401, 1500, "alice", CANCELLED),
        (1501, 2000, "alice", HELD),
    ]
    b = batch(one, 1)
    assert (b.cancelled, b.held) == (100, 900)


@pytest.mark.parametrize("freeze", ["holder", "batch", "holder-off-allowlist", "all"])
def test_cancel_works_despite_freezes(one: Ledger, freeze: str) -> None:
    if freeze in ("holder", "all"):
        one.admin.set_account(one.alice.account, allowed=True, frozen=True)
    if freeze == "holder-off-allowlist":
        one.admin.set_account(one.alice.account, allowed=False, frozen=False)
    if freeze in ("batch", "all"):
        one.admin.set_batch_frozen(1, True)
    send(one.admin, _cancel_fn(one.admin, one.alice, 1001, 2000, 1001))
    assert batch(one, 1).cancelled == 1000


def test_cancel_is_refused_while_paused(one: Ledger) -> None:
    one.admin.pause()
    with reverts(EnforcedPause):
        attempt(one.admin, _cancel_fn(one.admin, one.alice, 1001, 1001, 1001))


@pytest.mark.parametrize("who", ["issuer", "alice", "gs_issuer", "outsider"])
def test_cancelling_anothers_credits_needs_the_programme_admin(one: Ledger, who: str) -> None:
    client: LedgerClient = getattr(one, who)
    # Only an issuer gets as far as the holder check; anyone else lacks the issuer role.
    role = one.admin.program_admin_role(one.vcs) if who == "issuer" else _role(one)
    with reverts(AccessControlUnauthorizedAccount, account=addr(client), neededRole=role):
        attempt(client, _cancel_fn(client, one.alice, 1001, 1001, 1001))


def test_an_issuer_cancels_only_what_it_holds_itself(one: Ledger) -> None:
    transfer(one, one.alice, 1, 1001, 1010, one.issuer, start=1001)
    send(one.issuer, _cancel_fn(one.issuer, one.issuer, 1001, 1005, 1001))
    assert batch(one, 1).cancelled == 5
    # Holding credits does not make an account an issuer.
    with reverts(AccessControlUnauthorizedAccount, account=addr(one.bob), neededRole=_role(one)):
        attempt(one.bob, _cancel_fn(one.bob, one.bob, 1001, 1001, 1001))


def test_cancel_refusals(one: Ledger) -> None:
    transfer(one, one.alice, 1, 1501, 1600, one.bob, start=1001)
    with reverts(UnknownBatch, batchId=2):
        attempt(one.admin, _cancel_fn(one.admin, one.alice, 1001, 1001, 1001, batch_id=2))
    with reverts(UnknownBatch, batchId=2):  # before the role check: the batch names the role
        attempt(one.outsider, _cancel_fn(one.outsider, one.alice, 1001, 1001, 1001, batch_id=2))
    with reverts(InsufficientCredits, **_insufficient(one.bob, 1001, 1001)):
        attempt(one.admin, _cancel_fn(one.admin, one.bob, 1001, 1001, 1001))
    with reverts(InsufficientCredits, **_insufficient(one.alice, 1401, 1550)):
        attempt(one.admin, _cancel_fn(one.admin, one.alice, 1401, 1550, 1001))
    with reverts(InvalidRangeHint, batchId=1, rangeStart=1002):
        attempt(one.admin, _cancel_fn(one.admin, one.alice, 1002, 1002, 1002))
    with reverts(InvalidSerialRange, first=1002, last=1001):
        attempt(one.admin, _cancel_fn(one.admin, one.alice, 1002, 1001, 1001))
    retire(one, one.bob, RetirementRequest(1, 1501, 1510, "Acme"), start=1501)
    with reverts(InsufficientCredits, **_insufficient(one.bob, 1501, 1501)):
        attempt(one.admin, _cancel_fn(one.admin, one.bob, 1501, 1501, 1501))


def test_cancel_spanning_adjacent_ranges_of_the_holder(one: Ledger) -> None:
    transfer(one, one.alice, 1, 1101, 1200, one.bob, start=1001)
    transfer(one, one.bob, 1, 1101, 1200, one.alice, start=1101)
    one.admin.cancel(1, one.alice.account, 1051, 1250, "reversal")  # the client form
    assert ranges(one, 1) == [
        (1001, 1050, "alice", HELD),
        (1051, 1250, "alice", CANCELLED),
        (1251, 2000, "alice", HELD),
    ]


@pytest.mark.parametrize(("first", "last"), [(1500, 1600), (5000, 6000)])
def test_cancel_for_the_zero_holder_is_refused(one: Ledger, first: int, last: int) -> None:
    with reverts(InsufficientCredits, **_insufficient(ZERO, first, last)):
        attempt(one.admin, _cancel_fn(one.admin, ZERO, first, last, 1001))


def test_cancel_for_the_zero_holder_cannot_break_conservation(one: Ledger) -> None:
    with contextlib.suppress(InsufficientCredits):  # the correct behaviour: nothing happens
        send(one.admin, _cancel_fn(one.admin, ZERO, 1500, 1600, 1001))
    b = batch(one, 1)
    held = one.admin.balance_of(one.alice.account, 1)
    assert held + b.retired + b.detokenised + b.cancelled == b.quantity


def test_cancel_for_the_zero_holder_cannot_rewrite_a_retirement(one: Ledger) -> None:
    retire(one, one.alice, RetirementRequest(1, 1001, 1100, "Acme"), start=1001)
    with contextlib.suppress(InsufficientCredits, InvalidRangeHint):  # correct: refused
        send(one.admin, _cancel_fn(one.admin, ZERO, 1001, 1050, 1001))
    status = one.admin.contract.functions.serialStatus(1, 1001, 1001).call()
    assert status == [one.alice.account, RETIRED]


def test_record_registry_retirement_cannot_be_backdated_before_the_vintage(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 100, ledger.issuer)  # vintage 2020-01-01..2020-12-31
    request = RetirementRequest(1, 1, 1, "X")
    with reverts(InvalidDate, date=20191231):
        attempt(ledger.issuer, _record_fn(ledger.issuer, request, 1, 20191231))
    send(ledger.issuer, _record_fn(ledger.issuer, request, 1, 20200101))


def test_record_registry_retirement_refuses_a_future_date(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 100, ledger.issuer)
    request = RetirementRequest(1, 1, 1, "X")
    with reverts(InvalidDate, date=99991231):
        attempt(ledger.issuer, _record_fn(ledger.issuer, request, 1, 99991231))


def test_a_retirement_records_its_note(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 100)
    note = "Retired on behalf of the Lindblad Expeditions family of companies 2025 emissions."
    result = ledger.alice.retire(RetirementRequest(1, 1, 10, "Lindblad", note=note))
    assert result.event("CreditsRetired").fields["retirement"]["note"] == note
