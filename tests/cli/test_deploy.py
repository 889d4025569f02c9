"""The command line against the data folder's own anvil: deploy, re-deploy, audit verify."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from chain.anvil import LocalNode, NodeOptions, stop_node
from chain.artifacts import ledger_abi
from chain.client import LedgerClient
from chain.deployment import Deployment
from chain.errors import AccessControlUnauthorizedAccount
from chain.transactions import TxSender
from cli.main import main

pytestmark = pytest.mark.anvil

REAL_NETWORK = NodeOptions(chain_id=2026)
"""anvil standing in for a consortium's network: any chain id but the development one
(chain.connect.DEV_CHAIN_ID), where one key may hold every role."""


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
    # constructor admin grant, 3 role grants (compliance, pauser, pool admin), 11 programmes
    # (each with its admin's grant), and the identity policies of the 8 whose registry needs
    # one (JCREDIT, ISOMETRIC and PURO start open): 8 policies, ISOMETRIC's unit (a kg), and
    # the namespaces VCS (1) and CDM (every ISO 3166 code) fix.
    assert report["audit_seq"] == 1 + 3 + 11 * 2 + 8 + 1 + 1 + 249
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


# ---------------------------------------------------------------- separate keys on a real node

ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
OPERATOR = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # ANVIL_KEY's account, the admin
COMPLIANCE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
PAUSER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
VERRA = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
GOLD_STANDARD = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"


def _deploy_on(node_url: str, data_dir: Path, *flags: str) -> int:
    return main(["deploy", "--data-dir", str(data_dir), "--rpc", node_url, *flags])


@pytest.mark.parametrize(
    ("flags", "problem"),
    [
        (["--pauser", PAUSER], "--compliance ADDR is required on a real node"),
        (["--compliance", COMPLIANCE], "--pauser ADDR is required on a real node"),
        (["--compliance", OPERATOR, "--pauser", PAUSER], "--compliance 0xf39F"),
        (["--compliance", COMPLIANCE, "--pauser", OPERATOR.lower()], "--pauser 0xf39F"),
        (
            ["--compliance", COMPLIANCE, "--pauser", COMPLIANCE.lower()],
            "--compliance and --pauser are the same account",
        ),
        (
            ["--compliance", COMPLIANCE, "--pauser", PAUSER, "--program-admin", f"VERRA={VERRA}"],
            "--program-admin VERRA: not a standard programme",
        ),
        (
            [
                "--compliance",
                COMPLIANCE,
                "--pauser",
                PAUSER,
                "--program-admin",
                f"VCS={VERRA}",
                "--program-admin",
                f"VCS={GOLD_STANDARD}",
            ],
            "--program-admin VCS names two admins",
        ),
    ],
    ids=[
        "no-compliance",
        "no-pauser",
        "compliance-is-the-admin",
        "pauser-is-the-admin",
        "compliance-is-the-pauser",
        "unknown-programme",
        "two-admins-for-one-programme",
    ],
)
def test_a_real_node_deploy_without_separate_keys_is_refused_before_any_transaction(
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    flags: list[str],
    problem: str,
) -> None:
    monkeypatch.setenv("CARBON_LEDGER_OPERATOR_KEY", ANVIL_KEY)
    with LocalNode(data_dir / "node", REAL_NETWORK) as node:
        assert _deploy_on(node.url, data_dir, *flags) == 2
        w3 = Web3(Web3.HTTPProvider(node.url))
        assert w3.eth.get_transaction_count(OPERATOR) == 0  # nothing was sent
    err = capsys.readouterr().err
    assert problem in err, err
    assert err.count("\n") == 1, err
    assert not (data_dir / "deployment.json").exists()


def test_a_malformed_program_admin_is_refused_by_the_parser(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for bad, says in (("VCS", "is not CODE=0xADDR"), ("VCS=0x12", "is not an address")):
        with pytest.raises(SystemExit) as exited:
            main(["deploy", "--data-dir", str(data_dir), "--program-admin", bad])
        assert exited.value.code == 2
        assert says in capsys.readouterr().err


def test_a_real_node_deploy_gives_each_role_its_own_key(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARBON_LEDGER_OPERATOR_KEY", ANVIL_KEY)
    with LocalNode(data_dir / "node", REAL_NETWORK) as node:
        flags = ["--compliance", COMPLIANCE, "--pauser", PAUSER, "--admin-delay", "0"]
        flags += ["--program-admin", f"VCS={VERRA}", "--program-admin", f"GS={GOLD_STANDARD}"]
        flags += ["--program-admin", f"CDM={OPERATOR}"]  # named: the operator may hold it
        assert _deploy_on(node.url, data_dir, *flags) == 0
        out = capsys.readouterr().out
        assert (
            f"admin {OPERATOR} (also pool admin), compliance {COMPLIANCE}, pauser {PAUSER}" in out
        )
        assert f"programme VCS: admin {VERRA}; its admin sets its identity policy" in out
        assert (
            "not registered (no --program-admin named): CCER, ACR, CAR, ART, JCREDIT, "
            "CERCARBONO, ISOMETRIC, PURO"
        ) in out

        w3 = Web3(Web3.HTTPProvider(node.url))
        ledger = LedgerClient.for_deployment(w3, Deployment.load(data_dir / "deployment.json"))
        compliance, pauser = ledger.role("COMPLIANCE_ROLE"), ledger.role("PAUSER_ROLE")
        assert ledger.has_role(compliance, COMPLIANCE) and not ledger.has_role(compliance, OPERATOR)
        assert ledger.has_role(pauser, PAUSER) and not ledger.has_role(pauser, OPERATOR)
        assert not ledger.has_role(compliance, PAUSER) and not ledger.has_role(pauser, COMPLIANCE)
        assert ledger.default_admin().lower() == OPERATOR.lower()
        admins = {"VCS": VERRA, "GS": GOLD_STANDARD, "CDM": OPERATOR}
        for code, admin in admins.items():
            pid = ledger.program_id(code)
            assert pid != 0
            role = ledger.program_admin_role(pid)
            assert ledger.has_role(role, admin)
            if admin != OPERATOR:
                assert not ledger.has_role(role, OPERATOR)
        for code in ("CCER", "ACR", "CAR", "ART", "JCREDIT", "CERCARBONO", "ISOMETRIC", "PURO"):
            assert ledger.program_id(code) == 0
        # VCS's policy waits for Verra's own key; CDM's the operator, its named admin, set.
        assert ledger.program_policy(ledger.program_id("VCS")).fixed_namespaces is False
        assert ledger.program_policy(ledger.program_id("CDM")).fixed_namespaces is True

        # The operator, as ledger admin, cannot pause or freeze: only the named keys can.
        operator = LedgerClient.for_deployment(
            w3,
            Deployment.load(data_dir / "deployment.json"),
            TxSender(w3, Account.from_key(ANVIL_KEY), ledger_abi()),
        )
        with pytest.raises(AccessControlUnauthorizedAccount):
            operator.pause()
        with pytest.raises(AccessControlUnauthorizedAccount):
            operator.set_account(VERRA, allowed=True)

        assert main(["audit", "verify", "--data-dir", str(data_dir), "--rpc", node.url]) == 0


def test_serve_dev_on_a_real_node_does_not_deploy_with_one_key(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARBON_LEDGER_OPERATOR_KEY", ANVIL_KEY)
    with LocalNode(data_dir / "node", REAL_NETWORK) as node:
        assert main(["serve", "--dev", "--rpc", node.url, "--data-dir", str(data_dir)]) == 2
        w3 = Web3(Web3.HTTPProvider(node.url))
        assert w3.eth.get_transaction_count(OPERATOR) == 0
    err = capsys.readouterr().err
    assert "on a real node deploy first, naming its separate keys" in err, err
    assert not (data_dir / "deployment.json").exists()


def test_anvil_at_rpc_is_a_development_chain_where_one_key_deploys(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SPEC's ``deploy --rpc URL`` against a developer's anvil (chain id 31337) keeps the local
    chain's one key: the operator holds every role and administers the standard programmes."""
    monkeypatch.setenv("CARBON_LEDGER_OPERATOR_KEY", ANVIL_KEY)
    with LocalNode(data_dir / "node") as node:
        assert _deploy_on(node.url, data_dir) == 0
        out = capsys.readouterr().out
        assert (
            f"admin {OPERATOR} (also pool admin), compliance {OPERATOR}, pauser {OPERATOR}" in out
        )
        w3 = Web3(Web3.HTTPProvider(node.url))
        ledger = LedgerClient.for_deployment(w3, Deployment.load(data_dir / "deployment.json"))
        for role in ("COMPLIANCE_ROLE", "PAUSER_ROLE"):
            assert ledger.has_role(ledger.role(role), OPERATOR)
        for code in ("VCS", "GS", "CDM", "CCER"):
            assert ledger.has_role(ledger.program_admin_role(ledger.program_id(code)), OPERATOR)
        assert main(["audit", "verify", "--data-dir", str(data_dir), "--rpc", node.url]) == 0
