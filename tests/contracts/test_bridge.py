"""Bridging: batch creation, range and field validation, the sorted bridged-part list with its
O(1) hint check, overlap refusal for every shape, permissions and pausing."""

from __future__ import annotations

import dataclasses

import pytest

from chain.client import LedgerClient
from chain.domain import Label, RangeState, RetirementRequest
from chain.errors import (
    AccessControlUnauthorizedAccount,
    AccountFrozen,
    AccountNotAllowed,
    EnforcedPause,
    InvalidBridgeHint,
    InvalidNamespace,
    InvalidSerialRange,
    InvalidVintage,
    SerialsAlreadyBridged,
    UnknownLabels,
    UnknownProject,
)
from tests.conftest import BALE, Ledger
from tests.contracts._helpers import (
    GS_PROJECT,
    MAX_QUANTITY,
    MAX_SERIAL,
    PARTS_END,
    PARTS_HEAD,
    U64_MAX,
    VCS_NS,
    ZERO,
    addr,
    attempt,
    batch,
    bridge,
    bridge_fn,
    bridge_range,
    expect_events,
    find_hint,
    invariants,  # noqa: F401  (autouse fixture)
    issuance,
    issuance_abi,
    issuance_fields,
    key_of,
    moved,
    parts,
    ranges,
    reverts,
    send,
)

OTHER_NS = "VCS-VCU-1507-VER-ET-14-1340-01012021-31122021"


def _already(ledger: Ledger, first: int, last: int, namespace: str = VCS_NS) -> dict[str, object]:
    return {"programId": ledger.vcs, "namespace": namespace, "first": first, "last": last}


# ---------------------------------------------------------------- success


def test_bridge_creates_a_batch_held_by_the_recipient(ledger: Ledger) -> None:
    i = issuance(ledger, 1001, 2000, labels=Label.CCP_APPROVED)
    fn = bridge_fn(ledger.issuer, i, PARTS_HEAD)
    assert fn.call({"from": ledger.issuer.account}) == 1  # the return value is the batch id

    result = send(ledger.issuer, fn)

    expect_events(
        result,
        (
            "BatchBridged",
            {"batchId": 1, "actor": addr(ledger.issuer), "issuance": issuance_fields(i)},
        ),
        moved(1, ZERO, ledger.alice, 1001, 2000, RangeState.HELD, ledger.issuer),
    )
    b = batch(ledger, 1)
    assert (b.program_id, b.labels, b.frozen, b.first_serial, b.quantity) == (
        ledger.vcs,
        Label.CCP_APPROVED,
        False,
        1001,
        1000,
    )
    assert (b.retired, b.detokenised, b.cancelled, b.held) == (0, 0, 0, 1000)
    assert ranges(ledger, 1) == [(1001, 2000, "alice", RangeState.HELD)]
    assert ledger.admin.balance_of(ledger.alice.account, 1) == 1000
    assert ledger.admin.batch_count() == 1
    key = key_of(ledger.vcs, VCS_NS, 1001)
    assert parts(ledger) == [(PARTS_HEAD, key, 0), (key, PARTS_END, 1)]  # the part names batch 1


def test_batch_ids_increase_by_one(ledger: Ledger) -> None:
    assert [bridge_range(ledger, f, f + 9) for f in (100, 300, 200)] == [1, 2, 3]
    assert ledger.admin.batch_count() == 3


@pytest.mark.parametrize(
    ("first", "last"),
    [
        pytest.param(1001, 1001, id="one-tonne"),
        pytest.param(0, 0, id="serial-zero"),
        pytest.param(1, MAX_QUANTITY, id="max-quantity-2^32-1"),
        pytest.param(MAX_SERIAL, MAX_SERIAL, id="highest-usable-serial"),
        pytest.param(MAX_SERIAL - MAX_QUANTITY + 1, MAX_SERIAL, id="max-quantity-at-the-top"),
    ],
)
def test_bridge_accepts_boundary_ranges(ledger: Ledger, first: int, last: int) -> None:
    batch_id = bridge_range(ledger, first, last)
    b = batch(ledger, batch_id)
    assert (b.first_serial, b.last_serial, b.quantity) == (first, last, last - first + 1)
    assert ranges(ledger, batch_id) == [(first, last, "alice", RangeState.HELD)]
    assert ledger.admin.balance_of(ledger.alice.account, batch_id) == last - first + 1
    assert ledger.admin.contract.functions.part(key_of(ledger.vcs, VCS_NS, first)).call() == (
        PARTS_END,
        batch_id,
    )


