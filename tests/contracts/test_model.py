"""Unit tests of the reference model alone (no chain): splits, spanning moves, errors and the
order in which they are checked."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.domain import Label, Purpose, RangeState
from tests.contracts.model import (
    COMPLIANCE_ROLE,
    DEFAULT_ADMIN_ROLE,
    PAUSER_ROLE,
    ZERO_ADDRESS,
    LedgerModel,
    ModelError,
    issuer_role,
    program_admin_role,
    project_key,
)

ADMIN = "0x" + "aa" * 20
ISSUER = "0x" + "11" * 20
ISSUER2 = "0x" + "12" * 20
GS_ISSUER = "0x" + "22" * 20
ALICE = "0x" + "a1" * 20
BOB = "0x" + "b0" * 20
CAROL = "0x" + "c0" * 20
OUTSIDER = "0x" + "ee" * 20
NS = "VCS-NS-A"
HELD, RETIRED = RangeState.HELD, RangeState.RETIRED
VCS, GS = 1, 2


@pytest.fixture
def m() -> LedgerModel:
    model = LedgerModel(ADMIN)
    assert model.register_program(ADMIN, b"VCS") == VCS
    assert model.register_program(ADMIN, b"GS") == GS
    model.grant_role(ADMIN, issuer_role(VCS), ISSUER)
    model.grant_role(ADMIN, issuer_role(VCS), ISSUER2)
    model.grant_role(ADMIN, issuer_role(GS), GS_ISSUER)
    model.grant_role(ADMIN, COMPLIANCE_ROLE, ADMIN)
    model.grant_role(ADMIN, PAUSER_ROLE, ADMIN)
    for account in (ISSUER, ISSUER2, GS_ISSUER, ALICE, BOB, CAROL):
        model.set_account(ADMIN, account, True, False)
    model.register_project(ISSUER, VCS, "1340")
    model.register_project(GS_ISSUER, GS, "GS11236")
    return model


def bridge(m: LedgerModel, first: int, last: int, **kw: Any) -> int:
    sender = kw.pop("sender", ISSUER)
    program = kw.pop("program_id", VCS)
    args: dict[str, Any] = {
        "program_id": program,
        "project_key": project_key(program, "1340" if program == VCS else "GS11236"),
        "namespace": NS,
        "first": first,
        "last": last,
        "recipient": ALICE,
        "vintage_start": 20200101,
        "vintage_end": 20201231,
        "labels": 0,
    }
    args.update(kw)
    return m.bridge(sender, **args)


def raises(name: str, fn: Any, *args: Any, **kw: Any) -> ModelError:
    with pytest.raises(ModelError) as info:
        fn(*args, **kw)
    assert info.value.error_name == name, info.value
    return info.value


def unchanged(m: LedgerModel, name: str, fn: Any, *args: Any, **kw: Any) -> ModelError:
    """``fn`` raises ``name`` and leaves the model exactly as it was."""
    before = copy.deepcopy(m.__dict__)
    err = raises(name, fn, *args, **kw)
    assert m.__dict__ == before
    return err


# ---------------------------------------------------------------- splits


def test_setup_counts_audited_events(m: LedgerModel) -> None:
    # 1 constructor grant + 2 programmes (each granting its admin role) + 5 grants + 6 accounts
    # + 2 projects
    assert m.audit_seq == 18


def test_bridge_makes_one_range(m: LedgerModel) -> None:
    seq = m.audit_seq
    assert bridge(m, 101, 200) == 1
    assert m.ranges(1) == [(101, 200, ALICE, HELD)]
    t = m.batch(1)
    assert (t.first_serial, t.quantity, t.held) == (101, 100, 100)
    assert m.audit_seq == seq + 2
    m.check_invariants()


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (101, 200, [(101, 200, BOB)]),
        (101, 110, [(101, 110, BOB), (111, 200, ALICE)]),
        (191, 200, [(101, 190, ALICE), (191, 200, BOB)]),
        (150, 150, [(101, 149, ALICE), (150, 150, BOB), (151, 200, ALICE)]),
    ],
)
def test_transfer_splits(
    m: LedgerModel, first: int, last: int, expected: list[tuple[int, int, str]]
) -> None:
    bridge(m, 101, 200)
    m.transfer(ALICE, 1, first, last, BOB)
    assert m.ranges(1) == [(a, b, h, HELD) for a, b, h in expected]
    assert m.balance_of(BOB, 1) == last - first + 1
    m.check_invariants()


def test_transfer_to_self_is_refused(m: LedgerModel) -> None:
    bridge(m, 1, 10)
    err = unchanged(m, "SelfTransfer", m.transfer, ALICE, 1, 4, 6, ALICE)
    assert err.arguments == {"account": ALICE}


def test_a_round_trip_leaves_adjacent_ranges_unmerged(m: LedgerModel) -> None:
    bridge(m, 1, 10)
    m.transfer(ALICE, 1, 4, 6, BOB)
    m.transfer(BOB, 1, 4, 6, ALICE)
    assert m.ranges(1) == [(1, 3, ALICE, HELD), (4, 6, ALICE, HELD), (7, 10, ALICE, HELD)]
    assert m.holder_runs(1, ALICE) == [(1, 10)]


def test_move_spanning_adjacent_ranges_of_one_holder_yields_one_range(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    m.transfer(ALICE, 1, 11, 20, BOB)
    m.transfer(BOB, 1, 11, 20, ALICE)  # 1-10, 11-20, 21-30, all Alice's
    m.transfer(ALICE, 1, 5, 25, BOB, range_start=1)
    assert m.ranges(1) == [(1, 4, ALICE, HELD), (5, 25, BOB, HELD), (26, 30, ALICE, HELD)]
    m.check_invariants()


def test_spanning_whole_ranges_exactly(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    m.transfer(ALICE, 1, 11, 20, BOB)
    m.transfer(BOB, 1, 11, 20, ALICE)
    m.retire(ALICE, 1, 1, 30)
    assert m.ranges(1) == [(1, 30, ALICE, RETIRED)]
    assert m.batch(1).retired == 30


def test_spanning_through_someone_elses_range_fails(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    m.transfer(ALICE, 1, 11, 20, BOB)
    err = unchanged(m, "InsufficientCredits", m.transfer, ALICE, 1, 5, 25, CAROL)
    assert err.arguments == {"holder": ALICE, "batchId": 1, "first": 5, "last": 25}


def test_spanning_through_a_spent_range_of_the_same_holder_fails(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    m.retire(ALICE, 1, 11, 20)
    unchanged(m, "InsufficientCredits", m.transfer, ALICE, 1, 5, 25, BOB)


def test_running_past_the_end_of_the_batch_fails(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    bridge(m, 31, 40)  # adjacent serials, but another batch
    err = unchanged(m, "InsufficientCredits", m.transfer, ALICE, 1, 25, 35, BOB)
    assert err.arguments["last"] == 35


def test_retired_range_cannot_move_again(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    m.retire(ALICE, 1, 1, 10)
    unchanged(m, "InsufficientCredits", m.transfer, ALICE, 1, 1, 5, BOB)
    unchanged(m, "InsufficientCredits", m.retire, ALICE, 1, 1, 5)
    unchanged(m, "InsufficientCredits", m.cancel, ADMIN, 1, ALICE, 1, 5)


def test_ids_and_totals(m: LedgerModel) -> None:
    bridge(m, 1, 100)
    assert m.retire(ALICE, 1, 1, 10) == 1
    assert m.retire(ALICE, 1, 11, 15) == 2
    m.detokenise(ALICE, 1, 16, 20)
    m.cancel(ADMIN, 1, ALICE, 21, 29)
    t = m.batch(1)
    assert (t.retired, t.detokenised, t.cancelled, t.held) == (15, 5, 9, 71)
    assert m.ranges(1) == [
        (1, 10, ALICE, RETIRED),
        (11, 15, ALICE, RETIRED),
        (16, 20, ALICE, RangeState.DETOKENISED),
        (21, 29, ALICE, RangeState.CANCELLED),
        (30, 100, ALICE, HELD),
    ]
    m.check_invariants()


# ---------------------------------------------------------------- hints


def test_reversed_range_is_reported_before_the_hint(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    err = unchanged(m, "InvalidSerialRange", m.transfer, ALICE, 1, 9, 8, BOB, range_start=77)
    assert err.arguments == {"first": 9, "last": 8}


def test_hint_must_be_the_start_of_the_range_containing_first(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    m.transfer(ALICE, 1, 11, 20, BOB)
    m.transfer(BOB, 1, 15, 16, CAROL, range_start=11)
    for bad in (12, 1, 21, 0):
        err = unchanged(m, "InvalidRangeHint", m.transfer, BOB, 1, 17, 18, CAROL, range_start=bad)
        assert err.arguments == {"batchId": 1, "rangeStart": bad}


def test_serials_outside_the_batch_have_no_range(m: LedgerModel) -> None:
    bridge(m, 10, 30)
    err = unchanged(m, "InvalidRangeHint", m.transfer, ALICE, 1, 5, 12, BOB)
    assert err.arguments == {"batchId": 1, "rangeStart": 5}
    unchanged(m, "InvalidRangeHint", m.retire, ALICE, 1, 31, 31)


# ---------------------------------------------------------------- precedence of holder operations


def test_pause_comes_first_then_batch_then_accounts(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    m.set_account(ADMIN, ALICE, True, True)
    m.set_batch_frozen(ADMIN, 1, True)
    m.pause(ADMIN)
    unchanged(m, "EnforcedPause", m.transfer, OUTSIDER, 99, 5, 1, OUTSIDER)
    m.unpause(ADMIN)
    unchanged(m, "SelfTransfer", m.transfer, OUTSIDER, 99, 5, 1, OUTSIDER)
    unchanged(m, "UnknownBatch", m.transfer, OUTSIDER, 99, 5, 1, CAROL)
    unchanged(m, "BatchFrozen", m.transfer, OUTSIDER, 1, 5, 1, CAROL)
    m.set_batch_frozen(ADMIN, 1, False)
    unchanged(m, "AccountNotAllowed", m.transfer, OUTSIDER, 1, 5, 1, BOB)
    err = unchanged(m, "AccountFrozen", m.transfer, ALICE, 1, 5, 1, OUTSIDER)
    assert err.arguments == {"account": ALICE}
    m.set_account(ADMIN, ALICE, True, False)
    err = unchanged(m, "AccountNotAllowed", m.transfer, ALICE, 1, 5, 1, OUTSIDER)
    assert err.arguments == {"account": OUTSIDER}
    unchanged(m, "InvalidSerialRange", m.transfer, ALICE, 1, 5, 1, BOB)


def test_not_allowed_is_reported_before_frozen(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    m.set_account(ADMIN, BOB, False, True)
    unchanged(m, "AccountNotAllowed", m.transfer, ALICE, 1, 1, 1, BOB)
    m.set_account(ADMIN, BOB, True, True)
    unchanged(m, "AccountFrozen", m.transfer, ALICE, 1, 1, 1, BOB)


def test_purpose_labels_gate_retirement(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    err = unchanged(m, "LabelRequired", m.retire, ALICE, 1, 1, 1, Purpose.CORSIA)
    assert err.arguments == {"batchId": 1, "label": 1}
    err = unchanged(m, "LabelRequired", m.retire, ALICE, 1, 1, 1, Purpose.ARTICLE6)
    assert err.arguments == {"batchId": 1, "label": 4 | 8}
    m.set_labels(ADMIN, 1, int(Label.CORSIA_ELIGIBLE | Label.CCP_APPROVED))
    m.retire(ALICE, 1, 2, 2, Purpose.CORSIA)
    err = unchanged(m, "LabelRequired", m.retire, ALICE, 1, 3, 3, Purpose.ARTICLE6)
    assert err.arguments == {"batchId": 1, "label": 4 | 8}
    # Retirements relied on the labels: they are fixed from now on.
    unchanged(m, "LabelsLocked", m.set_labels, ADMIN, 1, int(Label.ARTICLE6_AUTHORISED))
    m.retire(ALICE, 1, 1, 1, Purpose.COMPLIANCE)


def test_corsia_first_phase_needs_the_corresponding_adjustment(m: LedgerModel) -> None:
    bridge(m, 1, 30, vintage_start=20210101, vintage_end=20211231, labels=1)
    err = unchanged(m, "LabelRequired", m.retire, ALICE, 1, 1, 1, Purpose.CORSIA)
    assert err.arguments == {"batchId": 1, "label": 8}
    m.set_labels(ADMIN, 1, 1 | 8)
    m.retire(ALICE, 1, 1, 1, Purpose.CORSIA)


def test_issuer_cancels_only_its_own_credits(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    err = unchanged(m, "AccessControlUnauthorizedAccount", m.cancel, ISSUER, 1, ALICE, 1, 1)
    assert err.arguments["neededRole"] == program_admin_role(VCS)
    m.transfer(ALICE, 1, 1, 5, ISSUER)
    m.cancel(ISSUER, 1, ISSUER, 1, 5)
    assert m.batch(1).cancelled == 5


def test_label_is_checked_before_holdings(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    unchanged(m, "LabelRequired", m.retire, BOB, 1, 1, 1, Purpose.CORSIA)
    unchanged(m, "LabelRequired", m.retire, ALICE, 1, 40, 41, Purpose.CORSIA)


def test_detokenise_needs_an_active_holder(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    m.set_account(ADMIN, ALICE, True, True)
    unchanged(m, "AccountFrozen", m.detokenise, ALICE, 1, 1, 5)
    m.set_account(ADMIN, ALICE, True, False)
    m.detokenise(ALICE, 1, 1, 5)
    assert m.batch(1).detokenised == 5


# ---------------------------------------------------------------- issuers


def test_cancel_ignores_freezes_but_not_the_pause(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    m.set_account(ADMIN, ALICE, False, True)
    m.set_batch_frozen(ADMIN, 1, True)
    m.cancel(ADMIN, 1, ALICE, 1, 10)
    m.pause(ADMIN)
    unchanged(m, "EnforcedPause", m.cancel, ADMIN, 1, ALICE, 11, 12)


def test_cancel_precedence(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    unchanged(m, "UnknownBatch", m.cancel, OUTSIDER, 7, ALICE, 1, 1)
    err = unchanged(m, "AccessControlUnauthorizedAccount", m.cancel, GS_ISSUER, 1, ALICE, 1, 1)
    assert err.arguments == {"account": GS_ISSUER, "neededRole": issuer_role(VCS)}
    unchanged(m, "InsufficientCredits", m.cancel, ADMIN, 1, BOB, 1, 1)


def test_cancel_of_the_zero_address_holds_nothing(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    err = unchanged(m, "InsufficientCredits", m.cancel, ADMIN, 1, ZERO_ADDRESS, 5, 9)
    assert err.arguments == {"holder": ZERO_ADDRESS, "batchId": 1, "first": 5, "last": 9}
    # refused before the range and the hint are even looked at
    unchanged(m, "InsufficientCredits", m.cancel, ADMIN, 1, ZERO_ADDRESS, 510, 500, 3)
    unchanged(m, "AccessControlUnauthorizedAccount", m.cancel, ALICE, 1, ZERO_ADDRESS, 5, 9)


def test_the_zero_address_is_not_an_account(m: LedgerModel) -> None:
    unchanged(
        m, "AccessControlUnauthorizedAccount", m.set_account, ALICE, ZERO_ADDRESS, True, False
    )
    err = unchanged(m, "InvalidAccount", m.set_account, ADMIN, ZERO_ADDRESS, True, False)
    assert err.arguments == {"account": ZERO_ADDRESS}
    unchanged(m, "AccountNotAllowed", bridge, m, 1, 2, recipient=ZERO_ADDRESS)


@pytest.mark.parametrize(
    ("period", "valid"),
    [
        ((0, 0), True),
        ((20240101, 20241231), True),
        ((20240101, 20240101), True),
        ((0, 20241231), True),  # an end alone is accepted
        ((20240101, 0), False),  # a start needs an end
        ((20241231, 20240101), False),
        ((20241301, 20241231), False),
        ((20240101, 20240132), False),
        ((18991231, 20240101), False),
    ],
)
def test_consumption_period(m: LedgerModel, period: tuple[int, int], valid: bool) -> None:
    bridge(m, 1, 30)
    if valid:
        m.retire(ALICE, 1, 1, 1, consumption=period)
        return
    err = unchanged(m, "InvalidConsumptionPeriod", m.retire, ALICE, 1, 1, 1, consumption=period)
    assert err.arguments == {"consumptionStart": period[0], "consumptionEnd": period[1]}


def test_consumption_period_precedence(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    bad = (20241231, 20240101)
    m.set_account(ADMIN, BOB, True, True)
    unchanged(m, "AccountFrozen", m.retire, BOB, 1, 1, 1, Purpose.CORSIA, consumption=bad)
    unchanged(m, "InvalidConsumptionPeriod", m.retire, ALICE, 1, 1, 1, Purpose.CORSIA, None, bad)
    unchanged(m, "LabelRequired", m.retire, ALICE, 1, 1, 1, Purpose.CORSIA)


def test_set_labels_precedence_and_pause(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    unchanged(m, "UnknownBatch", m.set_labels, ALICE, 2, 99)
    unchanged(m, "AccessControlUnauthorizedAccount", m.set_labels, ISSUER, 1, 99)
    err = unchanged(m, "UnknownLabels", m.set_labels, ADMIN, 1, 16)
    assert err.arguments == {"labels": 16}
    m.pause(ADMIN)
    unchanged(m, "EnforcedPause", m.set_labels, ADMIN, 1, 15)
    m.unpause(ADMIN)
    m.set_labels(ADMIN, 1, 15)
    assert m.batch(1).labels == 15


def test_set_batch_frozen_checks_role_before_batch(m: LedgerModel) -> None:
    err = unchanged(m, "AccessControlUnauthorizedAccount", m.set_batch_frozen, ISSUER, 9, True)
    assert err.arguments["neededRole"] == COMPLIANCE_ROLE
    unchanged(m, "UnknownBatch", m.set_batch_frozen, ADMIN, 9, True)


def test_pause_and_unpause(m: LedgerModel) -> None:
    unchanged(m, "AccessControlUnauthorizedAccount", m.pause, ALICE)
    unchanged(m, "ExpectedPause", m.unpause, ADMIN)
    m.pause(ADMIN)
    unchanged(m, "AccessControlUnauthorizedAccount", m.unpause, ALICE)
    unchanged(m, "EnforcedPause", m.pause, ADMIN)
    m.set_account(ADMIN, CAROL, True, True)  # compliance keeps working while paused
    m.unpause(ADMIN)
    assert not m.paused


# ---------------------------------------------------------------- bridging


def test_bridge_precedence_peels_one_error_at_a_time(m: LedgerModel) -> None:
    bad: dict[str, Any] = {
        "first": 9,
        "last": 8,
        "namespace": "",
        "vintage_start": 20201301,
        "labels": 16,
        "project_key": b"\x42" * 32,
        "recipient": OUTSIDER,
    }
    m.pause(ADMIN)
    unchanged(m, "EnforcedPause", bridge, m, sender=ALICE, **bad)
    m.unpause(ADMIN)
    unchanged(m, "AccessControlUnauthorizedAccount", bridge, m, sender=GS_ISSUER, **bad)
    fixes: list[tuple[str, dict[str, Any]]] = [
        ("InvalidSerialRange", {"first": 1, "last": 10}),
        ("InvalidNamespace", {"namespace": NS}),
        ("InvalidVintage", {"vintage_start": 20200101}),
        ("UnknownLabels", {"labels": 15}),
        ("UnknownProject", {"project_key": project_key(VCS, "1340")}),
        ("AccountNotAllowed", {"recipient": BOB}),
    ]
    for name, fix in fixes:
        unchanged(m, name, bridge, m, **bad)
        bad.update(fix)
    assert bridge(m, **bad) == 1


def test_bridge_error_arguments(m: LedgerModel) -> None:
    err = raises("UnknownProject", bridge, m, 1, 2, project_key=project_key(GS, "GS11236"))
    assert err.arguments == {"projectKey": project_key(GS, "GS11236"), "programId": VCS}
    err = raises("InvalidVintage", bridge, m, 1, 2, vintage_start=20201231, vintage_end=20200101)
    assert err.arguments == {"vintageStart": 20201231, "vintageEnd": 20200101}
    m.set_account(ADMIN, CAROL, True, True)
    err = raises("AccountFrozen", bridge, m, 1, 2, recipient=CAROL)
    assert err.arguments == {"account": CAROL}


@pytest.mark.parametrize(
    "vintage", [0, 18991231, 20200001, 20201301, 20200100, 20200132, 20200230, 20210229, 19000229]
)
def test_bad_vintage_dates(m: LedgerModel, vintage: int) -> None:
    raises("InvalidVintage", bridge, m, 1, 2, vintage_start=vintage)
    raises("InvalidVintage", bridge, m, 1, 2, vintage_end=vintage)


def test_serial_range_limits(m: LedgerModel) -> None:
    raises("InvalidSerialRange", bridge, m, 5, 2**64 - 1)
    raises("InvalidSerialRange", bridge, m, 0, 2**32 - 1)
    raises("InvalidSerialRange", bridge, m, 2**63 - 1, 2**63 - 1)  # past a signed SQL column
    assert bridge(m, 1, 2**32 - 1) == 1
    assert bridge(m, 2**63 - 3, 2**63 - 2) == 2


@pytest.mark.parametrize(
    ("first", "last"),
    [(100, 200), (150, 150), (50, 100), (200, 250), (50, 250), (120, 180)],
)
def test_overlap_with_an_earlier_bridging_is_refused(m: LedgerModel, first: int, last: int) -> None:
    bridge(m, 100, 200)
    err = unchanged(m, "SerialsAlreadyBridged", bridge, m, first, last, sender=ISSUER2)
    assert err.arguments == {"programId": VCS, "namespace": NS, "first": first, "last": last}


def test_overlap_is_checked_against_every_earlier_bridging(m: LedgerModel) -> None:
    for first in (10, 30, 50, 70):
        bridge(m, first, first + 9)
    bridge(m, 20, 29)  # fills a gap exactly
    unchanged(m, "SerialsAlreadyBridged", bridge, m, 40, 75)
    unchanged(m, "SerialsAlreadyBridged", bridge, m, 1, 100)
    bridge(m, 80, 80)
    bridge(m, 1, 9)
    assert m.batch_ids() == [1, 2, 3, 4, 5, 6, 7]
    m.check_invariants()


def test_namespaces_are_scoped_by_programme(m: LedgerModel) -> None:
    bridge(m, 1, 100)
    bridge(m, 1, 100, namespace="VCS-NS-B")
    bridge(m, 1, 100, sender=GS_ISSUER, program_id=GS)  # same string, other programme
    unchanged(m, "SerialsAlreadyBridged", bridge, m, 100, 100, sender=GS_ISSUER, program_id=GS)


def test_part_hint_is_checked_before_overlap(m: LedgerModel) -> None:
    bridge(m, 100, 200)
    right = m.part_hint(VCS, NS, 150)
    assert right != 0
    err = unchanged(m, "InvalidBridgeHint", bridge, m, 150, 160, part_hint=0)
    assert err.arguments == {"hint": 0}
    unchanged(m, "SerialsAlreadyBridged", bridge, m, 150, 160, part_hint=right)
    assert m.part_hint(VCS, NS, 50) == 0
    bridge(m, 300, 301, part_hint=m.part_hint(VCS, NS, 300))
    unchanged(m, "InvalidBridgeHint", bridge, m, 400, 401, part_hint=right)


# ---------------------------------------------------------------- governance


def test_programmes(m: LedgerModel) -> None:
    unchanged(m, "AccessControlUnauthorizedAccount", m.register_program, ISSUER, b"ACR")
    err = unchanged(m, "InvalidProgramCode", m.register_program, ADMIN, b"VCS")
    assert err.arguments == {"code": b"VCS".ljust(32, b"\0")}
    unchanged(m, "InvalidProgramCode", m.register_program, ADMIN, b"")
    assert m.register_program(ADMIN, b"ACR") == 3
    assert m.program_id(b"ACR") == 3


def test_roles(m: LedgerModel) -> None:
    unchanged(
        m, "AccessControlEnforcedDefaultAdminRules", m.grant_role, ALICE, DEFAULT_ADMIN_ROLE, BOB
    )
    unchanged(
        m, "AccessControlEnforcedDefaultAdminRules", m.revoke_role, ADMIN, DEFAULT_ADMIN_ROLE, ADMIN
    )
    unchanged(m, "AccessControlUnauthorizedAccount", m.grant_role, ISSUER, issuer_role(VCS), BOB)
    seq = m.audit_seq
    m.grant_role(ADMIN, issuer_role(VCS), ISSUER)  # already held: nothing happens
    m.revoke_role(ADMIN, issuer_role(GS), ISSUER)  # not held: nothing happens
    assert m.audit_seq == seq
    m.revoke_role(ADMIN, issuer_role(VCS), ISSUER2)
    assert m.audit_seq == seq + 1
    unchanged(m, "AccessControlUnauthorizedAccount", bridge, m, 1, 2, sender=ISSUER2)


def test_projects(m: LedgerModel) -> None:
    err = unchanged(m, "ProjectAlreadyRegistered", m.register_project, ISSUER2, VCS, "1340")
    assert err.arguments == {"projectKey": project_key(VCS, "1340")}
    unchanged(m, "AccessControlUnauthorizedAccount", m.register_project, GS_ISSUER, VCS, "9")
    m.grant_role(ADMIN, issuer_role(7), ISSUER)
    unchanged(m, "UnknownProgram", m.register_project, ISSUER, 7, "9")
    # no project can exist under an unregistered programme, not even "programme 0"
    err = unchanged(m, "UnknownProject", bridge, m, 1, 2, program_id=7)
    assert err.arguments == {"projectKey": project_key(7, "GS11236"), "programId": 7}
    m.grant_role(ADMIN, issuer_role(0), ISSUER)
    unchanged(m, "UnknownProject", bridge, m, 1, 2, program_id=0, project_key=b"\x42" * 32)


# ---------------------------------------------------------------- model-only property


_ACTORS = [ADMIN, ISSUER, GS_ISSUER, ALICE, BOB, CAROL, OUTSIDER, ZERO_ADDRESS]
_ACTOR = st.sampled_from(_ACTORS)


def _apply(
    m: LedgerModel, data: st.DataObject, op: str, who: str, batch: int, a: int, b: int
) -> None:
    if op == "bridge":
        bridge(m, a, b, sender=who, recipient=data.draw(_ACTOR))
    elif op == "transfer":
        m.transfer(who, batch, a, b, data.draw(_ACTOR))
    elif op == "retire":
        m.retire(who, batch, a, b, data.draw(st.sampled_from(Purpose)))
    elif op == "detok":
        m.detokenise(who, batch, a, b)
    elif op == "cancel":
        m.cancel(who, batch, data.draw(_ACTOR), a, b)
    else:
        m.set_account(ADMIN, who, data.draw(st.booleans()), False)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_random_operations_keep_the_invariants_and_failures_change_nothing(
    data: st.DataObject,
) -> None:
    m = LedgerModel(ADMIN)
    m.register_program(ADMIN, b"VCS")
    m.grant_role(ADMIN, issuer_role(VCS), ISSUER)
    m.grant_role(ADMIN, COMPLIANCE_ROLE, ADMIN)
    m.grant_role(ADMIN, PAUSER_ROLE, ADMIN)
    for account in (ISSUER, ALICE, BOB, CAROL):
        m.set_account(ADMIN, account, True, False)
    m.register_project(ISSUER, VCS, "1340")
    serial = st.integers(0, 60)
    for _ in range(data.draw(st.integers(1, 25))):
        op = data.draw(st.sampled_from(["bridge", "transfer", "retire", "detok", "cancel", "acct"]))
        batch = data.draw(st.integers(1, len(m.batches) + 1))
        a, b = data.draw(serial), data.draw(serial)
        who = data.draw(_ACTOR)
        before = copy.deepcopy(m.__dict__)
        try:
            _apply(m, data, op, who, batch, a, b)
        except ModelError:
            assert m.__dict__ == before
        m.check_invariants()
        for batch_id in m.batch_ids():
            t = m.batch(batch_id)
            held = sum(f - s + 1 for s, f, _, state in m.ranges(batch_id) if state == HELD)
            assert t.quantity == held + t.retired + t.detokenised + t.cancelled


# ---------------------------------------------------------------- correction


def test_void_frees_an_untouched_batchs_serials(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    unchanged(m, "AccessControlUnauthorizedAccount", m.void_batch, ISSUER, 1)
    unchanged(m, "InvalidNamespace", m.void_batch, ADMIN, 1, "VCS-NS-B")
    m.void_batch(ADMIN, 1)
    assert m.batch(1).cancelled == 30 and m.batch(1).held == 0
    unchanged(m, "BatchNotVoidable", m.void_batch, ADMIN, 1)
    assert bridge(m, 1, 30, recipient=BOB) == 2  # bridged again, correctly
    m.transfer(BOB, 2, 1, 30, CAROL)  # one range again, but not the first recipient's
    unchanged(m, "BatchNotVoidable", m.void_batch, ADMIN, 2)


def test_recover_moves_a_frozen_accounts_ranges(m: LedgerModel) -> None:
    bridge(m, 1, 30)
    m.transfer(ALICE, 1, 11, 20, BOB)
    unchanged(m, "AccountNotFrozen", m.recover, ADMIN, ALICE, CAROL, [(1, 1)])
    m.set_account(ADMIN, ALICE, True, True)
    unchanged(m, "AccessControlUnauthorizedAccount", m.recover, ISSUER, ALICE, CAROL, [(1, 1)])
    unchanged(m, "InsufficientCredits", m.recover, ADMIN, ALICE, CAROL, [(1, 1), (1, 11)])
    m.recover(ADMIN, ALICE, CAROL, [(1, 1), (1, 21)])
    assert m.balance_of(CAROL, 1) == 20 and m.balance_of(ALICE, 1) == 0
