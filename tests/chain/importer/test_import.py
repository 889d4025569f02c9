"""Import → reconcile round trips on the real Verra and Gold Standard exports (embedded chain),
re-import idempotency, files from different snapshots, and refusals the ledger makes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account

from chain.client import LedgerClient
from chain.domain import Label, Project, Purpose, RangeState, project_key
from chain.errors import ConfigurationError
from chain.importer.keys import ISSUER_KEY_ENV
from chain.importer.links import FoundLink, check_links
from chain.importer.plan import Outcome
from chain.importer.readers import read_export
from chain.importer.reconcile import reconcile, reconcile_export
from chain.importer.report import ImportReport
from chain.store import schema as s
from chain.verify import verify_store
from tests.chain.importer.support import (
    GS_ISSUANCES,
    GS_RETIREMENTS,
    VERRA,
    Env,
    make_env,
    read_rows,
    subset,
)


@dataclass
class Imported:
    env: Env
    verra: ImportReport
    gs: ImportReport


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    env = make_env(tmp_path_factory.mktemp("import"))
    verra = env.run("vcs", issuances=VERRA)
    gs = env.run("gs", issuances=GS_ISSUANCES, retirements=GS_RETIREMENTS)
    yield Imported(env, verra, gs)
    env.engine.dispose()


def _statuses(report: ImportReport) -> dict[str, int]:
    return {k: v for k, v in report.counts().items() if v}


def test_verra_import_bridges_every_block_and_mirrors_every_retirement(imported: Imported) -> None:
    report, env = imported.verra, imported.env
    assert _statuses(report) == {"bridged": 100, "retired": 100}
    assert report.tonnes == {
        "bridged": 4_029_227,
        "held": 3_891_681,
        "retired": 137_546,
        "cancelled": 0,
    }
    assert report.as_json()["rows_rejected"] == 0
    reader = LedgerClient.for_deployment(env.chain.w3, env.deployment)
    _, rows = read_rows(VERRA)
    for outcome, row in zip(report.outcomes, rows, strict=True):
        (batch_id,) = outcome.batches
        batch = reader.batch(batch_id)
        first, last = (int(x) for x in row["Serial Number"].split("-")[1:3])
        assert (batch.first_serial, batch.last_serial) == (first, last)
        assert batch.retired == (batch.quantity if row["Retirement/Cancellation Date"] else 0)
        assert bool(batch.labels & Label.CORSIA_ELIGIBLE) == (
            "CORSIA" in row["Additional Certifications"]
        )
    verra_batches = {b for o in report.outcomes for b in o.batches}
    retirements = [r for r in env.rows(s.retirements) if r["batch_id"] in verra_batches]
    assert len(retirements) == 100 and all(r["mirrored"] for r in retirements)
    first = min(retirements, key=lambda r: int(str(r["id"])))
    assert (first["retired_on"], first["beneficiary"], first["purpose"]) == (20260410, "", 0)
    lindblad = next(r for r in retirements if "Lindblad" in str(r["note"]))
    assert lindblad["beneficiary"] == "Lindblad Expeditions Family of Companies"
    assert str(lindblad["note"]).startswith("Environmental Benefit: Retired on behalf of")


def test_gold_standard_import_mirrors_retirements_inside_issuance_blocks(
    imported: Imported,
) -> None:
    report, env = imported.gs, imported.env
    assert _statuses(report) == {"bridged": 100, "retired": 94, "cancelled": 6}
    assert report.tonnes == {
        "bridged": 7_332_139,
        "held": 5_363_380,
        "retired": 813_318,
        "cancelled": 1_155_441,
    }
    hilti = next(o for o in report.outcomes if o.file.endswith("retirements.csv") and o.row == 2)
    issuance = next(
        o for o in report.outcomes if o.serial == "GS1-1-KE-GS11603-16-2025-30256-1-5485"
    )
    assert hilti.batches == issuance.batches and "inside batch" in hilti.notes[-1]
    reader = LedgerClient.for_deployment(env.chain.w3, env.deployment)
    assert reader.batch(issuance.batches[0]).retired == 5354
    notes = Counter(n.split(":")[0] for o in report.outcomes for n in o.notes)
    assert notes["its issuance row is not in the imported files"] == 98
    programs = Counter(o.program for o in report.outcomes)
    assert programs == {"GS": 197, "CDM": 3}
    assert set(report.gas) == {"GS", "CDM"}
    cancellations = env.rows(s.cancellations)
    assert sum(int(str(c["quantity"])) for c in cancellations) == 1_155_441
    assert Counter(str(c["reason"])[:30] for c in cancellations) == {
        "cancelled at the Gold Standard": 3,
        "Transferred to Zimbabwe Carbon": 3,
    }


@pytest.mark.parametrize("path", [VERRA, GS_ISSUANCES, GS_RETIREMENTS], ids=lambda p: p.name)
def test_each_real_export_reconciles_to_the_tonne(imported: Imported, path: Path) -> None:
    registry = "vcs" if path == VERRA else "gs"
    result = reconcile(imported.env.engine, registry, path)
    assert result.ok, result.discrepancies[:5]
    assert len(result.rows) == (200 if path == VERRA else 100) and result.totals_match
    assert result.chain_tonnes["not_bridged"] == 0
    assert result.file_tonnes["bridged"] == result.chain_tonnes["bridged"]


def test_the_store_the_plan_used_matches_the_chain(imported: Imported) -> None:
    env = imported.env
    _, found = verify_store(env.chain.w3, env.deployment, env.engine)
    assert found == []


def test_importing_the_same_files_again_changes_nothing(imported: Imported) -> None:
    env = imported.env
    seq = env.audit_seq()
    verra = env.run("vcs", issuances=VERRA)
    gs = env.run("gs", retirements=GS_RETIREMENTS, issuances=GS_ISSUANCES)
    for report in (verra, gs):
        assert _statuses(report) == {"already_present": 200}
        assert report.transactions == 0 and report.gas == {}
    assert gs.tonnes == imported.gs.tonnes and verra.tonnes == imported.verra.tonnes
    assert env.audit_seq() == seq


def test_reconciliation_names_rows_that_disagree(imported: Imported, tmp_path: Path) -> None:
    def edit(n: int, row: dict[str, str]) -> dict[str, str]:
        if n == 150:  # live on the ledger, retired in this "file"
            row["Retirement/Cancellation Date"] = "2026-04-20"
        return row

    path = subset(VERRA, tmp_path / "v.csv", range(140, 160), edit)
    result = reconcile(imported.env.engine, "vcs", path)
    assert [row for row, _ in result.discrepancies] == [0, 12]  # row 150 of the original
    assert "the registry shows them retired, the chain has" in result.discrepancies[1][1]
    assert not result.totals_match

    other = tmp_path / "other.csv"
    subset(
        GS_ISSUANCES,
        other,
        [2],
        lambda n, r: {**r, "Serial Number": r["Serial Number"].replace("30307", "30999")},
    )
    missing = reconcile_export(imported.env.engine, read_export("gs", None, other))
    assert "19,149 of 19,149 t not bridged" in missing.discrepancies[1][1]


# ------------------------------------------------------------------ snapshots and conflicts


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    made = make_env(tmp_path)
    yield made
    made.engine.dispose()


def test_a_later_snapshot_retiring_a_live_block_mirrors_it(env: Env, tmp_path: Path) -> None:
    older = subset(
        VERRA, tmp_path / "old.csv", [2, 3], lambda n, r: {**r, "Retirement/Cancellation Date": ""}
    )
    assert _statuses(env.run("vcs", issuances=older)) == {"bridged": 2}
    newer = subset(VERRA, tmp_path / "new.csv", [2, 3])
    report = env.run("vcs", issuances=newer)
    assert _statuses(report) == {"retired": 2} and report.transactions == 1
    assert "already bridged" in report.outcomes[0].notes[0]
    assert _statuses(env.run("vcs", issuances=newer)) == {"already_present": 2}


def test_a_registry_retirement_of_credits_a_buyer_holds_is_refused(
    env: Env, tmp_path: Path
) -> None:
    live = subset(
        VERRA, tmp_path / "old.csv", [2], lambda n, r: {**r, "Retirement/Cancellation Date": ""}
    )
    (outcome,) = env.run("vcs", issuances=live).outcomes
    buyer = env.buyer(5)
    env.issuer("VCS").transfer(outcome.batches[0], 941467007, 941467106, buyer.account)
    seq = env.audit_seq()
    (refused,) = env.run("vcs", issuances=subset(VERRA, tmp_path / "new.csv", [2])).outcomes
    assert refused.status is Outcome.REJECTED
    assert f"941467007..941467106 are held by {buyer.account.lower()}" in refused.reason
    assert env.audit_seq() == seq


def test_a_retirement_imported_before_its_issuance_block_makes_the_block_overlap(
    env: Env, tmp_path: Path
) -> None:
    """Import issuances with (or before) retirements: the other way round, the issuance block
    overlaps the retirement's own batch and is refused, naming it."""
    env.run("gs", retirements=subset(GS_RETIREMENTS, tmp_path / "r.csv", [2]))
    report = env.run("gs", issuances=subset(GS_ISSUANCES, tmp_path / "i.csv", [53]))
    (outcome,) = report.outcomes
    assert outcome.serial == "GS1-1-KE-GS11603-16-2025-30256-1-5485"
    assert outcome.status is Outcome.REJECTED and "overlap batch 1 (110..5463)" in outcome.reason


