"""``carbon-ledger batch freeze|unfreeze|labels`` on a batch bridged into the session's
ledger (the issuer granted and allowlisted through the command line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Cli, Keyed, assert_transactions, bridge_vcs, ledger_of

pytestmark = pytest.mark.anvil


@pytest.fixture
def batch_id(cli: Cli, governed_dir: Path, dev_keys: list[Keyed]) -> int:
    """A new VCS batch, bridged by development account 1 to itself."""
    issuer = dev_keys[0]
    cli.json("issuer", "grant", "VCS", issuer.address)
    cli.json("account", "allow", issuer.address)
    ledger = ledger_of(governed_dir, issuer)
    first = 1_000 * (ledger.batch_count() + 1)
    return bridge_vcs(ledger, first, first + 9, issuer.address, reference=f"cli-{first}")


def test_freeze_and_unfreeze(cli: Cli, batch_id: int) -> None:
    frozen = cli.json("batch", "freeze", str(batch_id))
    assert (frozen["batch_id"], frozen["frozen"]) == (batch_id, True)
    assert_transactions(frozen, "BatchFreezeChanged")
    unfrozen = cli.json("batch", "unfreeze", str(batch_id))
    assert unfrozen["frozen"] is False
    assert_transactions(unfrozen, "BatchFreezeChanged")


def test_labels_are_set_by_name_by_the_programmes_admin_not_its_issuer(
    cli: Cli, batch_id: int, dev_keys: list[Keyed]
) -> None:
    # The operator registered VCS at deploy, so it is VCS's admin on this local chain.
    labelled = cli.json(
        "batch", "labels", str(batch_id), "corresponding_adjustment", "corsia_eligible"
    )
    assert labelled["labels"] == ["corsia_eligible", "corresponding_adjustment"]
    assert_transactions(labelled, "LabelsUpdated")
    cleared = cli.json("batch", "labels", str(batch_id))
    assert cleared["labels"] == []
    issuer = dev_keys[0]
    assert "AccessControlUnauthorizedAccount" in cli.refused(
        "batch", "labels", str(batch_id), "corsia_eligible", *issuer.flags
    )


def test_refusals_name_the_error(cli: Cli, batch_id: int, dev_keys: list[Keyed]) -> None:
    outsider = dev_keys[2]
    assert "AccessControlUnauthorizedAccount" in cli.refused(
        "batch", "freeze", str(batch_id), *outsider.flags
    )
    assert "UnknownBatch" in cli.refused("batch", "freeze", "999999")
    with pytest.raises(SystemExit):
        cli("batch", "labels", str(batch_id), "gold_plated")


def test_a_wrong_bridging_is_voided_bridged_again_and_linked(
    cli: Cli, batch_id: int, governed_dir: Path, dev_keys: list[Keyed]
) -> None:
    issuer = dev_keys[0]
    # An issuer may not void; the programme's admin (the operator here) may.
    assert "AccessControlUnauthorizedAccount" in cli.refused(
        "batch", "void", str(batch_id), "--namespace", "VCS-VCU", "--reason", "x", *issuer.flags
    )
    voided = cli.json(
        "batch", "void", str(batch_id), "--namespace", "VCS-VCU", "--reason", "wrong recipient"
    )
    assert (voided["batch_id"], voided["reason"]) == (batch_id, "wrong recipient")
    assert_transactions(voided, "BatchVoided")
    ledger = ledger_of(governed_dir, issuer)
    assert ledger.batch_voided(batch_id)
    old = ledger.batch(batch_id)
    again = bridge_vcs(  # the very same serials, released by the void
        ledger, old.first_serial, old.last_serial, issuer.address, reference="cli-again"
    )
    linked = cli.json("batch", "correct", str(batch_id), str(again))
    assert (linked["voided"], linked["batch_id"]) == (batch_id, again)
    assert_transactions(linked, "BatchCorrected")
    assert "BatchNotVoidable" in cli.refused(
        "batch", "void", str(batch_id), "--namespace", "VCS-VCU", "--reason", "twice"
    )
