"""``carbon-ledger ledger``: the seal is announced and waits its delay; only the ledger admin
seals; ``succeed`` moves the data folder to the successor only once the seal is done.
(The whole migration of a 4-registry ledger: tests/integration/test_consortium.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chain.anvil import LocalNode
from chain.connect import ANVIL_DEV_KEY, OPERATOR_KEY_ENV
from chain.deployment import Deployment
from chain.importer.keys import create_keystore
from cli.main import main
from tests.chain.test_anvil import rpc
from tests.cli.conftest import DEV_KEYS, PASSWORD, Cli

pytestmark = pytest.mark.anvil

DELAY = 3600


@pytest.fixture
def node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Cli, str, list[str], list[str]]]:
    """A ledger with a one-hour admin delay on a node of its own; the flags of the ledger
    admin's keystore and of another account's."""
    with LocalNode(tmp_path / "node") as n:
        monkeypatch.setenv(OPERATOR_KEY_ENV, ANVIL_DEV_KEY)
        assert (
            main(
                [
                    "deploy",
                    "--data-dir",
                    str(tmp_path),
                    "--rpc",
                    n.url,
                    "--admin-delay",
                    str(DELAY),
                ]
            )
            == 0
        )
        monkeypatch.delenv(OPERATOR_KEY_ENV)
        password = tmp_path / "password"
        password.write_text(PASSWORD)
        flags = []
        for name, key in (("admin", ANVIL_DEV_KEY), ("other", DEV_KEYS[0])):
            path = tmp_path / f"{name}.json"
            create_keystore(path, PASSWORD, bytes.fromhex(key[2:]))
            flags.append(
                ["--rpc", n.url, "--keystore", str(path), "--password-file", str(password)]
            )
        yield Cli(tmp_path, capsys), n.url, flags[0], flags[1]


def test_the_seal_waits_its_announced_delay_then_the_successor_takes_over(
    node: tuple[Cli, str, list[str], list[str]],
) -> None:
    cli, url, admin, other = node
    err = cli.refused("ledger", "seal", *other)
    assert "AccessControlUnauthorizedAccount" in err
    scheduled: dict[str, Any] = cli.json("ledger", "seal", *admin)
    assert scheduled["sealed"] is False and scheduled["due"] is False
    [tx] = scheduled["transactions"]
    assert tx["events"] == ["SealRecorded"]
    # Not due: succeed sends nothing and leaves the data folder as it is.
    before = (cli.data_dir / "deployment.json").read_text()
    waiting = cli.json("ledger", "succeed", *admin)
    assert waiting["transactions"] == [] and waiting["sealed"] is False
    assert "again from" in waiting["action"]
    assert (cli.data_dir / "deployment.json").read_text() == before
    shown = cli.json("ledger", "show", "--rpc", url)
    assert shown["sealed"] is False and shown["predecessor"] is None

    # Withdrawn, then announced again: the delay runs from the new announcement.
    cli.json("ledger", "cancel-seal", *admin)
    assert cli.json("ledger", "show", "--rpc", url)["seal_at"] is None
    cli.json("ledger", "seal", *admin)
    rpc(url, "evm_increaseTime", DELAY + 1)
    rpc(url, "evm_mine")
    succeeded = cli.json("ledger", "succeed", *admin)
    old = Deployment.load(cli.data_dir / f"deployment-{succeeded['predecessor']}.json")
    new = Deployment.load(cli.data_dir / "deployment.json")
    assert new.address == succeeded["address"] != old.address
    assert new.predecessor_record == old
    events = [e for t in succeeded["transactions"] for e in t["events"]]
    assert events[0] == "SealRecorded" and events.count("ProgramRegistered") == 8
    # The successor is the folder's ledger now, verified with its sealed predecessor.
    verified = cli.json("audit", "verify", "--rpc", url)
    assert verified["ok"] is True, verified["discrepancies"]
    assert verified["predecessors"][0]["address"] == old.address
    assert verified["predecessors"][0]["live_ranges"] == 0
    status, out, _ = cli("audit", "verify", "--rpc", url)
    assert status == 0
    assert f"predecessor {old.address}: sealed at audit seq" in out
    assert "0 of 0 live ranges (0 of 0 t) carried over" in out