def test_bad_rows_are_reported_and_the_rest_imported(env: Env, tmp_path: Path) -> None:
    def edit(n: int, row: dict[str, str]) -> dict[str, str]:
        if n == 3:
            row["Quantity Issued"] = "12"
        if n == 5:
            row["Serial Number"] = "19368-940602844"
        return row

    report = env.run("vcs", issuances=subset(VERRA, tmp_path / "v.csv", range(2, 8), edit))
    data = report.as_json()
    assert (data["rows_total"], data["rows_rejected"]) == (6, 2)
    assert [(r["row"], r["reason"][:24]) for r in data["rejected"]] == [
        (3, "quantity column 'Quantit"),
        (5, "expected '-' after first"),
    ]
    assert data["rows"]["retired"] == 4


def test_rows_with_hostile_text_are_reported_and_the_rest_imported(
    env: Env, tmp_path: Path
) -> None:
    def edit(n: int, row: dict[str, str]) -> dict[str, str]:
        if n == 3:
            row["Name"] = "Tongxu\x00Biogas"
        if n == 4:
            row["Retirement Beneficiary"] = "Lindblad \u202eseitinummoC"
        if n == 7:
            row["Retirement Reason"] = "Retirement for\nPersonal Use"
        return row

    report = env.run("vcs", issuances=subset(VERRA, tmp_path / "v.csv", range(2, 9), edit))
    data = report.as_json()
    assert (data["rows_total"], data["rows_rejected"]) == (7, 3)
    reasons = {r["row"]: r["reason"] for r in data["rejected"]}
    assert reasons[3].startswith("project name (column 'Name') the control character U+0000")
    assert reasons[4].startswith("beneficiary (column 'Retirement Beneficiary') U+202E")
    assert reasons[7].startswith("note (column 'Retirement Reason') the control character U+000A")
    assert data["rows"]["retired"] == 4  # rows 2, 5, 6 and 8: bridged and mirrored
    assert len(env.batches()) == 4