@pytest.mark.parametrize(
    ("first", "last"),
    [
        pytest.param(1, MAX_QUANTITY + 1, id="quantity-2^32"),
        pytest.param(0, U64_MAX - 1, id="quantity-2^64-1"),
        pytest.param(10, 9, id="first-above-last"),
        pytest.param(U64_MAX, U64_MAX, id="last-is-2^64-1"),
        pytest.param(U64_MAX - 10, U64_MAX, id="range-ending-at-2^64-1"),
        # One above what a signed 64-bit SQL column holds with room for last + 1: a typo of
        # this size once halted every mirror (issue 12).
        pytest.param(MAX_SERIAL + 1, MAX_SERIAL + 1, id="serial-2^63-1"),
        pytest.param(2**63, 2**63, id="serial-2^63"),
        pytest.param(U64_MAX - 1, U64_MAX - 1, id="serial-2^64-2"),
        pytest.param(MAX_SERIAL - 5, MAX_SERIAL + 5, id="range-crossing-the-bound"),
    ],
)
def test_bridge_refuses_invalid_serial_ranges(ledger: Ledger, first: int, last: int) -> None:
    i = issuance(ledger, first, last)
    with reverts(InvalidSerialRange, first=first, last=last):
        attempt(ledger.issuer, bridge_fn(ledger.issuer, i, PARTS_HEAD))


def test_bridge_refuses_an_empty_namespace(ledger: Ledger) -> None:
    i = issuance(ledger, 1, 10, namespace="")
    with reverts(InvalidNamespace, namespace=""):
        attempt(ledger.issuer, bridge_fn(ledger.issuer, i, PARTS_HEAD))


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(20201301, 20201231, id="start-month-13"),
        pytest.param(20200001, 20201231, id="start-month-0"),
        pytest.param(20200100, 20201231, id="start-day-0"),
        pytest.param(20200132, 20201231, id="start-day-32"),
        pytest.param(20200101, 20201301, id="end-month-13"),
        pytest.param(20200101, 20201200, id="end-day-0"),
        pytest.param(20201231, 20200101, id="end-before-start"),
        pytest.param(18991231, 20200101, id="year-1899"),
        pytest.param(20200101, 100000101, id="year-10000"),
        pytest.param(0, 0, id="zero"),
        pytest.param(2020, 2020, id="year-only"),
        pytest.param(20200230, 20201231, id="february-30th"),
        pytest.param(20190229, 20191231, id="february-29th-of-a-common-year"),
        pytest.param(19000229, 19001231, id="february-29th-1900-is-not-leap"),
        pytest.param(20200101, 20200431, id="april-31st"),
        pytest.param(20200101, 20201131, id="november-31st"),
    ],
)
def test_bridge_refuses_bad_vintage_dates(ledger: Ledger, start: int, end: int) -> None:
    raw = issuance_abi(issuance(ledger, 1, 10), vintageStart=start, vintageEnd=end)
    with reverts(InvalidVintage, vintageStart=start, vintageEnd=end):
        attempt(ledger.issuer, ledger.issuer.contract.functions.bridge(raw, PARTS_HEAD))


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(20200101, 20200101, id="one-day"),
        pytest.param(19000101, 99991231, id="widest"),
        pytest.param(20200229, 20200229, id="february-29th-of-a-leap-year"),
        pytest.param(20000229, 20000229, id="february-29th-2000-is-leap"),
        pytest.param(20200131, 20201231, id="31-day-months"),
    ],
)
def test_bridge_accepts_calendar_vintage_dates(ledger: Ledger, start: int, end: int) -> None:
    raw = issuance_abi(issuance(ledger, 1, 10), vintageStart=start, vintageEnd=end)
    result = send(ledger.issuer, ledger.issuer.contract.functions.bridge(raw, PARTS_HEAD))
    fields = result.event("BatchBridged").fields["issuance"]
    assert (fields["vintageStart"], fields["vintageEnd"]) == (start, end)


