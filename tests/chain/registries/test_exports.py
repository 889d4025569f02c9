"""Every serial in the sample exports parses with its own row and renders back exactly."""

from __future__ import annotations

import itertools

import pytest

from chain import registries
from chain.registries import ParsedSerial, SerialFormatError
from tests.chain.registries.support import REAL_FILES, SAMPLE_FILES, rows

CASES = [
    pytest.param(key, row, column, id=f"{path}:{number}")
    for key, path, column in SAMPLE_FILES
    for number, row in enumerate(rows(path), start=2)  # line 1 is the header
]


def test_every_sample_file_has_rows() -> None:
    for _, path, _ in SAMPLE_FILES:
        assert sum(1 for _ in rows(path)) >= 3, path
    assert sum(1 for key, path, _ in REAL_FILES for _ in rows(path)) == 400


@pytest.mark.parametrize(("key", "row", "column"), CASES)
def test_sample_serial_parses_with_its_row_and_round_trips(
    key: str, row: dict[str, str], column: str
) -> None:
    serial = row[column]
    parsed = registries.parse(key, serial, row)
    assert isinstance(parsed, ParsedSerial)
    assert registries.format(parsed) == serial.strip()
    assert registries.parse(key, registries.format(parsed)) == parsed
    assert parsed.quantity == parsed.last - parsed.first + 1


@pytest.mark.parametrize(("key", "row", "column"), CASES)
def test_sample_serial_is_rejected_when_its_quantity_column_is_off_by_one(
    key: str, row: dict[str, str], column: str
) -> None:
    parsed = registries.parse(key, row[column])
    quantity_column = next(c for c in parsed.adapter.row.quantity if c in row)
    wrong = dict(row, **{quantity_column: str(parsed.quantity + 1)})
    with pytest.raises(SerialFormatError) as caught:
        registries.parse(key, row[column], wrong)
    assert "quantity" in caught.value.reason
    assert quantity_column in caught.value.reason


def test_verra_numbers_are_one_registry_wide_sequence() -> None:
    """The namespace decision for VCS rests on this: sorted by first serial, blocks never
    overlap and block ids and issuance dates only grow, across projects and vintages."""
    blocks = sorted(
        (
            (registries.parse("vcs", r["Serial Number"], r), r["Issuance Date"])
            for r in rows("verra/transactions.csv")
        ),
        key=lambda item: item[0].first,
    )
    assert len({p.namespace for p, _ in blocks}) == 1
    assert len({p.project for p, _ in blocks}) > 50
    for (before, day_before), (after, day_after) in itertools.pairwise(blocks):
        assert before.last < after.first
        assert int(before.reference or 0) <= int(after.reference or 0)
        assert day_before <= day_after


def test_gold_standard_numbers_restart_in_every_issuance() -> None:
    """The namespace decision for GS: many issuances start at serial 1, so the numbers are
    only unique within an issuance, and the namespace ends with the issuance id."""
    parsed = [
        registries.parse("gs", r["Serial Number"], r)
        for path in ("gold-standard/issuances.csv", "gold-standard/retirements.csv")
        for r in rows(path)
    ]
    gs = [p for p in parsed if p.program == "GS"]
    assert sum(p.first == 1 for p in gs) > 50
    for p in gs:
        assert p.namespace.endswith(f"-{p.reference}")
        assert registries.format(p).startswith(p.namespace + "-")


def test_gold_standard_export_lists_cdm_units_which_parse_as_cdm() -> None:
    cers = [
        r for r in rows("gold-standard/issuances.csv") if not r["Serial Number"].startswith("GS")
    ]
    assert len(cers) == 3
    for row in cers:
        assert row["Product Type"] == "CER"
        parsed = registries.parse("gs", row["Serial Number"], row)
        assert (parsed.program, parsed.namespace, parsed.scheme) == ("CDM", "RW", "gs-cdm")
        assert parsed.project == "7014" and row["GSID"] == "4823"  # CDM id, not the GSID
        same = registries.parse("cdm", row["Serial Number"])
        assert same.canonical == parsed.canonical  # one namespace whichever export it came from
        with pytest.raises(SerialFormatError, match="expected 'GS'"):
            registries.parse("GS", row["Serial Number"])  # the GS programme alone: not a GS unit
