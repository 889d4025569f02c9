"""Migration to a successor ledger (chain.migration) and audit verify across the boundary
(chain.verify, chain.succession): the live credits carried exactly, and every way of carrying
more, less or otherwise named; project links carried by both programme admins after the
credits, and a link not carried named."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import chain.verify as verify
from chain import migration
from chain.client import LedgerClient
from chain.deployment import Deployment, deploy_ledger
from chain.domain import Issuance, Label, PoolRules, Project, project_key
from chain.errors import ConfigurationError, LedgerSealed, LinkedPeriodClaimed
from chain.events import event_specs
from chain.transactions import TxSender
from chain.verify import verify_chain
from tests.conftest import BALE, VCS_NAMESPACE, Ledger

DELAY = 3600  # the fixture's admin delay


def _busy(ledger: Ledger) -> None:
    """Two VCS batches and a GS one, moved, spent in every way, labelled and frozen."""
    ledger.issuer.bridge(ledger.issuance(1, 1000))
    ledger.issuer.bridge(ledger.issuance(5001, 6000, ledger.bob.account, reference="19386"))
    ledger.alice.transfer(1, 100, 199, ledger.carol.account)
    ledger.carol.retire_quantity(1, 50, "Hilti Corporation")
    ledger.bob.detokenise(2, 5001, 5010, "VCS-return-1")
    ledger.admin.cancel(1, ledger.alice.account, 900, 1000, "reversal")
    ledger.admin.set_labels(2, Label.CORSIA_ELIGIBLE)
    ledger.admin.set_batch_frozen(2, True)
    ledger.admin.set_account(ledger.carol.account, allowed=True, frozen=True)


def _seal(ledger: Ledger) -> None:
    status, [scheduled] = migration.seal_step(ledger.admin)
    assert scheduled.event("SealRecorded").fields["step"] == 0 and not status.due
    assert migration.seal_step(ledger.admin)[1] == []  # not due yet: nothing sent
    ledger.chain.time_travel(status.seal_at + 1)
    status, [sealed] = migration.seal_step(ledger.admin)
    assert status.sealed and sealed.event("SealRecorded").fields["step"] == 2


@dataclass
class Moved:
    successor: Deployment
    admin: LedgerClient
    issuer: LedgerClient

    def as_(self, ledger: Ledger, who: LedgerClient) -> LedgerClient:
        assert who.sender is not None
        return LedgerClient.for_deployment(ledger.chain.w3, self.successor, who.sender)


def _succeed(ledger: Ledger) -> Moved:
    _seal(ledger)
    assert ledger.admin.sender is not None
    successor, _ = migration.deploy_successor(
        ledger.admin.sender, ledger.deployment, admin_delay=DELAY
    )
    moved = Moved(successor, ledger.admin, ledger.issuer)
    moved.admin = moved.as_(ledger, ledger.admin)
    moved.issuer = moved.as_(ledger, ledger.issuer)
    for code in ("VCS", "GS"):
        migration.carry_programme(moved.admin, successor, code)
    migration.carry_accounts(moved.admin, successor)
    return moved


@pytest.fixture
def moved(ledger: Ledger) -> Iterator[Moved]:
    _busy(ledger)
    yield _succeed(ledger)


def test_the_whole_live_state_carries_over_and_verifies_across_the_boundary(
    ledger: Ledger, moved: Moved
) -> None:
    carried = migration.carry_credits(moved.issuer, moved.successor, "VCS")
    held_open = migration.carry_accounts(moved.admin, moved.successor)
    assert held_open.held_open == []  # carol's freeze is applied now her credits are carried
    # Live on the predecessor: alice 1..99, 200..899; carol 150..199; bob 5011..6000.
    got = {(c["predecessor_batch"], c["first_serial"], c["last_serial"]) for c in carried.batches}
    assert got == {(1, 1, 99), (1, 150, 199), (1, 200, 899), (2, 5011, 6000)}
    new = moved.admin
    assert new.account_status(ledger.carol.account).frozen
    by_first = {new.batch(i).first_serial: new.batch(i) for i in range(1, new.batch_count() + 1)}
    assert by_first[5011].frozen and by_first[5011].labels == Label.CORSIA_ELIGIBLE
    assert new.holdings(by_first[150].batch_id, ledger.carol.account)[0].last == 199
    # Programmes, policies and roles: the same ids, admins and issuers.
    assert new.program_id("GS") == ledger.gs
    assert new.has_role(new.issuer_role(ledger.vcs), ledger.issuer.account)
    assert new.has_role(new.role("COMPLIANCE_ROLE"), ledger.admin.account)

    report = verify_chain(ledger.chain.w3, moved.successor)
    assert report.ok, report.discrepancies
    [before] = report.predecessors
    assert before["address"] == ledger.deployment.address
    assert (before["live_ranges"], before["carried_ranges"], before["not_carried"]) == (4, 4, 0)
    assert before["live_tonnes"] == before["carried_tonnes"] == 99 + 50 + 700 + 990
    # Running the steps again does nothing: each does only what is missing.
    assert migration.carry_credits(moved.issuer, moved.successor, "VCS").results == []
    assert migration.carry_accounts(moved.admin, moved.successor).results == []
    assert migration.carry_programme(moved.admin, moved.successor, "VCS")[1] == []


def test_the_sealed_predecessor_refuses_every_change_and_a_successor_needs_the_seal(
    ledger: Ledger,
) -> None:
    _busy(ledger)
    assert ledger.admin.sender is not None
    with pytest.raises(ConfigurationError, match="is not sealed"):
        migration.deploy_successor(ledger.admin.sender, ledger.deployment)
    _seal(ledger)
    with pytest.raises(LedgerSealed):
        ledger.alice.transfer(1, 1, 1, ledger.bob.account)


def _pooled_and_scheduled(ledger: Ledger) -> tuple[int, migration.SealStatus]:
    """A pool holding 300 t of alice's, and the seal scheduled."""
    admin = ledger.admin
    admin.grant_role(admin.role("POOL_ADMIN_ROLE"), admin.account)
    pool_id, _ = admin.create_pool("Nature pool", "NAT", PoolRules(programmes=frozenset({1})))
    ledger.issuer.bridge(ledger.issuance(1, 1000))
    ledger.alice.pool_deposit(pool_id, 1, 1, 300)
    status, _ = migration.seal_step(admin)
    return pool_id, status


