"""``carbon-ledger pause`` and ``unpause`` (the pauser's key)."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Cli, Keyed, assert_transactions

pytestmark = pytest.mark.anvil


def test_pause_and_unpause(cli: Cli) -> None:
    paused = cli.json("pause")
    assert paused["paused"] is True and paused["action"] == "paused the ledger"
    assert_transactions(paused, "PauseChanged")
    try:
        assert "EnforcedPause" in cli.refused("pause")
    finally:
        unpaused = cli.json("unpause")
    assert unpaused["paused"] is False
    assert_transactions(unpaused, "PauseChanged")


def test_a_key_without_the_pauser_role_is_refused(cli: Cli, dev_keys: list[Keyed]) -> None:
    assert "AccessControlUnauthorizedAccount" in cli.refused("pause", *dev_keys[0].flags)