def test_a_retirement_purpose_the_block_is_not_labelled_for_is_refused(
    env: Env, tmp_path: Path
) -> None:
    path = subset(
        GS_RETIREMENTS,
        tmp_path / "r.csv",
        [2, 3],
        lambda n, r: {**r, "Use Case": "CORSIA" if n == 2 else r["Use Case"]},
    )
    refused, accepted = env.run("gs", retirements=path).outcomes
    assert refused.status is Outcome.REJECTED and "LabelRequired" in refused.reason
    assert accepted.status is Outcome.RETIRED
    assert len(env.batches()) == 1  # the refused block was not bridged live


def test_a_group_the_ledger_refuses_is_retried_row_by_row(env: Env, tmp_path: Path) -> None:
    env.run("vcs", issuances=subset(VERRA, tmp_path / "a.csv", [2]))
    custody = env.issuer("VCS").account
    env.admin.set_account(custody, allowed=True, frozen=True)
    report = env.run("vcs", issuances=subset(VERRA, tmp_path / "b.csv", [3, 4, 5]))
    assert [o.status for o in report.outcomes] == [Outcome.REJECTED] * 3
    assert all("AccountFrozen" in o.reason for o in report.outcomes)
    env.admin.set_account(custody, allowed=True, frozen=False)
    again = env.run("vcs", issuances=subset(VERRA, tmp_path / "b.csv", [3, 4, 5]))
    assert _statuses(again) == {"retired": 3}