def test_a_due_seal_is_refused_while_a_pool_holds_credits_naming_the_pool(
    ledger: Ledger,
) -> None:
    admin = ledger.admin
    pool_id, status = _pooled_and_scheduled(ledger)
    assert status.pooled == ((pool_id, 300),) and not status.due  # scheduling is not refused
    ledger.chain.time_travel(status.seal_at + 1)
    with pytest.raises(ConfigurationError, match=f"pool {pool_id} holds 300 t"):
        migration.seal_step(admin)
    assert not admin.final_state()[0]
    ledger.alice.pool_redeem(pool_id, 300)  # the unit holder takes the serials back
    status, [_] = migration.seal_step(admin)
    assert status.sealed and status.pooled == ()


def test_the_admin_may_seal_with_credits_left_frozen_in_a_pool(ledger: Ledger) -> None:
    admin = ledger.admin
    pool_id, status = _pooled_and_scheduled(ledger)
    ledger.chain.time_travel(status.seal_at + 1)
    status, [_] = migration.seal_step(admin, leave_pooled=True)
    assert status.sealed and status.pooled == ((pool_id, 300),)
    with pytest.raises(LedgerSealed):
        ledger.alice.pool_redeem(pool_id, 1)


def test_ranges_not_carried_yet_are_reported_as_such(ledger: Ledger, moved: Moved) -> None:
    report = verify_chain(ledger.chain.w3, moved.successor)
    assert not report.ok
    pending = [d for d in report.discrepancies if d.kind == "not_carried"]
    assert len(pending) == 4 and len(report.discrepancies) == 4
    assert f"not carried yet: VCS {VCS_NAMESPACE} serials 150..199" in pending[1].message
    assert report.predecessors[0]["not_carried"] == 4


def _carry_wrongly(ledger: Ledger, moved: Moved, first: int, last: int, **changes: Any) -> None:
    migration.carry_credits(moved.issuer, moved.successor, "VCS")
    issuance = dataclasses.replace(ledger.issuance(first, last), **changes)
    moved.issuer.bridge(issuance)