@pytest.mark.parametrize("bits", [16, 1 << 15, 0xFFFF, 0x1F])
def test_bridge_refuses_unknown_label_bits(ledger: Ledger, bits: int) -> None:
    raw = issuance_abi(issuance(ledger, 1, 10), labels=bits)
    with reverts(UnknownLabels, labels=bits):
        attempt(ledger.issuer, ledger.issuer.contract.functions.bridge(raw, PARTS_HEAD))


def test_bridge_accepts_every_known_label(ledger: Ledger) -> None:
    every = Label.CORSIA_ELIGIBLE | Label.CCP_APPROVED | Label.ARTICLE6_AUTHORISED
    every |= Label.CORRESPONDING_ADJUSTMENT
    batch_id = bridge_range(ledger, 1, 10, labels=every)
    assert batch(ledger, batch_id).labels == every == 0xF


def test_bridge_refuses_an_unregistered_project(ledger: Ledger) -> None:
    unknown = ledger.admin.contract.functions.projectKey(ledger.vcs, "9999").call()
    i = issuance(ledger, 1, 10, project_key=unknown)
    with reverts(UnknownProject, projectKey=unknown, programId=ledger.vcs):
        attempt(ledger.issuer, bridge_fn(ledger.issuer, i, PARTS_HEAD))


def test_bridge_refuses_a_project_of_another_programme(ledger: Ledger) -> None:
    # The Bale Mountains project is registered under VCS; GS's issuer cannot bridge it as GS.
    i = issuance(ledger, 1, 10, program_id=ledger.gs)
    with reverts(UnknownProject, projectKey=ledger.project_key, programId=ledger.gs):
        attempt(ledger.gs_issuer, bridge_fn(ledger.gs_issuer, i, PARTS_HEAD))


# ---------------------------------------------------------------- permissions and state


@pytest.mark.parametrize("who", ["outsider", "alice", "gs_issuer", "admin"])
def test_bridge_needs_the_programmes_issuer_role(ledger: Ledger, who: str) -> None:
    client: LedgerClient = getattr(ledger, who)
    i = issuance(ledger, 1, 10)
    role = ledger.admin.issuer_role(ledger.vcs)
    with reverts(AccessControlUnauthorizedAccount, account=addr(client), neededRole=role):
        attempt(client, bridge_fn(client, i, PARTS_HEAD))


def test_bridge_refuses_a_recipient_not_on_the_allowlist(ledger: Ledger) -> None:
    i = issuance(ledger, 1, 10, ledger.outsider)
    with reverts(AccountNotAllowed, account=addr(ledger.outsider)):
        attempt(ledger.issuer, bridge_fn(ledger.issuer, i, PARTS_HEAD))
    i0 = issuance(ledger, 1, 10, ZERO)
    with reverts(AccountNotAllowed, account=ZERO):
        attempt(ledger.issuer, bridge_fn(ledger.issuer, i0, PARTS_HEAD))


def test_bridge_refuses_a_frozen_recipient(ledger: Ledger) -> None:
    ledger.admin.set_account(ledger.alice.account, allowed=True, frozen=True)
    i = issuance(ledger, 1, 10)
    with reverts(AccountFrozen, account=addr(ledger.alice)):
        attempt(ledger.issuer, bridge_fn(ledger.issuer, i, PARTS_HEAD))


def test_bridge_is_refused_while_paused_and_works_after_unpause(ledger: Ledger) -> None:
    ledger.admin.pause()
    i = issuance(ledger, 1, 10)
    with reverts(EnforcedPause):
        attempt(ledger.issuer, bridge_fn(ledger.issuer, i, PARTS_HEAD))
    # The pause check comes first: even a caller without the role sees EnforcedPause.
    with reverts(EnforcedPause):
        attempt(ledger.outsider, bridge_fn(ledger.outsider, i, PARTS_HEAD))
    ledger.admin.unpause()
    assert bridge_range(ledger, 1, 10) == 1


# ---------------------------------------------------------------- overlaps


