"""``carbon-ledger batch freeze|unfreeze|labels`` on a batch bridged into the session's
ledger (the issuer granted and allowlisted through the command line)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from chain.artifacts import ledger_abi
from chain.client import LedgerClient
from chain.connect import connect
from chain.deployment import Deployment
from chain.domain import Issuance, Label, Project
from chain.transactions import TxSender
from tests.cli.conftest import Cli, Keyed, assert_transactions

pytestmark = pytest.mark.anvil


@pytest.fixture
def batch_id(cli: Cli, governed_dir: Path, dev_keys: list[Keyed]) -> int:
    """A new VCS batch, bridged by development account 1 to itself."""
    issuer = dev_keys[0]
    cli.json("issuer", "grant", "VCS", issuer.address)
    cli.json("account", "allow", issuer.address)
    w3 = connect(governed_dir, None)
    ledger = LedgerClient.for_deployment(
        w3,
        Deployment.load(governed_dir / "deployment.json"),
        TxSender(w3, issuer.account, ledger_abi()),
    )
    key = ledger.ensure_project(1, Project("1340", "Bale Mountains", "ET", "VM0015", "AFOLU"))
    first = 1_000 * (ledger.batch_count() + 1)
    bridged = ledger.bridge(
        Issuance(
            program_id=1,
            project_key=key,
            namespace="VCS-VCU",
            first_serial=first,
            last_serial=first + 9,
            recipient=issuer.address,
            vintage_start=dt.date(2020, 1, 1),
            vintage_end=dt.date(2020, 12, 31),
            labels=Label.NONE,
            metadata_hash=b"\x11" * 32,
            registry_reference=f"cli-{first}",
        )
    )
    return bridged.batch_id


def test_freeze_and_unfreeze(cli: Cli, batch_id: int) -> None:
    frozen = cli.json("batch", "freeze", str(batch_id))
    assert (frozen["batch_id"], frozen["frozen"]) == (batch_id, True)
    assert_transactions(frozen, "BatchFreezeChanged")
    unfrozen = cli.json("batch", "unfreeze", str(batch_id))
    assert unfrozen["frozen"] is False
    assert_transactions(unfrozen, "BatchFreezeChanged")


def test_labels_are_set_by_name_by_the_programmes_issuer(
    cli: Cli, batch_id: int, dev_keys: list[Keyed]
) -> None:
    issuer = dev_keys[0]
    labelled = cli.json(
        "batch",
        "labels",
        str(batch_id),
        "corresponding_adjustment",
        "corsia_eligible",
        *issuer.flags,
    )
    assert labelled["labels"] == ["corsia_eligible", "corresponding_adjustment"]
    assert_transactions(labelled, "LabelsUpdated")
    cleared = cli.json("batch", "labels", str(batch_id), *issuer.flags)
    assert cleared["labels"] == []


def test_refusals_name_the_error(cli: Cli, batch_id: int, dev_keys: list[Keyed]) -> None:
    outsider = dev_keys[2]
    assert "AccessControlUnauthorizedAccount" in cli.refused(
        "batch", "freeze", str(batch_id), *outsider.flags
    )
    assert "UnknownBatch" in cli.refused("batch", "freeze", "999999")
    with pytest.raises(SystemExit):
        cli("batch", "labels", str(batch_id), "gold_plated")
