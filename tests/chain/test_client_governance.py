"""The client's governance calls the command line uses: revoking an issuer, the default
admin's hand-over, registering a programme with the transactions it sent."""

from __future__ import annotations

import time

from chain.programmes import registration
from tests.conftest import Ledger

_ZERO = "0x" + "0" * 40


def test_revoke_issuer_undoes_grant_issuer(ledger: Ledger) -> None:
    role = ledger.admin.issuer_role(ledger.vcs)
    assert ledger.admin.has_role(role, ledger.issuer.account)
    revoked = ledger.admin.revoke_issuer(ledger.vcs, ledger.issuer.account)
    assert not ledger.admin.has_role(role, ledger.issuer.account)
    assert revoked.event("RoleUpdated").fields["granted"] is False


def test_the_admin_hand_over_is_scheduled_and_can_be_cancelled(ledger: Ledger) -> None:
    admin = ledger.admin
    assert admin.default_admin().lower() == admin.account.lower()
    assert admin.pending_admin() == (_ZERO, 0)
    assert admin.admin_delay() == 3600  # the session ledger's

    begun = admin.begin_admin_transfer(ledger.bob.account)
    pending, accept_after = admin.pending_admin()
    assert pending.lower() == ledger.bob.account.lower()
    block_time = ledger.chain.w3.eth.get_block(begun.block_number)["timestamp"]
    assert accept_after == block_time + 3600 > time.time() - 60
    assert begun.event("AdminChangeRecorded").seq > 0

    admin.cancel_admin_transfer()
    assert admin.pending_admin() == (_ZERO, 0)
    assert admin.default_admin().lower() == admin.account.lower()


def test_registration_returns_the_id_and_every_transaction(ledger: Ledger) -> None:
    program_id, results = registration(ledger.admin, "CDM")
    assert ledger.admin.program_id("CDM") == program_id
    names = [e.name for r in results for e in r.events]
    assert names.count("ProgramRegistered") == 1 and names.count("ProgramPolicyUpdated") == 1
    # every ISO 3166 code, a bounded number per transaction
    assert names.count("NamespaceUpdated") == 249 and len(results) == 2 + 4

    # ACR needs numeric project ids, but that is its own admin's to set
    other, only = registration(ledger.admin, "ACR", admin=ledger.bob.account)
    assert other == program_id + 1 and len(only) == 1
    assert ledger.admin.program_policy(other).numeric_project_ids is False
