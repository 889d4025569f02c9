"""The command line against the data folder's own anvil: deploy, re-deploy, audit verify."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.anvil import LocalNode, stop_node
from chain.deployment import Deployment
from cli.main import main

pytestmark = pytest.mark.anvil


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    stop_node(tmp_path)


def test_deploy_starts_the_local_chain_and_audit_verify_passes(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CARBON_LEDGER_OPERATOR_KEY", raising=False)
    assert main(["deploy", "--data-dir", str(data_dir)]) == 0
    deployment = Deployment.load(data_dir / "deployment.json")
    assert deployment.chain_id == 31337
    assert (data_dir / "chain" / "node.json").exists()

    capsys.readouterr()
    assert main(["deploy", "--data-dir", str(data_dir)]) == 0
    assert "already deployed" in capsys.readouterr().out
    assert Deployment.load(data_dir / "deployment.json") == deployment

    assert main(["audit", "verify", "--data-dir", str(data_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["discrepancies"] == []
    # constructor admin grant, 2 role grants, 8 programmes (each with its admin's grant), and
    # the identity policies of the 7 with a registry adapter: 7 policies, and the namespaces
    # VCS (1) and CDM (every ISO 3166 code) fix.
    assert report["audit_seq"] == 1 + 2 + 8 * 2 + 7 + 1 + 249
    assert report["audit_head"].startswith("0x") and len(report["audit_head"]) == 66


def test_deploy_to_an_rpc_needs_the_operator_key(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CARBON_LEDGER_OPERATOR_KEY", raising=False)
    with LocalNode(data_dir / "other") as node:
        assert main(["deploy", "--data-dir", str(data_dir), "--rpc", node.url]) == 2
    assert "CARBON_LEDGER_OPERATOR_KEY" in capsys.readouterr().err
    assert not (data_dir / "deployment.json").exists()


def test_a_bad_operator_key_is_refused_by_name(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARBON_LEDGER_OPERATOR_KEY", "0x1234")
    with LocalNode(data_dir / "other") as node:
        assert main(["deploy", "--data-dir", str(data_dir), "--rpc", node.url]) == 2
    assert "CARBON_LEDGER_OPERATOR_KEY is not a valid private key" in capsys.readouterr().err


def test_audit_verify_without_a_deployment_says_what_to_do(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify", "--data-dir", str(data_dir)]) == 2
    assert "run `carbon-ledger deploy` first" in capsys.readouterr().err


def test_audit_verify_refuses_another_chain(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CARBON_LEDGER_OPERATOR_KEY", raising=False)
    assert main(["deploy", "--data-dir", str(data_dir)]) == 0
    with LocalNode(
        data_dir / "other",
    ) as node:
        assert main(["audit", "verify", "--data-dir", str(data_dir), "--rpc", node.url]) == 2
    # Fresh anvils started within the same second share their genesis; then the deploy block
    # (missing, or with another hash) tells them apart.
    err = capsys.readouterr().err
    assert re.search(r"genesis block is 0x|block \d+ is 0x|has no block \d+", err), err
