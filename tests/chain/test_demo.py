"""The demo runs end to end on the embedded chain and its audit passes."""

from __future__ import annotations

import json
from pathlib import Path

from chain.cli import main


def test_demo_passes_and_writes_its_report(tmp_path: Path, capsys: object) -> None:
    assert main(["demo", "--data-dir", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "demo" / "report.json").read_text())
    assert report["ok"] is True
    assert report["batches"] == 4
    assert report["audit_seq"] == report["events"] > 20
    assert (tmp_path / "demo" / "deployment.json").exists()


def test_demo_starts_from_a_fresh_folder_each_run(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "stale.txt").write_text("left over")
    assert main(["demo", "--data-dir", str(tmp_path)]) == 0
    assert not (tmp_path / "demo" / "stale.txt").exists()