@pytest.mark.parametrize(
    ("first", "last"),
    [
        pytest.param(1000, 1999, id="same-range"),
        pytest.param(1200, 1300, id="inside"),
        pytest.param(900, 2100, id="covering"),
        pytest.param(900, 1000, id="touching-first"),
        pytest.param(1999, 2100, id="touching-last"),
        pytest.param(1000, 1000, id="first-serial-only"),
        pytest.param(1999, 1999, id="last-serial-only"),
        pytest.param(1000, 2500, id="same-first-longer"),
        pytest.param(500, 1999, id="same-last-longer"),
    ],
)
def test_overlapping_a_bridged_range_is_refused(ledger: Ledger, first: int, last: int) -> None:
    bridge_range(ledger, 1000, 1999)
    i = issuance(ledger, first, last, ledger.bob)
    with reverts(SerialsAlreadyBridged, **_already(ledger, first, last)):
        attempt(ledger.issuer, bridge_fn(ledger.issuer, i, find_hint(ledger, i)))


@pytest.mark.parametrize(
    ("first", "last"),
    [
        pytest.param(1999, 3000, id="both-touching"),
        pytest.param(1500, 3500, id="both-overlapping"),
        pytest.param(1000, 3999, id="covering-both"),
        pytest.param(2000, 3000, id="gap-plus-part-above"),
        pytest.param(1999, 2999, id="part-below-plus-gap"),
    ],
)
def test_overlapping_the_part_below_and_the_part_above_is_refused(
    ledger: Ledger, first: int, last: int
) -> None:
    bridge_range(ledger, 1000, 1999)
    bridge_range(ledger, 3000, 3999)
    i = issuance(ledger, first, last)
    with reverts(SerialsAlreadyBridged, **_already(ledger, first, last)):
        attempt(ledger.issuer, bridge_fn(ledger.issuer, i, find_hint(ledger, i)))


def test_another_issuer_of_the_programme_cannot_rebridge_either(ledger: Ledger) -> None:
    bridge_range(ledger, 1000, 1999)
    ledger.admin.grant_issuer(ledger.vcs, ledger.carol.account)
    i = issuance(ledger, 1500, 1500)
    with reverts(SerialsAlreadyBridged, **_already(ledger, 1500, 1500)):
        attempt(ledger.carol, bridge_fn(ledger.carol, i, find_hint(ledger, i)))


def test_adjacent_ranges_are_accepted_on_both_sides(ledger: Ledger) -> None:
    bridge_range(ledger, 1000, 1999)
    assert bridge_range(ledger, 2000, 2999) == 2  # last + 1
    assert bridge_range(ledger, 999, 999) == 3  # first - 1
    assert bridge_range(ledger, 3000, 3000, ledger.bob) == 4
    keys = [key for key, _next, _span in parts(ledger)][1:]
    assert keys == [key_of(ledger.vcs, VCS_NS, f) for f in (999, 1000, 2000, 3000)]


def test_the_same_serials_in_another_namespace_or_programme_are_accepted(ledger: Ledger) -> None:
    bridge_range(ledger, 1000, 1999)
    assert bridge_range(ledger, 1000, 1999, namespace=OTHER_NS) == 2
    gs_key = ledger.gs_issuer.register_project(ledger.gs, GS_PROJECT)
    same_ns_other_programme = issuance(ledger, 1000, 1999, program_id=ledger.gs, project_key=gs_key)
    result = bridge(ledger, same_ns_other_programme, by=ledger.gs_issuer)
    assert result.event("BatchBridged").fields["batchId"] == 3
    assert batch(ledger, 3).program_id == ledger.gs
    # ... and each namespace is still protected on its own.
    i = issuance(ledger, 1999, 1999, namespace=OTHER_NS)
    with reverts(SerialsAlreadyBridged, **_already(ledger, 1999, 1999, OTHER_NS)):
        attempt(ledger.issuer, bridge_fn(ledger.issuer, i, find_hint(ledger, i)))
    g = dataclasses.replace(same_ns_other_programme, first_serial=1999, last_serial=2000)
    with reverts(
        SerialsAlreadyBridged, programId=ledger.gs, namespace=VCS_NS, first=1999, last=2000
    ):
        attempt(ledger.gs_issuer, bridge_fn(ledger.gs_issuer, g, find_hint(ledger, g)))


