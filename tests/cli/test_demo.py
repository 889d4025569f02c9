"""The demo runs end to end on the embedded chain: it imports the bundled real exports, buyers
act, and the audit trail, the store and both registries' reconciliations all pass.

It runs as ``make demo`` runs it: a process that sees only the runtime dependencies
(``tests._runtime_only``) and no anvil (``CARBON_LEDGER_ANVIL`` names a missing file, so any
use of the local chain would fail): the README's first command needs Python alone."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests._runtime_only import REPO, runtime_only_env


@dataclass
class DemoRun:
    folder: Path
    code: int
    out: str
    report: dict[str, object]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    folder = tmp_path_factory.mktemp("demo")
    (folder / "demo").mkdir()
    (folder / "demo" / "stale.txt").write_text("left over")
    env = runtime_only_env(folder / "runtime-only", CARBON_LEDGER_ANVIL=str(folder / "no-anvil"))
    run = subprocess.run(
        [sys.executable, "-m", "cli", "demo", "--data-dir", str(folder)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Traceback" not in run.stderr, run.stderr
    report = json.loads((folder / "demo" / "report.json").read_text())
    return DemoRun(folder, run.returncode, run.stdout, report)


def test_the_demo_passes_and_writes_its_report(demo: DemoRun) -> None:
    assert demo.code == 0, demo.out
    report = demo.report
    assert report["ok"] is True and report["discrepancies"] == []
    assert report["batches"] == 398
    assert report["audit_seq"] == report["events"]
    reconciliation = report["reconciliation"]
    assert isinstance(reconciliation, list) and len(reconciliation) == 3
    assert all(r["ok"] and r["totals_match"] for r in reconciliation)
    imports = report["imports"]
    assert isinstance(imports, dict)
    assert imports["vcs"]["rows"] == {
        "bridged": 100, "retired": 100, "cancelled": 0, "already_present": 0, "rejected": 0,
    }  # fmt: skip
    assert imports["gs"]["rows_rejected"] == 0
    assert (demo.folder / "demo" / "deployment.json").exists()
    for name in ("VCS", "GS", "CDM"):
        assert (demo.folder / "demo" / "keystores" / f"issuer-{name}.json").exists()


def test_the_summary_has_a_line_per_programme(demo: DemoRun) -> None:
    lines = demo.out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("programme"))
    table = {line.split()[0]: line.split() for line in lines[header + 2 : header + 5]}
    assert set(table) == {"CDM", "GS", "VCS"}
    # Retired on the ledger: the buyers' 1,450 t and the pools' 1,100 t (all VCS).
    assert table["VCS"][1:6] == ["200", "4,029,227", "137,546", "2,550", "0"]
    assert table["GS"][1:6] == ["195", "7,324,504", "813,318", "500", "1,155,441"]
    assert table["CDM"][1:3] == ["3", "7,635"]
    assert "verification passed" in lines[-1]


def test_the_summary_names_the_exact_registry_serials_each_buyer_retired(demo: DemoRun) -> None:
    retired = [line for line in demo.out.splitlines() if line.startswith("retirement ")]
    assert len(retired) == 3
    airways, coffee, schools = retired
    assert "1,200 t for Demo Airways" in airways and "250 t for Demo Coffee Roasters" in coffee
    assert "500 t for Kampala Schools Trust" in schools
    # Verra's serial of exactly the 1,200 and 250 tonnes retired; the Gold Standard's of 500.
    for line, tonnes in ((airways, 1_200), (coffee, 250)):
        serial = line.rsplit(": ", 1)[1]
        _block, first, last, *rest = serial.split("-")
        assert rest[:2] == ["VCS", "VCU"] and int(last) - int(first) + 1 == tonnes
    gs = schools.rsplit(": ", 1)[1].split("-")
    assert gs[0] == "GS1" and int(gs[-1]) - int(gs[-2]) + 1 == 500


def test_the_demo_starts_from_a_fresh_folder(demo: DemoRun) -> None:
    assert not (demo.folder / "demo" / "stale.txt").exists()
    exports = sorted(p.name for p in (demo.folder / "demo" / "exports").iterdir())
    assert exports == [
        "gold-standard-issuances.csv",
        "gold-standard-retirements.csv",
        "verra-transactions.csv",
    ]


def test_the_demo_pools_admit_the_eligible_and_refuse_the_rest(demo: DemoRun) -> None:
    lines = demo.out.splitlines()
    created = next(line for line in lines if "created pool 1" in line)
    assert "CORSIA eligible, vintage from 2016-01-01" in created
    assert "project type only Agriculture Forestry and Other Land Use" in created
    refused = [line for line in lines if line.strip().startswith("refused: PoolIneligible")]
    assert len(refused) == 2
    assert "missing labels corsia_eligible" in refused[0]
    assert "its project's type is not admitted" in refused[1]
    assert any("a buyer redeemed 200 units of pool 1 for serials batch" in line for line in lines)


def test_the_summary_prints_each_pool_and_the_serials_its_units_retired(demo: DemoRun) -> None:
    lines = demo.out.splitlines()
    pools = {
        line.split()[1]: line for line in lines if line.startswith("pool ") and " supply " in line
    }
    assert set(pools) == {"1", "2"}
    # 5,000 t deposited in pool 1, 200 redeemed, 500 retired; 2,000 t (at most) in pool 2, 600 retired.
    assert "supply 4,300 units = 4,300 t held" in pools["1"]
    assert "by project type: Agriculture Forestry and Other Land Use" in "\n".join(lines)
    retired = [line for line in lines if line.startswith("pool ") and " retirement " in line]
    assert (
        sum(int(line.split(": ")[1].split(" t ")[0].replace(",", "")) for line in retired) == 1_100
    )
    airways = [line for line in retired if line.startswith("pool 1 ")]
    assert len(airways) == 1 and "500 t for Demo Airways" in airways[0]
    for line in retired:
        serial = line.rsplit(": ", 1)[1]
        _block, first, last, *rest = serial.split("-")
        assert rest[:2] == ["VCS", "VCU"]
        assert int(last) - int(first) + 1 == int(
            line.split(": ")[1].split(" t ")[0].replace(",", "")
        )
    outdoor = [line for line in retired if "Demo Outdoor Co." in line]
    assert outdoor and all(line.startswith("pool 2 ") for line in outdoor)
