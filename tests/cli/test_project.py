"""``carbon-ledger project link|unpropose|show``: both programme admins must agree."""

from __future__ import annotations

import pytest

from chain.domain import Project
from tests.cli.conftest import Cli, Keyed, assert_transactions, ledger_of

pytestmark = pytest.mark.anvil


def _programme(cli: Cli, code: str, admin: Keyed, project: str) -> None:
    """Programme ``code`` administered by ``admin``, which registers ``project`` under it."""
    assert cli.json("programme", "register", code, "--admin", admin.address)["admin"]
    cli.json("issuer", "grant", code, admin.address, *admin.flags)
    registry = ledger_of(cli.data_dir, admin)
    registry.register_project(registry.program_id(code), Project(project, "Landfill", "BR", "", ""))


def test_both_programme_admins_link_their_projects(cli: Cli, dev_keys: list[Keyed]) -> None:
    cdm, vcs = dev_keys[1], dev_keys[2]
    _programme(cli, "LINKCDM", cdm, "1234")
    _programme(cli, "LINKVCS", vcs, "5678")

    proposed = cli.json(
        "project",
        "link",
        "--program",
        "LINKCDM",
        "--project",
        "1234",
        "--with",
        "LINKVCS:5678",
        *cdm.flags,
    )
    assert proposed["action"].startswith("proposed linking LINKCDM 1234 ⇄ LINKVCS 5678")
    assert proposed["link_group"] == 0  # one side only: nothing linked yet
    [seq] = assert_transactions(proposed, "ProjectLinkRecorded")

    status, out, _ = cli(
        "project",
        "link",
        "--program",
        "LINKVCS",
        "--project",
        "5678",
        "--with",
        "LINKCDM:1234",
        *vcs.flags,
    )
    assert status == 0
    assert "linked LINKVCS 5678 ⇄ LINKCDM 1234" in out
    assert "audit seq" in out and "in block" in out
    shown = cli.json("project", "show", "--program", "LINKCDM", "--project", "1234")
    assert shown["link_group"] > 0
    assert shown["claimed"] == {
        "LINKCDM": "nothing bridged since the link",
        "LINKVCS": "nothing bridged since the link",
    }
    assert seq > 0


def test_a_hostile_admin_cannot_link_another_programmes_project(
    cli: Cli, dev_keys: list[Keyed]
) -> None:
    # The operator administers VCS, not LINKGS: it cannot propose on LINKGS's behalf.
    gs = dev_keys[1]
    _programme(cli, "LINKGS", gs, "99")
    _programme(cli, "LINKART", dev_keys[2], "7")
    err = cli.refused(
        "project", "link", "--program", "LINKGS", "--project", "99", "--with", "LINKART:7"
    )
    assert "AccessControlUnauthorizedAccount" in err
    # Nor can LINKART's admin accept a link nobody proposed: it only proposes one.
    one_sided = cli.json(
        "project",
        "link",
        "--program",
        "LINKART",
        "--project",
        "7",
        "--with",
        "LINKGS:99",
        *dev_keys[2].flags,
    )
    assert one_sided["link_group"] == 0
    withdrawn = cli.json(
        "project",
        "unpropose",
        "--program",
        "LINKART",
        "--project",
        "7",
        "--with",
        "LINKGS:99",
        *dev_keys[2].flags,
    )
    assert_transactions(withdrawn, "ProjectLinkRecorded")
    err = cli.refused(
        "project",
        "unpropose",
        "--program",
        "LINKART",
        "--project",
        "7",
        "--with",
        "LINKGS:99",
        *dev_keys[2].flags,
    )
    assert "ProjectLinkNotProposed" in err


def test_an_unregistered_project_or_bad_other_is_named(cli: Cli) -> None:
    err = cli.refused("project", "show", "--program", "VCS", "--project", "NOPE-404")
    assert "UnknownProject" in err and "NOPE-404" in err
    with pytest.raises(SystemExit) as exit_:
        cli("project", "link", "--program", "VCS", "--project", "1", "--with", "VCS-5678")
    assert exit_.value.code == 2