@pytest.mark.parametrize("spent", ["detokenised", "cancelled", "retired"])
def test_spent_serials_can_never_be_bridged_again(ledger: Ledger, spent: str) -> None:
    bridge_range(ledger, 1000, 1999)
    if spent == "detokenised":
        ledger.alice.detokenise(1, 1000, 1999, "VCS-RETURN-1")
    elif spent == "cancelled":
        ledger.admin.cancel(1, ledger.alice.account, 1000, 1999, "reversal")
    else:
        ledger.alice.retire(RetirementRequest(1, 1000, 1999, "Acme"))
    assert ranges(ledger, 1)[0][3] == RangeState[spent.upper()]
    for first, last in ((1000, 1999), (1500, 1500), (1999, 2000)):
        i = issuance(ledger, first, last)
        with reverts(SerialsAlreadyBridged, **_already(ledger, first, last)):
            attempt(ledger.issuer, bridge_fn(ledger.issuer, i, find_hint(ledger, i)))


# ---------------------------------------------------------------- the part list and hints


def test_bridging_into_gaps_out_of_order_keeps_the_part_list_sorted(ledger: Ledger) -> None:
    order = [(5000, 5999), (1000, 1999), (3000, 3999), (2000, 2999), (4000, 4999), (0, 999)]
    hints = {}
    for first, last in order:
        i = issuance(ledger, first, last)
        hints[first] = find_hint(ledger, i)
        bridge(ledger, i, hint=hints[first])
    k = {f: key_of(ledger.vcs, VCS_NS, f) for f, _ in order}
    # The hint each bridging needed was the part immediately below it at the time.
    assert hints == {5000: 0, 1000: 0, 3000: k[1000], 2000: k[1000], 4000: k[3000], 0: 0}
    firsts = sorted(k)
    batch_of = {f: n + 1 for n, (f, _) in enumerate(order)}
    assert parts(ledger) == [(PARTS_HEAD, k[0], 0)] + [
        (k[f], k[firsts[n + 1]] if n + 1 < len(firsts) else PARTS_END, batch_of[f])
        for n, f in enumerate(firsts)
    ]
    # findPartHint agrees with the list for any serial, from the head or from a lower part.
    find = ledger.admin.contract.functions.findPartHint
    for serial, below in ((6000, 5000), (5000, 4000), (2500, 2000), (1, 0), (999, 0)):
        assert find(ledger.vcs, VCS_NS, serial, PARTS_HEAD).call() == k[below]
        assert find(ledger.vcs, VCS_NS, serial, k[0]).call() == k[below]
    assert find(ledger.vcs, VCS_NS, 0, PARTS_HEAD).call() == PARTS_HEAD
    # Other namespaces sort apart: a fresh namespace's hint is some part or the head.
    other = find(ledger.vcs, OTHER_NS, 0, PARTS_HEAD).call()
    assert other in {PARTS_HEAD, *k.values()}
    assert bridge_range(ledger, 0, 5999, namespace=OTHER_NS) == 7


def test_a_hint_that_is_not_a_bridged_part_is_refused(ledger: Ledger) -> None:
    bridge_range(ledger, 1000, 1999)
    for bogus in (key_of(ledger.vcs, VCS_NS, 1500), key_of(ledger.vcs, VCS_NS, 2000), PARTS_END):
        i = issuance(ledger, 3000, 3999)
        with reverts(InvalidBridgeHint, hint=bogus):
            attempt(ledger.issuer, bridge_fn(ledger.issuer, i, bogus))


def test_a_hint_above_the_new_range_is_refused(ledger: Ledger) -> None:
    bridge_range(ledger, 3000, 3999)
    above = key_of(ledger.vcs, VCS_NS, 3000)
    for first, last in ((1000, 1999), (3000, 3000)):  # below it, and at its very key
        i = issuance(ledger, first, last)
        with reverts(InvalidBridgeHint, hint=above):
            attempt(ledger.issuer, bridge_fn(ledger.issuer, i, above))


