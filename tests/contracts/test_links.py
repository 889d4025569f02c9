"""No tonne issued twice across programmes: the admins of two programmes link their projects
(CDM 1234 ⇄ VCS 1340, both must agree), and a bridging whose vintage overlaps a period the
link group claimed under another programme is refused, at a cost that does not grow."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import pytest

from chain.client import LedgerClient
from chain.domain import Issuance, LinkClaim, Project
from chain.errors import (
    AccessControlUnauthorizedAccount,
    EnforcedPause,
    InvalidProjectLink,
    LinkedPeriodClaimed,
    LinkGroupFull,
    ProjectAlreadyLinked,
    ProjectLinkNotProposed,
    UnknownProject,
)
from chain.transactions import TxSender
from tests.conftest import Ledger
from tests.contracts._helpers import (
    addr,
    attempt,
    expect_events,
    invariants,  # noqa: F401  (autouse fixture)
    issuance,
)

CDM_NS = "CDM-CER"
CDM_PROJECT = Project("1234", "Landfill gas recovery", "BR", "ACM0001", "Waste")


@dataclass
class Linkable:
    ledger: Ledger
    cdm: int
    cdm_admin: LedgerClient  # CDM's programme admin (and issuer): a registry of its own
    cdm_key: bytes
    vcs_key: bytes  # Bale Mountains, VCS 1340 (ledger.admin is VCS's programme admin)

    def cdm_issuance(self, first: int, last: int, start: dt.date, end: dt.date) -> Issuance:
        return dataclasses.replace(
            issuance(self.ledger, first, last),
            program_id=self.cdm,
            project_key=self.cdm_key,
            namespace=CDM_NS,
            vintage_start=start,
            vintage_end=end,
        )

    def vcs_issuance(self, first: int, last: int, start: dt.date, end: dt.date) -> Issuance:
        return issuance(self.ledger, first, last, vintage_start=start, vintage_end=end)

    def link(self) -> int:
        """VCS proposes, CDM accepts; the group id."""
        self.ledger.admin.propose_project_link(self.vcs_key, self.cdm_key)
        result = self.cdm_admin.accept_project_link(self.cdm_key, self.vcs_key)
        return int(result.event("ProjectLinkRecorded").fields["groupId"])


def _client(ledger: Ledger, index: int) -> LedgerClient:
    account = ledger.chain.accounts[index]
    sender = TxSender(ledger.chain.w3, account, ledger.admin.abi, nonces=ledger.nonces)
    return ledger.admin.as_account(sender)


@pytest.fixture
def lk(ledger: Ledger) -> Linkable:
    cdm_admin = _client(ledger, 7)
    cdm = ledger.admin.register_program("CDM", cdm_admin.account)
    cdm_admin.grant_issuer(cdm, cdm_admin.account)
    cdm_key = cdm_admin.register_project(cdm, CDM_PROJECT)
    return Linkable(ledger, cdm, cdm_admin, cdm_key, ledger.project_key)


def _y(year: int, month: int = 1, day: int = 1) -> dt.date:
    return dt.date(year, month, day)


# ---------------------------------------------------------------- consent


def test_link_needs_both_admins_and_is_audited(lk: Linkable) -> None:
    ledger = lk.ledger
    proposed = ledger.admin.propose_project_link(lk.vcs_key, lk.cdm_key)
    expect_events(
        proposed,
        (
            "ProjectLinkRecorded",
            {
                "projectKey": lk.vcs_key,
                "otherKey": lk.cdm_key,
                "step": 0,
                "groupId": 0,
                "actor": addr(ledger.admin),
            },
        ),
    )
    assert ledger.admin.project_link_proposed(lk.vcs_key, lk.cdm_key)
    assert ledger.admin.project_link_group(lk.vcs_key) == 0  # a proposal binds nobody
    accepted = lk.cdm_admin.accept_project_link(lk.cdm_key, lk.vcs_key)
    expect_events(
        accepted,
        (
            "ProjectLinkRecorded",
            {
                "projectKey": lk.cdm_key,
                "otherKey": lk.vcs_key,
                "step": 2,
                "groupId": 1,
                "actor": addr(lk.cdm_admin),
            },
        ),
    )
    assert ledger.admin.project_link_group(lk.vcs_key) == 1
    assert ledger.admin.project_link_group(lk.cdm_key) == 1
    assert not ledger.admin.project_link_proposed(lk.vcs_key, lk.cdm_key)  # used up
    assert ledger.admin.link_claims(1) == [
        LinkClaim(lk.cdm, None, None),
        LinkClaim(ledger.vcs, None, None),
    ]


def test_one_sided_link_is_refused(lk: Linkable) -> None:
    ledger = lk.ledger
    fns = ledger.admin.contract.functions
    # Nobody proposed: accepting is refused.
    with pytest.raises(ProjectLinkNotProposed) as info:
        attempt(lk.cdm_admin, fns.acceptProjectLink(lk.cdm_key, lk.vcs_key))
    assert info.value.arguments == {"projectKey": lk.vcs_key, "otherKey": lk.cdm_key}
    # The proposer cannot accept its own proposal on the other side's behalf...
    ledger.admin.propose_project_link(lk.vcs_key, lk.cdm_key)
    with pytest.raises(AccessControlUnauthorizedAccount):
        attempt(ledger.admin, fns.acceptProjectLink(lk.cdm_key, lk.vcs_key))
    # ...nor by naming its own project first (that looks for the other side's proposal).
    with pytest.raises(ProjectLinkNotProposed):
        attempt(ledger.admin, fns.acceptProjectLink(lk.vcs_key, lk.cdm_key))
    # Without the link, both programmes may still bridge the same period.
    ledger.issuer.bridge(lk.vcs_issuance(1, 10, _y(2010), _y(2010, 12, 31)))
    lk.cdm_admin.bridge(lk.cdm_issuance(1, 10, _y(2010), _y(2010, 12, 31)))


def test_hostile_admin_cannot_link_another_programmes_project(lk: Linkable) -> None:
    # VCS's admin tries to tie CDM's project to its own, to block CDM's issuance.
    ledger = lk.ledger
    fns = ledger.admin.contract.functions
    cdm_admin_role = ledger.admin.program_admin_role(lk.cdm)
    for fn in (
        fns.proposeProjectLink(lk.cdm_key, lk.vcs_key),
        fns.acceptProjectLink(lk.cdm_key, lk.vcs_key),
        fns.withdrawProjectLink(lk.cdm_key, lk.vcs_key),
    ):
        with pytest.raises(AccessControlUnauthorizedAccount) as info:
            attempt(ledger.admin, fn)
        assert info.value.arguments == {
            "account": addr(ledger.admin),
            "neededRole": cdm_admin_role,
        }
    # An issuer of VCS is no admin: it cannot propose either.
    with pytest.raises(AccessControlUnauthorizedAccount):
        attempt(ledger.issuer, fns.proposeProjectLink(lk.vcs_key, lk.cdm_key))


def test_withdrawn_proposal_cannot_be_accepted(lk: Linkable) -> None:
    ledger = lk.ledger
    ledger.admin.propose_project_link(lk.vcs_key, lk.cdm_key)
    withdrawn = ledger.admin.withdraw_project_link(lk.vcs_key, lk.cdm_key)
    assert withdrawn.event("ProjectLinkRecorded").fields["step"] == 1
    with pytest.raises(ProjectLinkNotProposed):
        lk.cdm_admin.accept_project_link(lk.cdm_key, lk.vcs_key)
    with pytest.raises(ProjectLinkNotProposed):  # nothing left to withdraw
        ledger.admin.withdraw_project_link(lk.vcs_key, lk.cdm_key)


def test_links_within_one_programme_or_to_unknown_projects_are_refused(lk: Linkable) -> None:
    ledger = lk.ledger
    other_vcs = ledger.issuer.register_project(ledger.vcs, Project("5678", "Other", "BR", "", ""))
    fns = ledger.admin.contract.functions
    with pytest.raises(InvalidProjectLink):
        attempt(ledger.admin, fns.proposeProjectLink(lk.vcs_key, other_vcs))
    with pytest.raises(InvalidProjectLink):
        attempt(ledger.admin, fns.proposeProjectLink(lk.vcs_key, lk.vcs_key))
    with pytest.raises(UnknownProject):
        attempt(ledger.admin, fns.proposeProjectLink(lk.vcs_key, b"\x01" * 32))


def test_already_linked_projects_are_refused(lk: Linkable) -> None:
    group = lk.link()
    ledger = lk.ledger
    with pytest.raises(ProjectAlreadyLinked) as info:
        attempt(
            ledger.admin, ledger.admin.contract.functions.proposeProjectLink(lk.vcs_key, lk.cdm_key)
        )
    assert info.value.arguments == {"projectKey": lk.cdm_key, "groupId": group}


def test_linking_is_refused_while_paused(lk: Linkable) -> None:
    ledger = lk.ledger
    fns = ledger.admin.contract.functions
    ledger.admin.propose_project_link(lk.vcs_key, lk.cdm_key)
    ledger.admin.pause()
    with pytest.raises(EnforcedPause):
        attempt(lk.cdm_admin, fns.acceptProjectLink(lk.cdm_key, lk.vcs_key))
    with pytest.raises(EnforcedPause):
        attempt(lk.cdm_admin, fns.proposeProjectLink(lk.cdm_key, lk.vcs_key))
    # Withdrawing consent stays possible.
    ledger.admin.withdraw_project_link(lk.vcs_key, lk.cdm_key)


# ---------------------------------------------------------------- the bridging check


def test_overlapping_period_under_the_other_programme_is_refused(lk: Linkable) -> None:
    group = lk.link()
    ledger = lk.ledger
    lk.cdm_admin.bridge(lk.cdm_issuance(1, 100, _y(2008), _y(2012, 12, 31)))
    with pytest.raises(LinkedPeriodClaimed) as info:
        ledger.issuer.bridge(lk.vcs_issuance(1, 10, _y(2012, 6, 1), _y(2013, 5, 31)))
    assert info.value.arguments == {
        "groupId": group,
        "programId": lk.cdm,
        "claimedStart": 20080101,
        "claimedEnd": 20121231,
    }
    # And the other way round: CDM cannot bridge a period VCS claimed since.
    ledger.issuer.bridge(lk.vcs_issuance(1, 10, _y(2013), _y(2014, 12, 31)))
    with pytest.raises(LinkedPeriodClaimed) as info:
        lk.cdm_admin.bridge(lk.cdm_issuance(101, 200, _y(2014, 12, 31), _y(2014, 12, 31)))
    assert info.value.arguments["programId"] == ledger.vcs
    assert ledger.admin.link_claims(group) == [
        LinkClaim(lk.cdm, _y(2008), _y(2012, 12, 31)),
        LinkClaim(ledger.vcs, _y(2013), _y(2014, 12, 31)),
    ]


def test_adjacent_periods_are_allowed(lk: Linkable) -> None:
    lk.link()
    lk.cdm_admin.bridge(lk.cdm_issuance(1, 100, _y(2008), _y(2012, 12, 31)))
    lk.ledger.issuer.bridge(lk.vcs_issuance(1, 10, _y(2013), _y(2013, 12, 31)))
    lk.cdm_admin.bridge(lk.cdm_issuance(101, 200, _y(2007), _y(2007, 12, 31)))


def test_same_programme_bridgings_never_conflict(lk: Linkable) -> None:
    lk.link()
    # Vintage 2010 in three blocks under CDM, and again under CDM in another namespace.
    for first in (1, 101, 201):
        lk.cdm_admin.bridge(lk.cdm_issuance(first, first + 99, _y(2010), _y(2010, 12, 31)))
    lk.cdm_admin.bridge(
        dataclasses.replace(lk.cdm_issuance(1, 5, _y(2009), _y(2011, 6, 30)), namespace="CDM-TCER")
    )


def test_envelope_refuses_a_gap_between_claimed_periods(lk: Linkable) -> None:
    # Conservative by design: CDM bridged 2008 and 2012, so VCS's 2010 is refused too.
    lk.link()
    lk.cdm_admin.bridge(lk.cdm_issuance(1, 10, _y(2008), _y(2008, 12, 31)))
    lk.cdm_admin.bridge(lk.cdm_issuance(11, 20, _y(2012), _y(2012, 12, 31)))
    with pytest.raises(LinkedPeriodClaimed):
        lk.ledger.issuer.bridge(lk.vcs_issuance(1, 10, _y(2010), _y(2010, 12, 31)))


def test_a_third_programme_joins_the_group_and_a_fifth_is_refused(lk: Linkable) -> None:
    ledger = lk.ledger
    group = lk.link()
    lk.cdm_admin.bridge(lk.cdm_issuance(1, 10, _y(2008), _y(2012, 12, 31)))
    gs_key = ledger.gs_issuer.register_project(ledger.gs, Project("GS1234", "Gas", "BR", "", ""))
    ledger.admin.propose_project_link(gs_key, lk.cdm_key)  # ledger.admin administers GS too
    lk.cdm_admin.accept_project_link(lk.cdm_key, gs_key)
    assert ledger.admin.project_link_group(gs_key) == group
    gs = dataclasses.replace(
        lk.vcs_issuance(1, 10, _y(2011), _y(2011, 12, 31)),
        program_id=ledger.gs,
        project_key=gs_key,
        namespace="GS1-1-BR-GS1234",
    )
    with pytest.raises(LinkedPeriodClaimed):
        ledger.gs_issuer.bridge(gs)
    # Four programmes at most: CDM, VCS, GS, then a fourth joins and a fifth is refused.
    keys = []
    for code in ("ART", "ACR"):
        pid = ledger.admin.register_program(code)
        ledger.admin.grant_issuer(pid, ledger.admin.account)
        keys.append(ledger.admin.register_project(pid, Project("1", "P", "BR", "", "")))
    ledger.admin.propose_project_link(keys[0], lk.cdm_key)
    lk.cdm_admin.accept_project_link(lk.cdm_key, keys[0])
    ledger.admin.propose_project_link(keys[1], lk.cdm_key)
    with pytest.raises(LinkGroupFull) as info:
        lk.cdm_admin.accept_project_link(lk.cdm_key, keys[1])
    assert info.value.arguments == {"groupId": group}


def test_linked_bridging_cost_is_flat_after_many_bridgings(lk: Linkable) -> None:
    lk.link()
    ledger = lk.ledger
    gas = []
    for k in range(40):  # each a later vintage: the claim grows every time
        year = 2000 + k
        lk.cdm_admin.bridge(
            lk.cdm_issuance(1000 * k + 1, 1000 * k + 10, _y(year), _y(year, 12, 31))
        )
        gas.append(
            ledger.issuer.bridge(
                lk.vcs_issuance(1000 * k + 1, 1000 * k + 10, _y(year + 100), _y(year + 100, 12, 31))
            ).gas_used
        )
    # Every VCS bridging after the first sits above an earlier part (one more read): flat.
    assert max(gas[1:]) - min(gas[1:]) <= 64, gas
