"""``carbon-ledger admin``: the two-step hand-over of the default admin, on a ledger of its
own (the session's keeps its admin)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.anvil import stop_node
from chain.connect import connect
from tests.cli.conftest import OPERATOR, Cli, Keyed, assert_transactions, deploy

pytestmark = pytest.mark.anvil


@pytest.fixture
def own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Cli]:
    monkeypatch.delenv("CARBON_LEDGER_OPERATOR_KEY", raising=False)
    deploy(tmp_path)
    yield Cli(tmp_path, capsys)
    stop_node(tmp_path)


def test_transfer_cancel_transfer_accept(own: Cli, dev_keys: list[Keyed]) -> None:
    successor = dev_keys[1]
    assert own.json("admin", "show") == {
        "admin": OPERATOR,
        "pending_admin": None,
        "accept_after": None,
        "delay_seconds": 0,
    }

    begun = own.json("admin", "transfer", successor.address)
    assert begun["pending_admin"] == successor.address
    assert_transactions(begun, "AdminChangeRecorded", "DefaultAdminTransferScheduled")
    assert own.json("admin", "show")["pending_admin"] == successor.address

    # only the pending admin may accept
    assert "AccessControlInvalidDefaultAdmin" in own.refused("admin", "accept")

    cancelled = own.json("admin", "cancel")
    assert cancelled["admin"] == OPERATOR
    assert_transactions(cancelled, "AdminChangeRecorded")
    assert own.json("admin", "show")["pending_admin"] is None

    own.json("admin", "transfer", successor.address)
    # the delay (0 here) must have passed: a block a second later (the node estimates gas
    # against its latest block)
    provider = connect(own.data_dir, None).provider
    provider.make_request("evm_increaseTime", [1])  # type: ignore[arg-type]
    provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    accepted = own.json("admin", "accept", *successor.flags)
    assert accepted["admin"] == successor.address
    assert_transactions(accepted, "AdminChangeRecorded")
    shown = own.json("admin", "show")
    assert (shown["admin"], shown["pending_admin"]) == (successor.address, None)

    # the former admin no longer can begin a hand-over
    assert "AccessControlUnauthorizedAccount" in own.refused("admin", "transfer", OPERATOR)


def test_the_admin_show_lines(own: Cli) -> None:
    status, out, _ = own("admin", "show")
    assert status == 0
    assert f"admin: {OPERATOR}" in out and "delay seconds: 0" in out
