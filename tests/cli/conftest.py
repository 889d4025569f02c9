"""The governance commands' fixtures: one ledger deployed by ``carbon-ledger deploy`` on the
data folder's anvil for the session (admin delay 0, so a hand-over can be accepted at once),
the command line run in-process against it, and keystores of funded development accounts."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from chain.anvil import stop_node
from chain.artifacts import ledger_abi
from chain.client import LedgerClient
from chain.connect import OPERATOR_KEY_ENV, connect
from chain.deployment import Deployment
from chain.domain import Issuance, Label, Project
from chain.importer.keys import KEYSTORE_PASSWORD_ENV, create_keystore
from chain.transactions import TxSender
from cli.main import main

OPERATOR = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # anvil's first development account
# anvil's development accounts 1 to 3: public keys, funded on every anvil.
DEV_KEYS = (
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
)
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Keyed:
    """A funded account and its keystore (password ``PASSWORD`` in ``password_file``)."""

    account: LocalAccount
    keystore: Path
    password_file: Path

    @property
    def address(self) -> str:
        return str(self.account.address)

    @property
    def flags(self) -> list[str]:
        return ["--keystore", str(self.keystore), "--password-file", str(self.password_file)]


def deploy(data_dir: Path) -> None:
    saved = os.environ.pop(OPERATOR_KEY_ENV, None)
    try:
        assert main(["deploy", "--data-dir", str(data_dir), "--admin-delay", "0"]) == 0
    finally:
        if saved is not None:
            os.environ[OPERATOR_KEY_ENV] = saved


@pytest.fixture(scope="session")
def governed_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    data_dir = tmp_path_factory.mktemp("governed")
    deploy(data_dir)
    yield data_dir
    stop_node(data_dir)


@pytest.fixture(scope="session")
def dev_keys(tmp_path_factory: pytest.TempPathFactory) -> list[Keyed]:
    folder = tmp_path_factory.mktemp("keystores")
    password_file = folder / "password"
    password_file.write_text(PASSWORD + "\n")
    keyed = []
    for i, key in enumerate(DEV_KEYS, start=1):
        path = folder / f"dev-{i}.json"
        create_keystore(path, PASSWORD, bytes.fromhex(key[2:]))
        keyed.append(Keyed(Account.from_key(key), path, password_file))
    return keyed


class Cli:
    """``carbon-ledger ARGS --data-dir D`` in-process: its exit status and what it printed."""

    def __init__(self, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.data_dir = data_dir
        self._capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self._capsys.readouterr()
        status = main([*args, "--data-dir", str(self.data_dir)])
        out, err = self._capsys.readouterr()
        return status, out, err

    def json(self, *args: str) -> dict[str, Any]:
        """Run with ``--json``; it must succeed and print exactly one JSON object."""
        status, out, err = self(*args, "--json")
        assert status == 0, err
        parsed: dict[str, Any] = json.loads(out)
        return parsed

    def refused(self, *args: str) -> str:
        """Run; it must exit 2 with one line on stderr, which is returned."""
        status, out, err = self(*args)
        assert status == 2, out + err
        assert err.count("\n") == 1, err
        return err


@pytest.fixture
def cli(
    governed_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    monkeypatch.delenv(OPERATOR_KEY_ENV, raising=False)
    monkeypatch.delenv(KEYSTORE_PASSWORD_ENV, raising=False)
    return Cli(governed_dir, capsys)


def assert_transactions(report: dict[str, Any], *events: str) -> list[int]:
    """Each transaction has a hash and a block; ``events`` are among theirs; returns the
    audit sequence numbers, which must be new and increasing."""
    seqs: list[int] = []
    names: list[str] = []
    for tx in report["transactions"]:
        assert tx["tx_hash"].startswith("0x") and len(tx["tx_hash"]) == 66
        assert tx["block"] > 0
        seqs += tx["audit_seq"]
        names += tx["events"]
    assert set(events) <= set(names), names
    assert seqs == sorted(set(seqs)) and seqs, seqs
    return seqs


def ledger_of(data_dir: Path, keyed: Keyed) -> LedgerClient:
    """The folder's ledger, signing as ``keyed`` (outside the command line, to set the scene)."""
    w3 = connect(data_dir, None)
    return LedgerClient.for_deployment(
        w3, Deployment.load(data_dir / "deployment.json"), TxSender(w3, keyed.account, ledger_abi())
    )


def bridge_vcs(
    ledger: LedgerClient, first: int, last: int, recipient: str, *, reference: str
) -> int:
    """Bridge VCS serials ``first..last`` (project 1340, vintage 2021) to ``recipient``."""
    key = ledger.ensure_project(1, Project("1340", "Bale Mountains", "ET", "VM0015", "AFOLU"))
    return ledger.bridge(
        Issuance(
            program_id=1,
            project_key=key,
            namespace="VCS-VCU",
            first_serial=first,
            last_serial=last,
            recipient=recipient,
            vintage_start=dt.date(2021, 1, 1),
            vintage_end=dt.date(2021, 12, 31),
            labels=Label.NONE,
            metadata_hash=b"\x11" * 32,
            registry_reference=reference,
        )
    ).batch_id
