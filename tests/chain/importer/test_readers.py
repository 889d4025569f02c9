"""Reading registry exports in their published layouts: every real row, the hand-made samples,
and bad rows and files."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from eth_utils.crypto import keccak

from chain.domain import Label, Purpose
from chain.importer.model import BlockStatus, FileKind, RegistryBlock
from chain.importer.readers import ExportFile, ExportFileError, detect_kind, read_export
from tests.chain.importer.support import (
    DATA,
    GS_ISSUANCES,
    GS_RETIREMENTS,
    VERRA,
    read_rows,
    subset,
    write_rows,
)


def _statuses(export: ExportFile) -> Counter[str]:
    return Counter(b.status.value for b in export.blocks)


def test_every_verra_row_is_a_block_with_its_status_labels_and_retirement() -> None:
    export = read_export("vcs", FileKind.ISSUANCES, VERRA)
    assert len(export.rows) == 200 and not export.rejections
    assert _statuses(export) == {"issued": 100, "retired": 100}
    _, rows = read_rows(VERRA)
    for block, row in zip(export.blocks, rows, strict=True):
        assert block.text == row["Serial Number"]
        assert block.quantity == int(row["Quantity Issued"].replace(",", ""))
        assert block.project.project_id == row["ID"]
        assert block.project.name == row["Name"]
        assert block.vintage_start == dt.date.fromisoformat(row["Vintage Start"])
        assert (block.status is BlockStatus.RETIRED) == bool(row["Retirement/Cancellation Date"])
        certifications = row["Additional Certifications"]
        assert bool(block.labels & Label.CORSIA_ELIGIBLE) == ("CORSIA" in certifications)
        assert bool(block.labels & Label.ARTICLE6_AUTHORISED) == (
            "Article 6 Authorized" in certifications
        )
        assert bool(block.labels & Label.CCP_APPROVED) == ("ICVCM CCP" in certifications)
        if block.retirement is not None:
            r = block.retirement
            assert r.retired_on == dt.date.fromisoformat(row["Retirement/Cancellation Date"])
            assert r.beneficiary == row["Retirement Beneficiary"]
            parts = [p for p in (row["Retirement Reason"], row["Retirement Details"].strip()) if p]
            assert r.note == ": ".join(parts)
            assert r.purpose is Purpose.VOLUNTARY
    assert sum(bool(b.labels & Label.CORSIA_ELIGIBLE) for b in export.blocks) == 25


def test_every_gold_standard_row_is_a_block() -> None:
    issuances = read_export("gs", FileKind.ISSUANCES, GS_ISSUANCES)
    retirements = read_export("gs", FileKind.RETIREMENTS, GS_RETIREMENTS)
    assert (len(issuances.blocks), len(retirements.blocks)) == (100, 100)
    assert _statuses(issuances) == {"issued": 100}
    assert _statuses(retirements) == {"retired": 94, "cancelled": 6}
    # CERs of Gold Standard-certified CDM projects are CDM units.
    assert Counter(b.program for b in issuances.blocks) == {"GS": 97, "CDM": 3}
    assert sum(bool(b.labels & Label.CCP_APPROVED) for b in issuances.blocks) == 2
    purposes = Counter(b.retirement.purpose for b in retirements.blocks if b.retirement)
    assert purposes == {Purpose.VOLUNTARY: 92, Purpose.COMPLIANCE: 2}
    hilti = retirements.blocks[0]
    assert hilti.retirement is not None
    assert hilti.retirement.beneficiary == "Hilti Corporation"
    assert hilti.retirement.note.startswith("Retirement on behalf of Hilti Corporation")
    assert not hilti.retirement.note.endswith("\n")  # surrounding whitespace trimmed
    assert hilti.retirement.retired_on == dt.date(2026, 4, 10)
    assert (hilti.vintage_start, hilti.vintage_end) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    reasons = Counter(b.cancel_reason for b in retirements.blocks if b.status.value == "cancelled")
    assert reasons == {
        "cancelled at the Gold Standard registry": 3,
        "Transferred to Zimbabwe Carbon Registry in accordance with Carbon Trading (General) "
        "Regulations 2025": 3,
    }


def test_rows_are_numbered_as_a_spreadsheet_does_even_with_multi_line_fields() -> None:
    retirements = read_export("gs", FileKind.RETIREMENTS, GS_RETIREMENTS)
    _, rows = read_rows(GS_RETIREMENTS)
    assert [b.source.row for b in retirements.blocks] == list(range(2, 102))
    assert all(b.text == rows[b.source.row - 2]["Serial Number"] for b in retirements.blocks)
    assert GS_RETIREMENTS.read_text(encoding="utf-8").count("\n") > 101  # notes span lines


@pytest.mark.parametrize(
    ("registry", "path", "kind", "count", "status"),
    [
        ("acr", "acr/retirements.csv", FileKind.RETIREMENTS, 6, "retired"),
        ("car", "car/retirements.csv", FileKind.RETIREMENTS, 6, "retired"),
        ("art", "art/retirements.csv", FileKind.RETIREMENTS, 5, "retired"),
        ("cdm", "cdm/issuances.csv", FileKind.ISSUANCES, 5, "issued"),
        ("ccer", "ccer/issuances.csv", FileKind.ISSUANCES, 3, "issued"),
    ],
)
def test_hand_made_samples_read_in_their_layouts(
    registry: str, path: str, kind: FileKind, count: int, status: str
) -> None:
    export = read_export(registry, None, DATA / path)
    assert export.layout.kind is kind
    assert len(export.blocks) == count and not export.rejections
    assert _statuses(export) == {status: count}
    for block in export.blocks:
        assert block.vintage_start.month == 1 and block.vintage_end == dt.date(
            block.vintage_start.year, 12, 31
        )
        if block.retirement is not None:
            assert block.retirement.retired_on is not None


def test_hand_made_labels_and_beneficiaries() -> None:
    art = read_export("art", None, DATA / "art/retirements.csv").blocks
    assert [bool(b.labels & Label.CORSIA_ELIGIBLE) for b in art] == [False] * 3 + [True] * 2
    assert art[3].retirement is not None and art[3].retirement.beneficiary == "Apple"
    assert art[3].retirement.note == "Contribution Towards Corporate Climate Pledge: FY24"
    acr = read_export("acr", None, DATA / "acr/retirements.csv").blocks
    assert acr[0].retirement is not None and acr[0].retirement.beneficiary == "AWS"
    assert acr[2].retirement is not None
    assert acr[2].retirement.beneficiary == "Anew Environmental, LLC"  # no "on behalf of"
    assert acr[0].retirement.retired_on == dt.date(2026, 4, 13)
    assert [bool(b.labels & Label.CCP_APPROVED) for b in acr] == [True, True] + [False] * 4


def test_the_metadata_hash_is_the_documented_canonical_json(tmp_path: Path) -> None:
    block = read_export("vcs", FileKind.ISSUANCES, VERRA).blocks[0]
    document = {
        "columns": {"Issuance Date": "2026-04-03"},
        "first": 941467007,
        "labels": 0,
        "last": 941467431,
        "namespace": "VCS-VCU",
        "program": "VCS",
        "project": {
            "country": "Ethiopia",
            "id": "1340",
            "methodology": "VM0015",
            "name": "Bale Mountains Eco-region REDD+ project",
            "type": "Agriculture Forestry and Other Land Use",
        },
        "reference": "19385",
        "registry": "vcs",
        "serial": "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1",
        "vintage": ["2020-01-01", "2020-12-31"],
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert block.metadata_hash == keccak(text.encode())


# ------------------------------------------------------------------ bad rows


def _one(export: ExportFile, row: int) -> RegistryBlock | str:
    found = next(r for r in export.rows if r.source.row == row)
    return found if isinstance(found, RegistryBlock) else found.reason


def test_bad_rows_are_rejected_with_reasons_and_the_rest_is_read(tmp_path: Path) -> None:
    def edit(n: int, row: dict[str, str]) -> dict[str, str]:
        if n == 3:
            row["Serial Number"] = row["Serial Number"].replace("-VCU-", "-VCX-")
        if n == 4:
            row["Quantity Issued"] = "28,57x"
        if n == 5:
            row["Quantity Issued"] = "1"
        if n == 6:
            row["Retirement/Cancellation Date"] = "10 April 2026"
        if n == 7:
            row["Vintage Start"] = ""
        return row

    export = read_export(
        "vcs", FileKind.ISSUANCES, subset(VERRA, tmp_path / "v.csv", range(2, 12), edit)
    )
    assert len(export.rows) == 10 and len(export.blocks) == 5
    assert "VCU" in str(_one(export, 3))
    assert "'Quantity Issued' is not a whole number: '28,57x'" in str(_one(export, 4))
    assert "disagrees with the range" in str(_one(export, 5))
    assert "retirement date column 'Retirement/Cancellation Date' is not a date" in str(
        _one(export, 6)
    )
    assert "Vintage Start" in str(_one(export, 7))
    assert all(isinstance(_one(export, n), RegistryBlock) for n in (2, 8, 9, 10, 11))


HOSTILE_ROWS = {
    # row: (column, hostile value, what the rejection says after naming the column)
    3: ("Retirement Beneficiary", "Acme\x00Corp", "the control character U+0000 is not allowed"),
    4: ("Retirement Beneficiary", "Acme \u202eproC", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    5: ("Retirement Beneficiary", "Acme\x07", "the control character U+0007"),
    6: ("Retirement Beneficiary", "Acme\nCorp", "the control character U+000A"),
    7: ("Retirement Beneficiary", "\u200b\u2060", "is blank"),
    8: ("Retirement Beneficiary", "\u20ac" * 86, "is 258 bytes long; at most 256"),
    9: ("Name", "Bale\u2028Mountains", "U+2028 LINE SEPARATOR"),
    10: ("Country/Area", "Mexico\u202a", "U+202A LEFT-TO-RIGHT EMBEDDING"),
    11: ("Retirement Details", "Credits\r\nretired", "the control character U+000D"),
    12: ("Methodology", "VM\x7f0015", "the control character U+007F"),
}
"""Text no ledger field may hold, each in one row of the Verra export."""
WHAT = {
    "Retirement Beneficiary": "beneficiary",
    "Name": "project name",
    "Country/Area": "project country",
    "Retirement Details": "note",
    "Methodology": "project methodology",
}


def test_hostile_text_rejects_its_row_naming_the_column_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    def edit(n: int, row: dict[str, str]) -> dict[str, str]:
        if n in HOSTILE_ROWS:
            column, value, _ = HOSTILE_ROWS[n]
            row[column] = value
        if n == 13:
            row["Retirement Beneficiary"] = "  Cafe\u0301 Ltd \t"  # normalised, not rejected
        if n == 14:
            row["Retirement Beneficiary"] = "   "  # a registry may record no beneficiary
        if n == 15:
            row["Retirement Details"] = "x" * 2045  # within the limit alone, not once joined
        return row

    export = read_export(
        "vcs", FileKind.ISSUANCES, subset(VERRA, tmp_path / "v.csv", range(2, 17), edit)
    )
    for n, (column, _, problem) in HOSTILE_ROWS.items():
        reason = str(_one(export, n))
        where = f"{WHAT[column]} (column {column!r}"
        assert where in reason and problem in reason, (n, reason)
    # The note joins two columns: too long together, it is blamed on both.
    joined = str(_one(export, 15))
    assert "note (columns 'Retirement Reason' + 'Retirement Details') is 2" in joined, joined
    assert len(export.rejections) == len(HOSTILE_ROWS) + 1
    cafe, nobody = _one(export, 13), _one(export, 14)
    assert isinstance(cafe, RegistryBlock) and cafe.retirement is not None
    assert cafe.retirement.beneficiary == "Caf\u00e9 Ltd"
    assert isinstance(nobody, RegistryBlock) and nobody.retirement is not None
    assert nobody.retirement.beneficiary == ""
    assert all(isinstance(_one(export, n), RegistryBlock) for n in (2, 16))


def test_a_rejection_names_the_one_column_its_value_came_from(tmp_path: Path) -> None:
    """Gold Standard's beneficiary is ``Using Entity`` or, failing it, ``Aeroplane Operator
    Name``: the rejection names the column that held the text, not both candidates."""

    def edit(n: int, row: dict[str, str]) -> dict[str, str]:
        if n == 2:
            row["Using Entity"] = "Hilti\x00"
        if n == 6:
            row["Aeroplane Operator Name"] = "Air \u2066Lines"
        return row

    export = read_export(
        "gs", FileKind.RETIREMENTS, subset(GS_RETIREMENTS, tmp_path / "r.csv", range(2, 8), edit)
    )
    assert str(_one(export, 2)).startswith("beneficiary (column 'Using Entity') the control")
    assert str(_one(export, 6)).startswith(
        "beneficiary (column 'Aeroplane Operator Name') U+2066 LEFT-TO-RIGHT ISOLATE"
    )
    assert len(export.rejections) == 2


def test_gold_standard_bad_status_use_case_and_missing_date(tmp_path: Path) -> None:
    def edit(n: int, row: dict[str, str]) -> dict[str, str]:
        if n == 2:
            row["Credit Status"] = "Pending"
        if n == 3:
            row["Use Case"] = "Bragging rights"
        if n == 4:
            row["Retirement Date"] = ""
        if n == 5:
            row["Use Case"] = "CORSIA"
        return row

    export = read_export(
        "gs", FileKind.RETIREMENTS, subset(GS_RETIREMENTS, tmp_path / "r.csv", range(2, 7), edit)
    )
    assert "unknown status 'Pending' in column 'Credit Status'" in str(_one(export, 2))
    assert "unknown retirement use 'Bragging rights' in column 'Use Case'" in str(_one(export, 3))
    assert "date column 'Retirement Date' is empty" in str(_one(export, 4))
    corsia = _one(export, 5)
    assert isinstance(corsia, RegistryBlock) and corsia.retirement is not None
    assert corsia.retirement.purpose is Purpose.CORSIA  # refused later, by the plan
    assert isinstance(_one(export, 6), RegistryBlock)


def test_a_short_row_is_rejected(tmp_path: Path) -> None:
    header, rows = read_rows(VERRA)
    path = write_rows(tmp_path / "v.csv", header, rows[:2])
    text = path.read_text().splitlines()
    text.insert(2, "2026-04-03,,2020-01-01")
    path.write_text("\r\n".join(text) + "\r\n")
    export = read_export("vcs", FileKind.ISSUANCES, path)
    assert [type(r).__name__ for r in export.rows] == [
        "RegistryBlock",
        "RowRejection",
        "RegistryBlock",
    ]
    assert "number of fields" in export.rejections[0].reason


def test_issuance_exports_without_serials_are_not_bridgeable(tmp_path: Path) -> None:
    path = tmp_path / "acr-issuances.csv"
    path.write_text("Project ID,Vintage,Total Credits Issued\nACR1129,2025,30000\nACR681,2022,9\n")
    export = read_export("acr", None, path)
    assert export.layout.kind is FileKind.ISSUANCES and not export.blocks
    assert [r.source.row for r in export.rejections] == [2, 3]
    assert export.rejections[0].reason.startswith("not bridgeable: ACR's issuance export has no")


# ------------------------------------------------------------------ bad files


def test_a_missing_header_column_fails_the_file_by_name(tmp_path: Path) -> None:
    header, rows = read_rows(GS_ISSUANCES)
    header.remove("Vintage")
    path = write_rows(tmp_path / "gs.csv", header, [{k: r[k] for k in header} for r in rows])
    with pytest.raises(ExportFileError) as caught:
        read_export("gs", FileKind.ISSUANCES, path)
    assert str(path) in str(caught.value) and "'Vintage'" in str(caught.value)


def test_unreadable_files_fail_by_name(tmp_path: Path) -> None:
    with pytest.raises(ExportFileError, match="no such file"):
        read_export("vcs", FileKind.ISSUANCES, tmp_path / "missing.csv")
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(
        VERRA.read_text(encoding="utf-8").encode("utf-8") + "Produções\n".encode("latin-1")
    )
    with pytest.raises(ExportFileError, match="not UTF-8"):
        read_export("vcs", FileKind.ISSUANCES, latin)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ExportFileError, match="empty"):
        read_export("vcs", FileKind.ISSUANCES, empty)


def test_a_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GS_ISSUANCES.read_bytes())
    assert len(read_export("gs", FileKind.ISSUANCES, path).blocks) == 100


def test_kinds_are_told_from_headers() -> None:
    assert detect_kind("gs", read_rows(GS_ISSUANCES)[0]) is FileKind.ISSUANCES
    assert detect_kind("gs", read_rows(GS_RETIREMENTS)[0]) is FileKind.RETIREMENTS
    assert detect_kind("vcs", read_rows(GS_RETIREMENTS)[0]) is None
    header = read_rows(DATA / "acr/retirements.csv")[0]
    assert detect_kind("acr", header) is FileKind.RETIREMENTS
    cancellations = [h for h in header if h not in ("Retirement Reason", "Purpose of Retirement")]
    assert detect_kind("acr", cancellations) is FileKind.CANCELLATIONS
    with pytest.raises(ExportFileError, match="matches none of the vcs export layouts"):
        read_export("vcs", None, GS_RETIREMENTS)


@pytest.mark.parametrize("registry", ["jcredit", "cercarbono", "isometric", "puro", "ccer"])
def test_the_issue16_samples_kinds_are_told_from_their_headers(registry: str) -> None:
    for kind in (FileKind.ISSUANCES, FileKind.RETIREMENTS):
        header = read_rows(DATA / registry / f"{kind.value}.csv")[0]
        assert detect_kind(registry, header) is kind


def test_isometric_and_ecoregistry_instants_are_dates() -> None:
    blocks = read_export("isometric", None, DATA / "isometric/retirements.csv").blocks
    assert [b.retirement.retired_on for b in blocks if b.retirement] == [
        dt.date(2025, 1, 20),
        dt.date(2025, 10, 1),
        dt.date(2024, 12, 1),
    ]
    cercarbono = read_export("cercarbono", None, DATA / "cercarbono/issuances.csv").blocks
    assert (cercarbono[0].vintage_start, cercarbono[0].vintage_end) == (
        dt.date(2010, 1, 1),
        dt.date(2018, 9, 30),
    )
    assert [b.buffer for b in cercarbono] == [False, True, False]


def test_a_cercarbono_vintage_period_that_is_not_one_rejects_its_row(tmp_path: Path) -> None:
    path = DATA / "cercarbono/issuances.csv"
    header, rows = read_rows(path)
    rows[0]["vintage_of_credits"] = "2018-09-30 / 2010-01-01"
    rows[1]["vintage_of_credits"] = "2010"
    export = read_export("cercarbono", None, write_rows(tmp_path / "i.csv", header, rows))
    assert [(r.source.row, r.reason) for r in export.rejections] == [
        (2, "vintage column 'vintage_of_credits' starts after it ends: '2018-09-30 / 2010-01-01'"),
        (
            3,
            "vintage column 'vintage_of_credits' is not a period 'YYYY-MM-DD / YYYY-MM-DD': '2010'",
        ),
    ]
