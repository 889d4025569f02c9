"""Migration to a successor ledger (chain.migration) and audit verify across the boundary
(chain.verify, chain.succession): the live credits carried exactly, and every way of carrying
more, less or otherwise named."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import chain.verify as verify
from chain import migration
from chain.client import LedgerClient
from chain.deployment import Deployment, deploy_ledger
from chain.domain import Label
from chain.errors import ConfigurationError, LedgerSealed
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
