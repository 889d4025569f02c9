"""``carbon-ledger account``: allow, disallow, freeze, unfreeze, show (compliance's key)."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Cli, Keyed, assert_transactions

pytestmark = pytest.mark.anvil

SOMEONE = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"  # anvil's development account 3


def test_each_command_changes_one_flag_and_keeps_the_other(cli: Cli) -> None:
    # any case in, checksummed out
    assert cli.json("account", "show", SOMEONE.lower()) == {
        "account": SOMEONE,
        "allowed": False,
        "frozen": False,
    }
    steps = [
        ("allow", True, False),
        ("freeze", True, True),
        ("disallow", False, True),
        ("unfreeze", False, False),
    ]
    seqs: list[int] = []
    for command, allowed, frozen in steps:
        done = cli.json("account", command, SOMEONE)
        assert (done["allowed"], done["frozen"]) == (allowed, frozen), command
        seqs += assert_transactions(done, "AccountUpdated")
        shown = cli.json("account", "show", SOMEONE)
        assert (shown["allowed"], shown["frozen"]) == (allowed, frozen), command
    assert seqs == sorted(seqs) and len(seqs) == 4

    status, out, _ = cli("account", "show", SOMEONE)
    assert status == 0 and "allowed: no" in out and "frozen: no" in out


def test_a_key_without_the_compliance_role_is_refused(cli: Cli, dev_keys: list[Keyed]) -> None:
    err = cli.refused("account", "freeze", SOMEONE, *dev_keys[0].flags)
    assert "AccessControlUnauthorizedAccount" in err