def test_verify_reconciles_the_files_and_audits_the_chain(env: Env, tmp_path: Path) -> None:
    report = env.run(
        "gs", verify=True, retirements=subset(GS_RETIREMENTS, tmp_path / "r.csv", range(2, 12))
    )
    assert report.verification is not None and report.verification["ok"] is True
    (rec,) = report.verification["reconciliation"]
    assert rec["rows_matching"] == 10 and rec["totals_match"]


# ------------------------------------------------------------------ keys with --rpc


def test_without_an_operator_the_issuer_key_must_exist_and_hold_the_role(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.target.operator = None
    env.target.keys.local = False
    monkeypatch.delenv(ISSUER_KEY_ENV, raising=False)
    one = subset(GS_ISSUANCES, tmp_path / "i.csv", [2, 82])  # a GS block and a CDM unit block
    with pytest.raises(ConfigurationError, match="no issuer key for GS"):
        env.run("gs", issuances=one)
    stranger = Account.create()
    monkeypatch.setenv(ISSUER_KEY_ENV, stranger.key.hex())
    with pytest.raises(ConfigurationError, match="does not hold the GS issuer role"):
        env.run("gs", issuances=one)
    env.admin.grant_issuer(env.admin.program_id("GS"), stranger.address)
    env.admin.set_account(stranger.address)
    env.chain.w3.eth.send_transaction(
        {"from": env.chain.w3.eth.accounts[0], "to": stranger.address, "value": 10**19}
    )
    report = env.run("gs", issuances=one)
    gs_row, cdm_row = report.outcomes
    assert gs_row.status is Outcome.BRIDGED
    assert (
        cdm_row.status is Outcome.REJECTED and "programme CDM is not registered" in cdm_row.reason
    )


def test_mirrored_and_buyer_retirements_are_told_apart(env: Env, tmp_path: Path) -> None:
    (outcome,) = env.run("vcs", issuances=subset(VERRA, tmp_path / "v.csv", [170])).outcomes
    batch = outcome.batches[0]
    buyer = env.buyer(6)
    issuer = env.issuer("VCS")
    issuer.transfer_quantity(batch, 100, buyer.account)
    buyer.retire_quantity(batch, 40, "Buyer Ltd", Purpose.VOLUNTARY)
    env.target.indexer().sync()
    result = reconcile(env.engine, "vcs", tmp_path / "v.csv")
    assert result.ok
    (row,) = result.rows
    assert (row.chain["retired"], row.chain["retired_mirrored"], row.chain["held"]) == (
        40,
        0,
        outcome.quantity - 40,
    )
    states = {RangeState(int(str(r["state"]))) for r in env.rows(s.serial_ranges)}
    assert states == {RangeState.HELD, RangeState.RETIRED}


def test_the_gold_standard_export_shows_a_cdm_link_the_import_reports_and_never_makes(
    imported: Imported,
) -> None:
    """The export's CER rows of GSID 4823 are CDM project 7014's units: GS 4823 ⇄ CDM 7014.
    The import reports it, not linked, and links nothing itself: only both admins can."""
    report, env = imported.gs, imported.env
    (found,) = report.links
    assert found == FoundLink("GS", "4823", "CDM", "7014", 3, linked=False)
    assert "links found: GS 4823 ⇄ CDM 7014 (not linked on the ledger; 3 rows)" in report.lines()
    assert report.as_json()["links"] == [found.as_json()]
    reader = LedgerClient.for_deployment(env.chain.w3, env.deployment)
    cdm, gs = reader.program_id("CDM"), reader.program_id("GS")
    assert reader.project_link_group(project_key(cdm, "7014")) == 0
    # Once both programme admins (here the operator administers both) link them, it says so.
    snapshot = env.chain.snapshot()
    try:
        env.admin.grant_issuer(gs, env.admin.account)
        gs_key = env.admin.register_project(gs, Project("4823", "RDIS", "RW", "", ""))
        env.admin.propose_project_link(gs_key, project_key(cdm, "7014"))
        env.admin.accept_project_link(project_key(cdm, "7014"), gs_key)
        (checked,) = check_links(reader, report.links)
        assert checked.linked is True
        assert "(linked on the ledger; 3 rows)" in checked.text()
    finally:
        env.chain.revert(snapshot)
        env.admin._parts.refresh()
        env.operator.nonces.reset()
