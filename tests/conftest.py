"""Shared fixtures: one embedded chain per session with a deployed, configured ledger; every
test starts from a snapshot of it and is rolled back afterwards, so tests stay independent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from chain.artifacts import ledger_abi
from chain.client import LedgerClient
from chain.deployment import Deployment, deploy_ledger
from chain.domain import Issuance, Label, Project
from chain.embedded import EmbeddedChain, embedded_chain
from chain.transactions import NonceManager, TxSender

VCS_NAMESPACE = "VCS-VCU-1507-VER-ET-14-1340-01012020-31122020"
BALE = Project("1340", "Bale Mountains Eco-region REDD+ project", "ET", "VM0015", "AFOLU")


@dataclass
class Ledger:
    """A deployed ledger with one client per actor.

    - ``admin``: default admin, also holds COMPLIANCE_ROLE and PAUSER_ROLE;
    - ``issuer``: issuer of VCS (``vcs``); ``gs_issuer``: issuer of GS (``gs``);
    - ``alice``, ``bob``, ``carol``: allowlisted holders; ``outsider``: not allowlisted;
    - ``project_key``: the Bale Mountains project, registered under VCS.
    """

    chain: EmbeddedChain
    deployment: Deployment
    admin: LedgerClient
    issuer: LedgerClient
    gs_issuer: LedgerClient
    alice: LedgerClient
    bob: LedgerClient
    carol: LedgerClient
    outsider: LedgerClient
    vcs: int
    gs: int
    project_key: bytes
    nonces: NonceManager

    def issuance(
        self,
        first: int,
        last: int,
        recipient: str | None = None,
        *,
        namespace: str = VCS_NAMESPACE,
        labels: Label = Label.NONE,
        reference: str = "19385",
    ) -> Issuance:
        return Issuance(
            program_id=self.vcs,
            project_key=self.project_key,
            namespace=namespace,
            first_serial=first,
            last_serial=last,
            recipient=recipient or self.alice.account,
            vintage_start=dt.date(2020, 1, 1),
            vintage_end=dt.date(2020, 12, 31),
            labels=labels,
            metadata_hash=b"\x11" * 32,
            registry_reference=reference,
        )


@pytest.fixture(scope="session")
def _ledger_session() -> Ledger:
    chain = embedded_chain()
    abi = ledger_abi()
    nonces = NonceManager(chain.w3)
    senders = [TxSender(chain.w3, account, abi, nonces=nonces) for account in chain.accounts]
    admin_s, issuer_s, gs_s, alice_s, bob_s, carol_s, outsider_s = senders[:7]
    deployment = deploy_ledger(admin_s, admin_delay=3600)
    admin = LedgerClient.for_deployment(chain.w3, deployment, admin_s)
    vcs = admin.register_program("VCS")
    gs = admin.register_program("GS")
    admin.grant_issuer(vcs, issuer_s.address)
    admin.grant_issuer(gs, gs_s.address)
    admin.grant_role(admin.role("COMPLIANCE_ROLE"), admin_s.address)
    admin.grant_role(admin.role("PAUSER_ROLE"), admin_s.address)
    for s in (issuer_s, gs_s, alice_s, bob_s, carol_s):
        admin.set_account(s.address)
    issuer = admin.as_account(issuer_s)
    key = issuer.register_project(vcs, BALE)
    return Ledger(
        chain=chain,
        deployment=deployment,
        admin=admin,
        issuer=issuer,
        gs_issuer=admin.as_account(gs_s),
        alice=admin.as_account(alice_s),
        bob=admin.as_account(bob_s),
        carol=admin.as_account(carol_s),
        outsider=admin.as_account(outsider_s),
        vcs=vcs,
        gs=gs,
        project_key=key,
        nonces=nonces,
    )


@pytest.fixture
def ledger(_ledger_session: Ledger) -> Iterator[Ledger]:
    """The configured ledger, rolled back to its fresh state after the test."""
    snapshot = _ledger_session.chain.snapshot()
    try:
        yield _ledger_session
    finally:
        _ledger_session.chain.revert(snapshot)
        # Clients cache the bridged-part list and nonces; the rollback invalidated both.
        _ledger_session.admin._parts.refresh()
        _ledger_session.nonces.reset()
