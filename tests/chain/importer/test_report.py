"""The report's arithmetic (distinct serials per status) and its output forms."""

from __future__ import annotations

from chain.importer.model import BlockStatus
from chain.importer.plan import Outcome
from chain.importer.report import ImportReport, RowOutcome, segments

ISSUED, RETIRED, CANCELLED = BlockStatus.ISSUED, BlockStatus.RETIRED, BlockStatus.CANCELLED


def test_segments_count_each_serial_once_with_the_later_status() -> None:
    spans = [
        ("GS", "ns", 1, 5485, ISSUED),
        ("GS", "ns", 110, 5463, RETIRED),
        ("GS", "ns", 5464, 5470, CANCELLED),
        ("GS", "other", 1, 10, ISSUED),
        ("GS", "other", 1, 10, ISSUED),  # the same block twice
    ]
    assert segments(spans) == [
        ("GS", "ns", 1, 109, ISSUED),
        ("GS", "ns", 110, 5463, RETIRED),
        ("GS", "ns", 5464, 5470, CANCELLED),
        ("GS", "ns", 5471, 5485, ISSUED),
        ("GS", "other", 1, 10, ISSUED),
    ]


def test_the_json_report_has_the_documented_keys() -> None:
    outcomes = [
        RowOutcome("f.csv", 2, "S-1-10", Outcome.BRIDGED, quantity=10, batches=[1]),
        RowOutcome("f.csv", 3, "bad", Outcome.REJECTED, reason="malformed"),
    ]
    tonnes = {"bridged": 10, "held": 10, "retired": 0, "cancelled": 0}
    report = ImportReport(
        "gs",
        [{"file": "f.csv", "kind": "issuances", "rows": 2}],
        outcomes,
        tonnes,
        1,
        {"GS": 9},
        0.5,
    )
    data = report.as_json()
    assert {"rows_total", "rows_rejected", "rejected", "tonnes"} <= set(data)
    assert data["rejected"] == [{"file": "f.csv", "row": 3, "serial": "bad", "reason": "malformed"}]
    assert data["rows"] == {
        "bridged": 1,
        "retired": 0,
        "cancelled": 0,
        "already_present": 0,
        "rejected": 1,
    }
    assert data["outcomes"][0] == {
        "file": "f.csv", "row": 2, "serial": "S-1-10", "status": "bridged", "quantity": 10, "batches": [1],
    }  # fmt: skip
    text = "\n".join(report.lines())
    assert "f.csv:3  bad  -  rejected\n    reason: malformed" in text
    assert "2 rows: 1 bridged, 0 retired, 0 cancelled, 0 already present, 1 rejected" in text