def test_an_issuer_bridging_serials_retired_on_the_predecessor_again_is_double_counting(
    ledger: Ledger, moved: Moved
) -> None:
    # Carol retired 100..149 of batch 1: not live, never to be carried.
    _carry_wrongly(ledger, moved, 100, 149)
    report = verify_chain(ledger.chain.w3, moved.successor)
    [found] = report.discrepancies
    assert (found.kind, found.event, found.field) == ("carry", "BatchBridged", "firstSerial")
    assert "double counting: serials 100..149 were retired on the predecessor (batch 1)" in (
        found.message
    )


def test_carrying_more_than_was_live_is_named(ledger: Ledger, moved: Moved) -> None:
    # 900..1000 were cancelled: a carry of alice's 200..899 stretched to 950 counts them again.
    moved.issuer.ensure_project(ledger.vcs, BALE)  # the same id: the same project key
    moved.issuer.bridge(ledger.issuance(200, 950))
    report = verify_chain(ledger.chain.w3, moved.successor)
    carry = [d for d in report.discrepancies if d.kind == "carry"]
    assert carry and "were cancelled on the predecessor" in carry[0].message
    assert any("200..899" in d.message for d in report.discrepancies if d.kind == "not_carried")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"recipient": "bob"}, "recipient"),
        ({"registry_reference": "other"}, "registryReference"),
        ({"labels": Label.ARTICLE6_AUTHORISED}, "labels"),
    ],
)
def test_a_carry_to_another_holder_or_with_other_metadata_is_named(
    ledger: Ledger, moved: Moved, changes: dict[str, Any], field: str
) -> None:
    if changes.get("recipient") == "bob":
        changes["recipient"] = ledger.bob.account
    # Carry everything but alice's 1..99, then carry that one wrongly.
    migration.carry_credits(moved.issuer, moved.successor, "VCS")
    report = verify_chain(ledger.chain.w3, moved.successor)
    assert report.ok
    # A fresh ledger state where 1..99 was not yet carried: void it first (untouched).
    first = next(
        i for i in range(1, moved.admin.batch_count() + 1) if moved.admin.batch(i).first_serial == 1
    )
    moved.admin.void_batch(first, VCS_NAMESPACE, "carried again below, on purpose")
    moved.issuer.bridge(dataclasses.replace(ledger.issuance(1, 99), **changes))
    report = verify_chain(ledger.chain.w3, moved.successor)
    [found] = report.discrepancies
    assert (found.kind, found.field) == ("carry", field)


