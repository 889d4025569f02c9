"""``carbon-ledger programme``: register, policy, namespaces, show."""

from __future__ import annotations

from pathlib import Path

import pytest

from chain.domain import Project
from tests.cli.conftest import OPERATOR, Cli, Keyed, assert_transactions, bridge_vcs, ledger_of

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


# ---------------------------------------------------------------- units and buffer pools


def test_a_programme_in_kilograms_set_before_its_first_project(
    cli: Cli, governed_dir: Path, dev_keys: list[Keyed]
) -> None:
    registered = cli.json("programme", "register", "PROGKG")
    unit = cli.json("programme", "unit", "PROGKG", "--kg")
    assert unit["unit_grams"] == 1_000
    assert_transactions(unit, "ProgramUnitSet")
    assert cli.json("programme", "show", "PROGKG")["unit_grams"] == 1_000
    # A unit change after the programme's first project is refused.
    issuer = dev_keys[0]
    cli.json("issuer", "grant", "PROGKG", issuer.address)
    ledger_of(governed_dir, issuer).register_project(
        registered["program_id"], Project("P-1", "Kiln", "GB", "Biochar", "Removal")
    )
    err = cli.refused("programme", "unit", "PROGKG", "--tonne")
    assert f"ProgramUnitFixed(programId={registered['program_id']})" in err


def test_a_unit_of_no_grams_is_refused_before_anything_is_sent(cli: Cli) -> None:
    cli.json("programme", "register", "PROGZERO")
    status, _, err = cli("programme", "unit", "PROGZERO", "--grams", "0")
    assert status != 0 and "unit must be 1 to" in err


def test_buffer_and_reverse_by_tonnes(cli: Cli, governed_dir: Path, dev_keys: list[Keyed]) -> None:
    issuer, buffer = dev_keys[0], dev_keys[2]
    cli.json("issuer", "grant", "VCS", issuer.address)
    cli.json("account", "allow", issuer.address)
    cli.json("account", "allow", buffer.address)
    set_ = cli.json("programme", "buffer", "VCS", buffer.address)
    assert_transactions(set_, "ProgramBufferSet")
    assert cli.json("programme", "show", "VCS")["buffer_account"] == buffer.address.lower()
    ledger = ledger_of(governed_dir, issuer)
    first = 1_000 * (ledger.batch_count() + 1)
    reversed_ = bridge_vcs(ledger, first, first + 99, issuer.address, reference=f"r-{first}")
    pool = bridge_vcs(ledger, first + 100, first + 119, buffer.address, reference=f"b-{first}")
    done = cli.json(
        "programme", "reverse", "--batch", str(reversed_), "--tonnes", "7",
        "--from-batch", str(pool), "--reason", "wildfire",
    )  # fmt: skip
    assert done["serials"] == [f"batch {pool}: {first + 100}..{first + 106}"]
    assert_transactions(done, "SerialsMoved", "BufferReversed")
    # Hostile: more than the buffer holds, a fraction of a tonne, a batch of the buffer itself.
    more = cli.refused(
        "programme", "reverse", "--batch", str(reversed_), "--tonnes", "14",
        "--from-batch", str(pool), "--reason", "again",
    )  # fmt: skip
    assert "fewer than the 14 t" in more
    half = cli.refused(
        "programme", "reverse", "--batch", str(reversed_), "--tonnes", "0.5",
        "--from-batch", str(pool), "--reason", "again",
    )  # fmt: skip
    assert "not a whole number" in half
    itself = cli.refused(
        "programme", "reverse", "--batch", str(pool), "--tonnes", "1",
        "--from-batch", str(pool), "--reason", "again",
    )  # fmt: skip
    assert "ReversalOutsideProgramme" in itself
