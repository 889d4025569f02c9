"""``carbon-ledger programme``: register, policy, namespaces, show."""

from __future__ import annotations

import pytest

from tests.cli.conftest import OPERATOR, Cli, Keyed, assert_transactions

pytestmark = pytest.mark.anvil


def test_show_reads_the_policy_deploy_applied(cli: Cli) -> None:
    shown = cli.json("programme", "show", "VCS", "--namespace", "VCS-VCU", "--namespace", "VCSVCU")
    assert shown["code"] == "VCS" and shown["program_id"] == 1
    assert shown["fixed_namespaces"] is True and shown["numeric_project_ids"] is True
    assert shown["namespaces"] == {"VCS-VCU": True, "VCSVCU": False}
    assert shown["admin_role"].startswith("0x") and shown["issuer_role"].startswith("0x")

    status, out, _ = cli("programme", "show", "VCS")
    assert status == 0 and "fixed namespaces: yes" in out


def test_register_with_the_signer_as_admin(cli: Cli) -> None:
    registered = cli.json("programme", "register", "PROGA")
    assert registered["admin"] == OPERATOR and registered["program_id"] > 8
    assert_transactions(registered, "ProgramRegistered")
    assert "next" not in registered  # an open programme: nothing left to set

    # the contract refuses a code taken already as it refuses a malformed one
    err = cli.refused("programme", "register", "PROGA")
    assert "InvalidProgramCode(code=0x" + b"PROGA".hex() in err


def test_another_admin_sets_the_policy_and_namespaces(cli: Cli, dev_keys: list[Keyed]) -> None:
    registry = dev_keys[1]
    registered = cli.json("programme", "register", "PROGB", "--admin", registry.address)
    assert registered["admin"] == registry.address
    # an open programme: nothing for its admin to apply (no "next" step)
    assert len(registered["transactions"]) == 1 and "next" not in registered

    # the ledger admin does not administer PROGB
    err = cli.refused("programme", "policy", "PROGB", "--fixed-namespaces")
    assert "AccessControlUnauthorizedAccount" in err

    policy = cli.json("programme", "policy", "PROGB", "--fixed-namespaces", *registry.flags)
    assert (policy["fixed_namespaces"], policy["numeric_project_ids"]) == (True, False)
    assert_transactions(policy, "ProgramPolicyUpdated")
    policy = cli.json("programme", "policy", "PROGB", "--numeric-ids", *registry.flags)
    assert (policy["fixed_namespaces"], policy["numeric_project_ids"]) == (True, True)

    allowed = cli.json("programme", "namespaces", "PROGB", "--allow", "B-1", "B-2", *registry.flags)
    assert allowed["namespaces"] == ["B-1", "B-2"] and allowed["allowed"] is True
    assert len(assert_transactions(allowed, "NamespaceUpdated")) == 2
    withdrawn = cli.json("programme", "namespaces", "PROGB", "--withdraw", "B-2", *registry.flags)
    assert withdrawn["allowed"] is False

    shown = cli.json("programme", "show", "PROGB", "--namespace", "B-1", "--namespace", "B-2")
    assert shown["namespaces"] == {"B-1": True, "B-2": False}
    assert shown["numeric_project_ids"] is True

    opened = cli.json("programme", "policy", "PROGB", "--open", "--any-ids", *registry.flags)
    assert (opened["fixed_namespaces"], opened["numeric_project_ids"]) == (False, False)


def test_policy_without_flags_applies_nothing_to_an_open_programme(cli: Cli) -> None:
    cli.json("programme", "register", "PROGC")
    applied = cli.json("programme", "policy", "PROGC")
    assert applied["transactions"] == []
    assert (applied["fixed_namespaces"], applied["numeric_project_ids"]) == (False, False)


def test_namespaces_needs_allow_or_withdraw(cli: Cli) -> None:
    with pytest.raises(SystemExit) as exited:
        cli("programme", "namespaces", "VCS")
    assert exited.value.code == 2


def test_policy_without_flags_applies_the_registrys_identity_policy(cli: Cli) -> None:
    applied = cli.json("programme", "policy", "VCS")
    assert (applied["fixed_namespaces"], applied["numeric_project_ids"]) == (True, True)
    assert len(assert_transactions(applied, "ProgramPolicyUpdated", "NamespaceUpdated")) == 2
    assert cli.json("programme", "show", "VCS", "--namespace", "VCS-VCU")["namespaces"] == {
        "VCS-VCU": True
    }