def test_a_tampered_predecessor_trail_is_named_with_its_address(
    ledger: Ledger, moved: Moved, monkeypatch: pytest.MonkeyPatch
) -> None:
    migration.carry_credits(moved.issuer, moved.successor, "VCS")
    real = verify.fetch_logs

    def drop_one(w3: Any, address: str, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        logs = list(real(w3, address, *args, **kwargs))
        if address.lower() == ledger.deployment.address.lower():
            ours = event_specs("ICarbonLedgerEvents")
            audited = [i for i, log in enumerate(logs) if bytes(log["topics"][0]) in ours]
            del logs[audited[len(audited) // 2]]
        return iter(logs)

    monkeypatch.setattr(verify, "fetch_logs", drop_one)
    report = verify_chain(ledger.chain.w3, moved.successor)
    assert not report.ok
    assert report.discrepancies[0].message.startswith(f"predecessor {ledger.deployment.address}: ")


def test_a_successor_record_naming_another_head_is_named(ledger: Ledger, moved: Moved) -> None:
    migration.carry_credits(moved.issuer, moved.successor, "VCS")
    forged = dataclasses.replace(moved.successor, predecessor_head="0x" + "ab" * 32)
    report = verify_chain(ledger.chain.w3, forged)
    fields = {(d.kind, d.field) for d in report.discrepancies}
    assert ("succession", "predecessor_head") in fields
    assert ("audit", "auditHead") in fields  # the genesis folds that head in


def test_a_successor_without_its_predecessors_record_cannot_verify(
    ledger: Ledger, moved: Moved
) -> None:
    bare = dataclasses.replace(moved.successor, predecessor_deployment=None)
    [found] = verify_chain(ledger.chain.w3, bare).discrepancies
    assert (found.kind, found.field) == ("succession", "predecessor")


def test_steps_need_their_keys(ledger: Ledger, moved: Moved) -> None:
    from chain.errors import AccessControlUnauthorizedAccount

    alice = moved.as_(ledger, ledger.alice)
    with pytest.raises(AccessControlUnauthorizedAccount):
        migration.carry_credits(alice, moved.successor, "VCS")
    with pytest.raises(AccessControlUnauthorizedAccount):
        migration.carry_programme(moved.issuer, moved.successor, "VCS")
    assert isinstance(alice.sender, TxSender)


def test_a_project_registered_again_with_other_metadata_is_named(
    ledger: Ledger, moved: Moved
) -> None:
    moved.issuer.register_project(ledger.vcs, dataclasses.replace(BALE, name="Another forest"))
    migration.carry_credits(moved.issuer, moved.successor, "VCS")
    [found] = verify_chain(ledger.chain.w3, moved.successor).discrepancies
    assert (found.kind, found.event, found.field) == ("carry", "ProjectRegistered", "name")
    assert "'Another forest', was 'Bale Mountains" in found.message


def test_an_import_on_the_successor_may_not_bridge_the_predecessors_serials(
    ledger: Ledger, moved: Moved
) -> None:
    from chain.succession import PredecessorSerials

    guard = PredecessorSerials(
        migration.read_state(ledger.chain.w3, ledger.deployment), ledger.deployment.address
    )
    live = guard.overlap("VCS", VCS_NAMESPACE, 1, 10)
    assert live is not None and "live on the predecessor ledger" in live
    assert "not carried over yet" in live
    spent = guard.overlap("VCS", VCS_NAMESPACE, 120, 130)
    assert spent is not None and "serials 120..130 were retired on the predecessor" in spent
    cancelled = guard.overlap("VCS", VCS_NAMESPACE, 990, 2000)
    assert cancelled is not None and "serials 990..1000 were cancelled" in cancelled
    assert guard.overlap("VCS", VCS_NAMESPACE, 1001, 5000) is None
    assert guard.overlap("GS", VCS_NAMESPACE, 1, 10) is None


def test_a_successor_whose_programme_names_another_admin_is_named(ledger: Ledger) -> None:
    """The ledger admin deploying the successor may not take a programme over on the way."""
    _busy(ledger)
    _seal(ledger)
    assert ledger.admin.sender is not None
    successor = Deployment(
        **{
            **dataclasses.asdict(
                deploy_ledger(
                    ledger.admin.sender, admin_delay=DELAY, predecessor=ledger.deployment.address
                )
            ),
            "predecessor_deployment": dataclasses.asdict(ledger.deployment),
        }
    )
    new = LedgerClient.for_deployment(ledger.chain.w3, successor, ledger.admin.sender)
    new.register_program("VCS", ledger.carol.account)  # VCS's admin was the ledger admin
    report = verify_chain(ledger.chain.w3, successor)
    taken = [d for d in report.discrepancies if d.kind == "carry"]
    assert [(d.event, d.field) for d in taken] == [("ProgramRegistered", "admin")]
    assert f"naming {ledger.carol.account.lower()} its admin" in taken[0].message
    missing = [d.message for d in report.discrepancies if d.field == "code"]
    assert missing == ["programme GS of the predecessor is not registered yet"]


# ---------------------------------------------------------------- project links


CDM_7014 = Project("7014", "Transitioned cookstoves", "RW", "AMS-II.G", "Energy demand")
GS_1340 = Project("GS1340", "Bale Mountains", "ET", "VM0015", "AFOLU")


def _cdm_block(ledger: Ledger, pid: int, first: int, last: int, year: int) -> Issuance:
    """A block of CDM 7014 (programme ``pid``) for the first half of ``year``."""
    return dataclasses.replace(
        ledger.issuance(first, last),
        program_id=pid,
        project_key=project_key(pid, CDM_7014.project_id),
        namespace="CDM-CER",
        vintage_start=dt.date(year, 1, 1),
        vintage_end=dt.date(year, 6, 30),
    )


@dataclass
class Links:
    moved: Moved
    cdm: LedgerClient
    """CDM's programme admin (and issuer), a registry of its own, on the successor."""
    cdm_id: int


@pytest.fixture
def links(ledger: Ledger) -> Links:
    """The busy ledger plus CDM 7014 linked to VCS 1340 (CDM proposed, VCS accepted), then GS
    GS1340 to CDM 7014 (GS proposed, CDM accepted): one group of three. CDM bridged 2020's
    first half before the links (over VCS's 2020: allowed then) and 2021's after; then the
    successor, with every programme carried and no credit yet."""
    _busy(ledger)
    account = ledger.chain.accounts[7]
    cdm_admin = ledger.admin.as_account(
        TxSender(ledger.chain.w3, account, ledger.admin.abi, nonces=ledger.nonces)
    )
    cdm = ledger.admin.register_program("CDM", cdm_admin.account)
    cdm_admin.grant_issuer(cdm, cdm_admin.account)
    cdm_key = cdm_admin.register_project(cdm, CDM_7014)
    gs_key = ledger.gs_issuer.register_project(ledger.gs, GS_1340)
    cdm_admin.bridge(_cdm_block(ledger, cdm, 1, 500, 2020))
    cdm_admin.propose_project_link(cdm_key, ledger.project_key)
    ledger.admin.accept_project_link(ledger.project_key, cdm_key)
    ledger.admin.propose_project_link(gs_key, cdm_key)
    cdm_admin.accept_project_link(cdm_key, gs_key)
    cdm_admin.bridge(_cdm_block(ledger, cdm, 501, 900, 2021))
    moved = _succeed(ledger)
    found = Links(moved, moved.as_(ledger, cdm_admin), cdm)
    migration.carry_programme(found.cdm, moved.successor, "CDM")
    return found


def _statuses(done: migration.LinksCarried) -> list[tuple[str, str]]:
    return [(link.link, link.status) for link in done.links]


VCS_CDM = "CDM 7014 ⇄ VCS 1340"
CDM_GS = "GS GS1340 ⇄ CDM 7014"


def test_links_carry_after_the_credits_each_admin_its_side_and_verify(
    ledger: Ledger, links: Links
) -> None:
    moved, successor = links.moved, links.moved.successor
    # Before carry-credits the projects are not on the successor: nothing to link yet.
    early = migration.carry_links(links.cdm, successor, "CDM")
    assert early.results == [] and {s for _, s in _statuses(early)} == {"waiting"}
    assert "CDM project 7014 is not registered on the successor yet" in str(early.links[0].reason)
    # VCS's credits carried, CDM's not yet (its project registered by hand): CDM's admin
    # proposes both links (proposals bind nobody), but VCS's admin does not accept: linked
    # now, CDM's carried pre-link 2020 batch would be refused over VCS's carried 2020.
    migration.carry_credits(moved.issuer, successor, "VCS")
    links.cdm.ensure_project(links.cdm_id, CDM_7014)
    migration.carry_credits(moved.as_(ledger, ledger.gs_issuer), successor, "GS")  # no credits
    proposed = migration.carry_links(links.cdm, successor, "CDM")
    assert _statuses(proposed) == [(VCS_CDM, "proposed"), (CDM_GS, "proposed")]
    assert len(proposed.results) == 2
    held = migration.carry_links(moved.admin, successor, "VCS")
    [(name, status)] = _statuses(held)
    assert (name, status, held.results) == (VCS_CDM, "waiting", [])
    assert "live credits of CDM 7014 are not all carried yet" in str(held.links[0].reason)
    migration.carry_credits(links.cdm, successor, "CDM")
    # GS's admin first: its link came second on the predecessor, after VCS ⇄ CDM.
    gs_first = migration.carry_links(moved.admin, successor, "GS")
    assert _statuses(gs_first) == [(CDM_GS, "waiting")]
    assert f"its group's link {VCS_CDM} before this one" in str(gs_first.links[0].reason)
    accepted = migration.carry_links(moved.admin, successor, "VCS")
    assert _statuses(accepted) == [(VCS_CDM, "accepted")]
    group = accepted.links[0].link_group
    assert group > 0
    assert _statuses(migration.carry_links(moved.admin, successor, "GS")) == [(CDM_GS, "accepted")]
    # Again: nothing left to do, on either side.
    again = migration.carry_links(links.cdm, successor, "CDM")
    assert again.results == [] and _statuses(again) == [(VCS_CDM, "carried"), (CDM_GS, "carried")]
    assert {link.link_group for link in again.links} == {group}

    report = verify_chain(ledger.chain.w3, successor)
    assert report.ok, report.discrepancies
    [before] = report.predecessors
    assert (before["links"], before["carried_links"], before["not_carried"]) == (2, 2, 0)
    # A link the successor makes that the predecessor did not have is fine.
    gs_key = project_key(ledger.gs, GS_1340.project_id)
    gs_issuer = moved.as_(ledger, ledger.gs_issuer)
    other = gs_issuer.register_project(ledger.gs, dataclasses.replace(GS_1340, project_id="GS9"))
    moved.admin.propose_project_link(other, ledger.project_key)
    moved.admin.accept_project_link(ledger.project_key, other)
    assert verify_chain(ledger.chain.w3, successor).ok
    # The link binds on the successor: CDM claims 2022's first half there, and VCS 1340 may
    # not bridge those months again.
    links.cdm.bridge(_cdm_block(ledger, links.cdm_id, 2001, 2100, 2022))
    vcs_2022 = dataclasses.replace(
        ledger.issuance(7001, 7100),
        vintage_start=dt.date(2022, 1, 1),
        vintage_end=dt.date(2022, 12, 31),
    )
    with pytest.raises(LinkedPeriodClaimed) as refusal:
        moved.issuer.bridge(vcs_2022)
    assert refusal.value.arguments["programId"] == links.cdm_id
    assert moved.admin.project_link_group(gs_key) == group


def test_links_not_carried_are_reported_as_such(ledger: Ledger, links: Links) -> None:
    moved = links.moved
    migration.carry_credits(moved.issuer, moved.successor, "VCS")
    migration.carry_credits(links.cdm, moved.successor, "CDM")
    migration.carry_accounts(moved.admin, moved.successor)
    migration.carry_links(links.cdm, moved.successor, "CDM")  # proposed: not carried yet
    report = verify_chain(ledger.chain.w3, moved.successor)
    assert not report.ok
    assert {d.kind for d in report.discrepancies} == {"not_carried"}
    assert [d.message.split(" (")[0] for d in report.discrepancies] == [
        f"link not carried yet: {VCS_CDM}",
        f"link not carried yet: {CDM_GS}",
    ]
    assert {d.event for d in report.discrepancies} == {"ProjectLinkRecorded"}
    [before] = report.predecessors
    assert (before["links"], before["carried_links"], before["not_carried"]) == (2, 0, 2)
    assert before["carried_ranges"] == before["live_ranges"]


def test_only_the_programme_admin_carries_its_links(ledger: Ledger, links: Links) -> None:
    from chain.errors import AccessControlUnauthorizedAccount

    with pytest.raises(AccessControlUnauthorizedAccount):
        migration.carry_links(links.cdm, links.moved.successor, "VCS")
    with pytest.raises(ConfigurationError, match="programme CCER is not on the predecessor"):
        migration.carry_links(links.cdm, links.moved.successor, "CCER")


def _carry_all(ledger: Ledger, links: Links) -> None:
    moved, successor = links.moved, links.moved.successor
    migration.carry_credits(moved.issuer, successor, "VCS")
    migration.carry_credits(links.cdm, successor, "CDM")
    migration.carry_credits(moved.as_(ledger, ledger.gs_issuer), successor, "GS")
    for code, admin in (("CDM", links.cdm), ("VCS", moved.admin), ("GS", moved.admin)):
        migration.carry_links(admin, successor, code)
    assert verify_chain(ledger.chain.w3, successor).ok


def test_a_successor_bridging_over_a_period_another_programme_issued_before_is_named(
    ledger: Ledger, links: Links
) -> None:
    """The carried link's claims start afresh, so the successor's contract lets VCS 1340 bridge
    2021's first quarter, which CDM 7014 issued on the predecessor: audit verify names it."""
    _carry_all(ledger, links)
    links.moved.issuer.bridge(
        dataclasses.replace(
            ledger.issuance(7001, 7100),
            vintage_start=dt.date(2021, 1, 1),
            vintage_end=dt.date(2021, 3, 31),
        )
    )
    [found] = verify_chain(ledger.chain.w3, links.moved.successor).discrepancies
    assert (found.kind, found.event, found.field) == ("carry", "BatchBridged", "vintage")
    assert "(VCS 1340, 20210101-20210331) overlaps predecessor batch" in found.message
    assert "(CDM 7014, 20210101-20210630) of its link group 1 there" in found.message
