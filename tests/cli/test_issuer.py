"""``carbon-ledger issuer grant|revoke``: by the programme's admin only."""

from __future__ import annotations

import pytest

from tests.cli.conftest import OPERATOR, Cli, Keyed, assert_transactions

pytestmark = pytest.mark.anvil


def test_the_programme_admin_grants_and_revokes_an_issuer(cli: Cli, dev_keys: list[Keyed]) -> None:
    someone = dev_keys[2].address
    granted = cli.json("issuer", "grant", "GS", someone)
    assert granted["issuer"] is True and granted["program_id"] == 2
    assert granted["action"] == f"granted the GS issuer role to {someone}"
    [seq] = assert_transactions(granted, "RoleUpdated")

    revoked = cli.json("issuer", "revoke", "GS", someone)
    assert revoked["issuer"] is False
    assert assert_transactions(revoked, "RoleUpdated")[0] > seq

    status, out, _ = cli("issuer", "grant", "GS", someone)
    assert status == 0
    assert f"granted the GS issuer role to {someone}" in out
    assert "audit seq" in out and "in block" in out


def test_a_key_without_the_programme_admin_role_is_refused(cli: Cli, dev_keys: list[Keyed]) -> None:
    outsider = dev_keys[0]
    err = cli.refused("issuer", "grant", "VCS", outsider.address, *outsider.flags)
    assert "AccessControlUnauthorizedAccount" in err
    assert outsider.address.lower() in err.lower()


def test_the_ledger_admin_cannot_grant_an_issuer_of_a_programme_it_does_not_administer(
    cli: Cli, dev_keys: list[Keyed]
) -> None:
    registry = dev_keys[1]
    registered = cli.json("programme", "register", "ISSUERT", "--admin", registry.address)
    assert registered["admin"] == registry.address
    err = cli.refused("issuer", "grant", "ISSUERT", OPERATOR)
    assert "AccessControlUnauthorizedAccount" in err
    assert OPERATOR.lower() in err.lower()

    # the programme's own admin can
    granted = cli.json("issuer", "grant", "ISSUERT", OPERATOR, *registry.flags)
    assert granted["issuer"] is True


def test_an_unregistered_programme_is_named(cli: Cli) -> None:
    assert "UnknownProgram(code='NOPE')" in cli.refused("issuer", "grant", "NOPE", OPERATOR)