def test_a_hint_that_is_not_the_immediate_predecessor_is_refused(ledger: Ledger) -> None:
    bridge_range(ledger, 1000, 1999)
    bridge_range(ledger, 3000, 3999)
    low = key_of(ledger.vcs, VCS_NS, 1000)
    i = issuance(ledger, 5000, 5999)
    for stale in (low, PARTS_HEAD):
        with reverts(InvalidBridgeHint, hint=stale):
            attempt(ledger.issuer, bridge_fn(ledger.issuer, i, stale))
    # The correct hint works.
    assert find_hint(ledger, i) == key_of(ledger.vcs, VCS_NS, 3000)
    assert bridge(ledger, i).event("BatchBridged").fields["batchId"] == 3


def test_a_hint_gone_stale_after_another_bridging_is_refused(ledger: Ledger) -> None:
    bridge_range(ledger, 1000, 1999)
    i = issuance(ledger, 5000, 5999)
    hint = find_hint(ledger, i)
    bridge_range(ledger, 3000, 3999)  # lands between the hint and the new range
    with reverts(InvalidBridgeHint, hint=hint):
        attempt(ledger.issuer, bridge_fn(ledger.issuer, i, hint))


def test_the_client_recovers_from_a_stale_part_index(ledger: Ledger) -> None:
    # A second client with its own (soon stale) mirror of the part list.
    other = LedgerClient(ledger.chain.w3, ledger.deployment.address, ledger.issuer.sender)
    other.bridge(ledger.issuance(1000, 1999))
    bridge_range(ledger, 3000, 3999)  # behind the other client's back
    result = other.bridge(ledger.issuance(5000, 5999))
    assert result.batch_id == 3
    assert [k for k, _n, _s in parts(ledger)][1:] == [
        key_of(ledger.vcs, VCS_NS, f) for f in (1000, 3000, 5000)
    ]


def test_find_part_hint_refuses_a_bad_starting_point(ledger: Ledger) -> None:
    bridge_range(ledger, 1000, 1999)
    find = ledger.admin.contract.functions.findPartHint
    k1000 = key_of(ledger.vcs, VCS_NS, 1000)
    not_a_part = key_of(ledger.vcs, VCS_NS, 1)
    with reverts(InvalidBridgeHint, hint=not_a_part):
        attempt(ledger.admin, find(ledger.vcs, VCS_NS, 5000, not_a_part))
    with reverts(InvalidBridgeHint, hint=k1000):  # starting point not below the serial
        attempt(ledger.admin, find(ledger.vcs, VCS_NS, 1000, k1000))
    with reverts(InvalidBridgeHint, hint=k1000):
        attempt(ledger.admin, find(ledger.vcs, VCS_NS, 10, k1000))


def test_parts_from_pages_through_the_list(ledger: Ledger) -> None:
    for first in (1000, 2000, 3000):
        bridge_range(ledger, first, first + 9)
    k = [key_of(ledger.vcs, VCS_NS, f) for f in (1000, 2000, 3000)]
    fn = ledger.admin.contract.functions.partsFrom
    assert fn(PARTS_HEAD, 2).call() == [[PARTS_HEAD, k[0]], [(k[0], 0), (k[1], 1)]]
    assert fn(k[1], 5).call() == [[k[1], k[2]], [(k[2], 2), (PARTS_END, 3)]]
    assert fn(k[2], 0).call() == [[], []]
    assert fn(PARTS_END, 3).call() == [[], []]
    bogus = key_of(ledger.vcs, VCS_NS, 1500)
    with reverts(InvalidBridgeHint, hint=bogus):
        attempt(ledger.admin, fn(bogus, 1))
    assert ledger.admin.contract.functions.part(bogus).call() == (0, 0)


def test_projects_are_per_programme(ledger: Ledger) -> None:
    # The same registry project id under GS is a different project, usable only under GS.
    gs_key = ledger.gs_issuer.register_project(ledger.gs, BALE)
    assert gs_key != ledger.project_key
    i = issuance(ledger, 1, 10, program_id=ledger.gs, project_key=gs_key)
    assert bridge(ledger, i, by=ledger.gs_issuer).event("BatchBridged").fields["batchId"] == 1


def test_the_client_decodes_an_empty_namespace_refusal(ledger: Ledger) -> None:
    with reverts(InvalidNamespace, namespace=""):
        ledger.issuer.bridge(issuance(ledger, 1, 10, namespace=""))
