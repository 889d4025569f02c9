"""What the governance commands share (``cli._governance``), against a node named by
``--rpc``: the key from a keystore or the operator's environment, never the development key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.anvil import LocalNode
from chain.connect import ANVIL_DEV_KEY, OPERATOR_KEY_ENV
from chain.importer.keys import create_keystore
from cli.main import main
from tests.cli.conftest import PASSWORD, Cli

pytestmark = pytest.mark.anvil


@pytest.fixture
def remote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Cli, str]]:
    """A ledger deployed on a node of its own, reached by URL only."""
    with LocalNode(tmp_path / "node") as node:
        monkeypatch.setenv(OPERATOR_KEY_ENV, ANVIL_DEV_KEY)
        assert main(["deploy", "--data-dir", str(tmp_path), "--rpc", node.url]) == 0
        monkeypatch.delenv(OPERATOR_KEY_ENV)
        yield Cli(tmp_path, capsys), node.url


def test_on_an_rpc_node_a_command_signs_with_a_keystore(
    remote: tuple[Cli, str], tmp_path: Path
) -> None:
    cli, url = remote
    err = cli.refused("pause", "--rpc", url)
    assert f"give --keystore FILE, or set {OPERATOR_KEY_ENV}, to sign on --rpc" in err

    keystore = tmp_path / "operator.json"
    create_keystore(keystore, PASSWORD, bytes.fromhex(ANVIL_DEV_KEY[2:]))
    password = tmp_path / "password"
    password.write_text(PASSWORD)
    flags = ["--rpc", url, "--keystore", str(keystore), "--password-file", str(password)]
    paused = cli.json("pause", *flags)
    assert paused["paused"] is True
    [tx] = paused["transactions"]
    assert tx["events"] == ["PauseChanged"] and len(tx["audit_seq"]) == 1

    status, out, _ = cli("unpause", *flags)
    assert status == 0
    assert out.splitlines()[0] == "unpaused the ledger"
    assert f"audit seq {tx['audit_seq'][0] + 1} (PauseChanged)" in out


def test_reads_need_no_key_and_check_the_deployment(remote: tuple[Cli, str]) -> None:
    cli, url = remote
    assert cli.json("programme", "show", "GS", "--rpc", url)["program_id"] == 2
    with LocalNode(cli.data_dir / "elsewhere") as other:
        err = cli.refused("programme", "show", "GS", "--rpc", other.url)
    assert "deployment.json says" in err


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["issuer", "grant", "VCS", "0x123"], "'0x123' is not an address"),
        (["account", "freeze", "alice"], "'alice' is not an address"),
        (["admin", "transfer", "0x" + "g" * 40], "is not an address"),
        (["programme", "show", "VÇS"], "'VÇS' is not a programme code"),
        (["programme", "register", "X" * 33], "is not a programme code"),
    ],
)
def test_addresses_and_codes_are_checked_before_anything_runs(
    argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--data-dir", "/nonexistent"])
    assert exited.value.code == 2
    assert complaint in capsys.readouterr().err
