"""What the governance commands share (``cli._governance``), against a node named by
``--rpc``: the key from a keystore or the operator's environment, never the development key."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.anvil import LocalNode
from chain.connect import ANVIL_DEV_KEY, OPERATOR_KEY_ENV
from chain.importer.keys import create_keystore
from cli.main import main
from tests.cli.conftest import PASSWORD, Cli

pytestmark = pytest.mark.anvil
OPERATOR = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # ANVIL_DEV_KEY's account
COMPLIANCE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # anvil's development account 1
PAUSER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"  # and 2, whose key is public:
PAUSER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"


@pytest.fixture
def remote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Cli, str]]:
    """A ledger deployed on a node of its own, reached by URL only, with its own compliance
    and pauser keys (anvil's development accounts 1 and 2) and VCS and GS administered by
    the operator, named."""
    with LocalNode(tmp_path / "node") as node:
        monkeypatch.setenv(OPERATOR_KEY_ENV, ANVIL_DEV_KEY)
        roles = ["--compliance", COMPLIANCE, "--pauser", PAUSER]
        roles += ["--program-admin", f"VCS={OPERATOR}", "--program-admin", f"GS={OPERATOR}"]
        assert main(["deploy", "--data-dir", str(tmp_path), "--rpc", node.url, *roles]) == 0
        monkeypatch.delenv(OPERATOR_KEY_ENV)
        yield Cli(tmp_path, capsys), node.url


def test_on_an_rpc_node_a_command_signs_with_a_keystore(
    remote: tuple[Cli, str], tmp_path: Path
) -> None:
    cli, url = remote
    err = cli.refused("pause", "--rpc", url)
    assert f"give --keystore FILE, or set {OPERATOR_KEY_ENV}, to sign on --rpc" in err

    password = tmp_path / "password"
    password.write_text(PASSWORD)
    operator = tmp_path / "operator.json"
    create_keystore(operator, PASSWORD, bytes.fromhex(ANVIL_DEV_KEY[2:]))
    as_operator = ["--rpc", url, "--keystore", str(operator), "--password-file", str(password)]
    err = cli.refused("pause", *as_operator)  # the admin is not the pauser on a real node
    assert "AccessControlUnauthorizedAccount" in err

    keystore = tmp_path / "pauser.json"
    create_keystore(keystore, PASSWORD, bytes.fromhex(PAUSER_KEY[2:]))
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
    # Fresh anvils started within the same second share their genesis; then the deploy block
    # (missing, or with another hash) tells them apart.
    assert re.search(r"deployment.json says|has no block \d+", err), err


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
