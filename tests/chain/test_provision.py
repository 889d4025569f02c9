"""``chain.provision.role_holders``: who holds which role after a deploy, and the refusals a
real node's deploy meets before it sends anything (the CLI's own tests run them on anvil)."""

from __future__ import annotations

import pytest

from chain.errors import ConfigurationError
from chain.programmes import STANDARD_PROGRAMMES
from chain.provision import Roles, parse_program_admin, role_holders

ADMIN = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
COMPLIANCE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
PAUSER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
VERRA = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


def test_the_local_chain_runs_on_the_operators_one_key() -> None:
    held = role_holders(ADMIN.lower(), Roles(), on_local_chain=True)
    assert (held.admin, held.compliance, held.pauser) == (ADMIN, ADMIN, ADMIN)
    assert held.program_admins == {code: ADMIN for code in STANDARD_PROGRAMMES}
    assert held.unregistered == ()


def test_the_local_chain_takes_named_keys_too() -> None:
    roles = Roles(compliance=COMPLIANCE, program_admins={"VCS": VERRA.lower()})
    held = role_holders(ADMIN, roles, on_local_chain=True)
    assert (held.compliance, held.pauser) == (COMPLIANCE, ADMIN)
    assert held.program_admins["VCS"] == VERRA and held.program_admins["GS"] == ADMIN


def test_a_real_node_registers_only_the_programmes_whose_admin_is_named() -> None:
    roles = Roles(compliance=COMPLIANCE, pauser=PAUSER, program_admins={"VCS": VERRA})
    held = role_holders(ADMIN, roles, on_local_chain=False)
    assert (held.admin, held.compliance, held.pauser) == (ADMIN, COMPLIANCE, PAUSER)
    assert held.program_admins == {"VCS": VERRA}
    assert held.unregistered == tuple(c for c in STANDARD_PROGRAMMES if c != "VCS")
    assert ADMIN not in held.program_admins.values()


@pytest.mark.parametrize(
    ("roles", "problem"),
    [
        (Roles(pauser=PAUSER), "--compliance ADDR is required on a real node"),
        (Roles(compliance=COMPLIANCE), "--pauser ADDR is required on a real node"),
        (Roles(), "--compliance ADDR is required"),
        (Roles(compliance=ADMIN.lower(), pauser=PAUSER), "is the admin's own account"),
        (Roles(compliance=COMPLIANCE, pauser=ADMIN), "--pauser 0xf39F"),
        (Roles(compliance=COMPLIANCE, pauser=COMPLIANCE.lower()), "are the same account"),
        (
            Roles(compliance=COMPLIANCE, pauser=PAUSER, program_admins={"Verra": VERRA}),
            "--program-admin Verra: not a standard programme",
        ),
    ],
)
def test_a_real_node_refuses_keys_that_are_not_separate(roles: Roles, problem: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        role_holders(ADMIN, roles, on_local_chain=False)
    assert problem in str(refused.value)


def test_an_unknown_programme_is_refused_on_the_local_chain_too() -> None:
    with pytest.raises(ConfigurationError, match="not a standard programme"):
        role_holders(ADMIN, Roles(program_admins={"XYZ": VERRA}), on_local_chain=True)


def test_program_admin_flags_parse_or_name_their_problem() -> None:
    assert parse_program_admin(f"VCS={VERRA.lower()}") == ("VCS", VERRA)
    for bad, says in (
        ("VCS", "not CODE=0xADDR"),
        ("=0x1", "not CODE=0xADDR"),
        ("VCS=x", "not an address"),
    ):
        with pytest.raises(ValueError, match=says):
            parse_program_admin(bad)
