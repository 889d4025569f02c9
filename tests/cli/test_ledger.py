"""``carbon-ledger ledger``: the seal is announced and waits its delay; only the ledger admin
seals; ``succeed`` moves the data folder to the successor only once the seal is done;
``carry-links`` carries the project links after the credits, each programme admin its side.
(The whole migration of a 4-registry ledger: tests/integration/test_consortium.py.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from chain.anvil import LocalNode
from chain.artifacts import ledger_abi
from chain.client import LedgerClient
from chain.connect import ANVIL_DEV_KEY, OPERATOR_KEY_ENV, connect
from chain.deployment import Deployment
from chain.domain import Issuance, Project
from chain.importer.keys import create_keystore
from chain.programmes import STANDARD_PROGRAMMES
from chain.transactions import TxSender
from cli.main import main
from tests.chain.test_anvil import rpc
from tests.cli.conftest import (
    DEV_KEYS,
    OPERATOR,
    PASSWORD,
    Cli,
    assert_transactions,
    bridge_vcs,
)

pytestmark = pytest.mark.anvil

DELAY = 3600


@pytest.fixture
def node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Cli, str, list[str], list[str]]]:
    """A ledger with a one-hour admin delay on a node of its own; the flags of the ledger
    admin's keystore (also every programme's admin) and of another account's (compliance)."""
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
                    # A real node: compliance and pauser are other keys; every standard
                    # programme is named, with the ledger admin as its admin.
                    "--compliance",
                    Account.from_key(DEV_KEYS[0]).address,
                    "--pauser",
                    Account.from_key(DEV_KEYS[1]).address,
                    *(f"--program-admin={code}={OPERATOR}" for code in STANDARD_PROGRAMMES),
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
    assert scheduled["pooled"] == []  # no pool holds credits: nothing stands in the way
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
    assert events[0] == "SealRecorded" and events.count("ProgramRegistered") == len(
        STANDARD_PROGRAMMES
    )
    # The successor is the folder's ledger now, verified with its sealed predecessor.
    verified = cli.json("audit", "verify", "--rpc", url)
    assert verified["ok"] is True, verified["discrepancies"]
    assert verified["predecessors"][0]["address"] == old.address
    assert verified["predecessors"][0]["live_ranges"] == 0
    status, out, _ = cli("audit", "verify", "--rpc", url)
    assert status == 0
    assert f"predecessor {old.address}: sealed at audit seq" in out
    assert "0 of 0 live ranges (0 of 0 t) carried over" in out


def test_programme_admins_carry_their_links_after_the_credits(
    node: tuple[Cli, str, list[str], list[str]],
) -> None:
    """CDM 7014 ⇄ VCS 1340 on the predecessor: on the successor, CDM's admin proposes it
    again and VCS's accepts (one key holds both here, the local dev chain's), only after the
    credits; ``audit verify`` names it until it is carried."""
    cli, url, admin, other = node
    me = Account.from_key(ANVIL_DEV_KEY)  # the admin's key
    cli.json("account", "allow", me.address, *other)  # other: compliance
    for code in ("VCS", "CDM"):
        cli.json("issuer", "grant", code, me.address, *admin)
    w3 = connect(cli.data_dir, url)
    deployment = Deployment.load(cli.data_dir / "deployment.json")
    old = LedgerClient.for_deployment(w3, deployment, TxSender(w3, me, ledger_abi()))
    bridge_vcs(old, 1, 100, me.address, reference="19385")  # VCS 1340, 2021
    cdm = old.program_id("CDM")
    cookstoves = Project("7014", "Transitioned cookstoves", "RW", "AMS-II.G", "Energy demand")
    old.bridge(  # 2021's first half under CDM too, before the link: allowed then
        Issuance(
            program_id=cdm,
            project_key=old.register_project(cdm, cookstoves),
            namespace="RW",
            first_serial=1,
            last_serial=50,
            recipient=me.address,
            vintage_start=dt.date(2021, 1, 1),
            vintage_end=dt.date(2021, 6, 30),
            registry_reference="CDM-7014-2021H1",
        )
    )
    for mine, theirs in (("CDM:7014", "VCS:1340"), ("VCS:1340", "CDM:7014")):
        code, project = mine.split(":")
        cli.json(
            "project", "link", "--program", code, "--project", project, "--with", theirs, *admin
        )
    cli.json("ledger", "seal", *admin)
    rpc(url, "evm_increaseTime", DELAY + 1)
    rpc(url, "evm_mine")
    cli.json("ledger", "succeed", *admin)

    err = cli.refused("ledger", "carry-links", "CDM", *other)
    assert "AccessControlUnauthorizedAccount" in err
    early = cli.json("ledger", "carry-links", "CDM", *admin)
    assert early["transactions"] == []
    [waiting] = early["links"]
    assert (waiting["link"], waiting["status"]) == ("CDM 7014 ⇄ VCS 1340", "waiting")
    assert "not registered on the successor yet" in waiting["reason"]
    for code in ("VCS", "CDM"):
        cli.json("ledger", "carry-programme", code, *admin)
    cli.json("ledger", "carry-accounts", *other)
    for code in ("VCS", "CDM"):
        cli.json("ledger", "carry-credits", code, *admin)

    proposed = cli.json("ledger", "carry-links", "CDM", *admin)
    assert_transactions(proposed, "ProjectLinkRecorded")
    assert [link["status"] for link in proposed["links"]] == ["proposed"]
    assert "1 proposed" in proposed["action"]
    status, out, _ = cli("audit", "verify", "--rpc", url)
    assert status == 1
    assert "link not carried yet: CDM 7014 ⇄ VCS 1340 (link group 1 on the predecessor)" in out
    status, out, _ = cli("ledger", "carry-links", "VCS", *admin)
    assert status == 0
    assert "CDM 7014 ⇄ VCS 1340: accepted (link group 1)" in out
    again = cli.json("ledger", "carry-links", "CDM", *admin)
    assert again["transactions"] == [] and again["links"][0]["status"] == "carried"

    verified = cli.json("audit", "verify", "--rpc", url)
    assert verified["ok"] is True, verified["discrepancies"]
    [before] = verified["predecessors"]
    assert (before["links"], before["carried_links"], before["not_carried"]) == (1, 1, 0)
    status, out, _ = cli("audit", "verify", "--rpc", url)
    assert status == 0 and "carried over, 1 of 1 project links" in out
    shown = cli.json("ledger", "show", "--rpc", url)
    assert (shown["links"], shown["carried_links"], shown["carry_problems"]) == (1, 1, 0)
