"""``carbon-ledger import`` and ``audit verify --registry-export`` end to end, on the data
folder's own anvil."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.anvil import LocalNode, stop_node
from chain.importer.keys import keystore_path
from cli.main import main
from tests.chain.importer.support import (
    DATA,
    GS_ISSUANCES,
    GS_RETIREMENTS,
    VERRA,
    read_rows,
    subset,
    write_rows,
)

pytestmark = pytest.mark.anvil


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("cli")
    with pytest.MonkeyPatch.context() as mp:
        for name in ("OPERATOR_KEY", "ISSUER_KEY", "KEYSTORE_PASSWORD"):
            mp.delenv(f"CARBON_LEDGER_{name}", raising=False)
        assert main(["deploy", "--data-dir", str(folder)]) == 0
        yield folder
    stop_node(folder)


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    out = capsys.readouterr().out
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def test_import_json_then_again_then_reconcile(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["import", "--data-dir", str(data_dir), "--registry", "vcs", "--issuances", str(VERRA)]
    assert main([*args, "--json"]) == 0
    first = _json(capsys)
    assert (first["rows_total"], first["rows_rejected"], first["rejected"]) == (200, 0, [])
    assert first["tonnes"] == {
        "bridged": 4_029_227,
        "held": 3_891_681,
        "retired": 137_546,
        "cancelled": 0,
    }
    assert first["rows"] == {
        "bridged": 100,
        "retired": 100,
        "cancelled": 0,
        "already_present": 0,
        "rejected": 0,
    }
    assert keystore_path(data_dir, "VCS").exists()

    assert main([*args, "--json"]) == 0
    again = _json(capsys)
    assert again["rows"]["already_present"] == 200 and again["transactions"] == 0  # type: ignore[index]
    assert again["tonnes"] == first["tonnes"]

    verify = ["audit", "verify", "--data-dir", str(data_dir), "--json"]
    assert main([*verify, "--registry", "vcs", "--registry-export", str(VERRA)]) == 0
    report = _json(capsys)
    assert report["ok"] is True and report["discrepancies"] == []
    (rec,) = report["reconciliation"]  # type: ignore[misc]
    assert rec["ok"] and rec["rows_matching"] == 200 and rec["totals_match"]


def test_gold_standard_with_verify_in_text(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "import", "--data-dir", str(data_dir), "--registry", "gs", "--verify",
        "--retirements", str(GS_RETIREMENTS), "--issuances", str(GS_ISSUANCES),
    ]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "200 rows: 100 bridged, 94 retired, 6 cancelled, 0 already present, 0 rejected" in out
    assert (
        "tonnes: 7,332,139 on the ledger (held 5,363,380, retired 813,318, cancelled 1,155,441)"
        in out
    )
    assert "verified: the files reconcile with the ledger to the tonne" in out
    assert "bridged from its own serial block" in out


def test_rejected_rows_are_listed_and_the_import_still_succeeds(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(n: int, row: dict[str, str]) -> dict[str, str]:
        if n == 2:
            row["Serial Number"] = "CCER-1-2024-1-1-10"
        if n == 3:
            row["Quantity"] = "-5"
        return row

    path = subset(GS_ISSUANCES, tmp_path / "gs.csv", [2, 3, 4], edit)
    args = ["import", "--data-dir", str(data_dir), "--registry", "gs", "--issuances", str(path)]
    assert main([*args, "--json"]) == 0
    data = _json(capsys)
    assert data["rows_rejected"] == 2
    assert [(r["row"], r["file"]) for r in data["rejected"]] == [(2, str(path)), (3, str(path))]  # type: ignore[index,union-attr]
    assert data["rows"]["already_present"] == 1  # type: ignore[index]


def test_reconciliation_failures_name_the_file_row(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(n: int, row: dict[str, str]) -> dict[str, str]:
        if n == 3:
            row["Serial Number"] = row["Serial Number"].replace("30306-1-2497", "30306-1-2496")
            row["Quantity"] = "2496"
        return row

    path = subset(GS_ISSUANCES, tmp_path / "gs.csv", [2, 3], edit)
    args = ["audit", "verify", "--data-dir", str(data_dir), "--registry", "gs"]
    assert main([*args, "--registry-export", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"FAILED: block None, event {path}:3, field serials")
    assert "serials 2497..2497 of batch" in out and "in no row of this issuance export" in out


def test_files_that_cannot_be_read_fail_the_run(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, rows = read_rows(VERRA)
    header.remove("Serial Number")
    broken = write_rows(tmp_path / "v.csv", header, [{k: r[k] for k in header} for r in rows[:3]])
    base = ["import", "--data-dir", str(data_dir), "--registry", "vcs"]
    assert main([*base, "--issuances", str(broken)]) == 2
    assert f"{broken}: the header has no column 'Serial Number'" in capsys.readouterr().err
    assert main([*base, "--issuances", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv: no such file" in capsys.readouterr().err
    assert main(base) == 2
    assert "give at least one of --issuances" in capsys.readouterr().err
    assert main([*base, "--retirements", str(VERRA), "--group-size", "0"]) == 2


def test_with_rpc_the_issuer_key_must_be_given(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CARBON_LEDGER_ISSUER_KEY", raising=False)
    url = json.loads((data_dir / "chain" / "node.json").read_text())["url"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "deployment.json").write_text((data_dir / "deployment.json").read_text())
    args = ["import", "--data-dir", str(other), "--rpc", url, "--registry", "acr"]
    assert (
        main(
            [*args, "--retirements", str(GS_RETIREMENTS.parent.parent / "acr" / "retirements.csv")]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "no issuer key for ACR" in err and "CARBON_LEDGER_ISSUER_KEY" in err
    assert not LocalNode(other).record_file.exists()  # --rpc never starts the folder's chain


def test_isometric_import_then_again_then_audit_verify_registry_export(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    issuances, retirements = (
        DATA / "isometric" / "issuances.csv",
        DATA / "isometric" / "retirements.csv",
    )
    args = [
        "import", "--data-dir", str(data_dir), "--registry", "isometric", "--json",
        "--issuances", str(issuances), "--retirements", str(retirements),
    ]  # fmt: skip
    assert main(args) == 0
    first = _json(capsys)
    assert (first["rows_total"], first["rows_rejected"]) == (8, 0)
    # One serial per kg: the supplier and buffer-pool shares of three issuances, to the kg.
    assert first["tonnes"] == {
        "bridged": 172_013,
        "held": 160_295,
        "retired": 11_718,
        "cancelled": 0,
    }
    assert main(args) == 0
    again = _json(capsys)
    assert again["rows"]["already_present"] == 8 and again["transactions"] == 0  # type: ignore[index]
    verify = ["audit", "verify", "--data-dir", str(data_dir), "--json", "--registry", "isometric"]
    for path in (issuances, retirements):
        assert main([*verify, "--registry-export", str(path)]) == 0
        report = _json(capsys)
        assert report["ok"] is True and report["discrepancies"] == []
