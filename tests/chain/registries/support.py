"""Helpers for the serial adapter tests: the sample files, and hypothesis strategies that build
valid parts for any declared adapter (so new adapters are covered without new strategies)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from hypothesis import strategies as st

from chain.registries import (
    ALPHA2,
    CODE,
    CREDIT_TYPE,
    DATE_DMY,
    INTEGER,
    MAX_SERIAL,
    UUID,
    YEAR,
    CommitmentPeriod,
    FieldKind,
    ParsedSerial,
    SerialAdapter,
    SerialDates,
    SerialYear,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "registries"

# (registry key, file, serial column) for every sample file that carries serials.
SAMPLE_FILES: tuple[tuple[str, str, str], ...] = (
    ("vcs", "verra/transactions.csv", "Serial Number"),
    ("gs", "gold-standard/issuances.csv", "Serial Number"),
    ("gs", "gold-standard/retirements.csv", "Serial Number"),
    ("acr", "acr/retirements.csv", "Credit Serial Numbers"),
    ("car", "car/retirements.csv", "Offset Credit Serial Numbers"),
    ("art", "art/retirements.csv", "Credit Serial Numbers"),
    ("cdm", "cdm/issuances.csv", "Serial Number"),
    ("ccer", "ccer/issuances.csv", "Serial Number"),
    ("ccer", "ccer/retirements.csv", "Serial Number"),
    ("jcredit", "jcredit/issuances.csv", "Serial Number"),
    ("jcredit", "jcredit/retirements.csv", "Serial Number"),
    ("puro", "puro/issuances.csv", "Certificates"),
    ("puro", "puro/retirements.csv", "Certificates"),
)
REAL_FILES = SAMPLE_FILES[:3]


def rows(path: str) -> Iterator[dict[str, str]]:
    with (DATA / path).open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def _ddmmyyyy(day: dt.date) -> str:
    return f"{day.day:02d}{day.month:02d}{day.year:04d}"


_DATES = st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31))
_KIND_STRATEGIES: dict[int, st.SearchStrategy[str]] = {
    id(INTEGER): st.integers(0, MAX_SERIAL).map(str),
    id(YEAR): st.integers(1000, 9999).map(str),
    id(DATE_DMY): _DATES.map(_ddmmyyyy),
    id(ALPHA2): st.from_regex(r"[A-Z]{2}", fullmatch=True),
    id(CODE): st.from_regex(r"[A-Z0-9]{1,6}", fullmatch=True),
    id(UUID): st.uuids().map(str) | st.uuids().map(lambda u: str(u).upper()),
    id(CREDIT_TYPE): st.from_regex(r"[A-Z][A-Z0-9]{0,8}\+?", fullmatch=True),
}


def kind_strategy(kind: FieldKind) -> st.SearchStrategy[str]:
    if kind.choices:
        return st.sampled_from(kind.choices)
    if kind.name.startswith("code") and kind.name[4:].isdigit():  # ``sized_code(n)``
        return st.from_regex(rf"[A-Z0-9]{{{int(kind.name[4:])}}}", fullmatch=True)
    return _KIND_STRATEGIES[id(kind)]


@st.composite
def valid_parts(draw: st.DrawFn, adapter: SerialAdapter) -> dict[str, str]:
    """Parts of a valid serial for ``adapter``: every part of its kind, first <= last, and
    whatever its vintage rule needs (start <= end; original <= applicable period)."""
    parts = {name: draw(kind_strategy(kind)) for name, kind in adapter.kinds.items()}
    first, last = sorted((int(parts[adapter.first]), int(parts[adapter.last])))
    if draw(st.booleans()):  # also small, realistic blocks
        last = min(first + draw(st.integers(0, 100_000)), MAX_SERIAL)
    parts[adapter.first], parts[adapter.last] = str(first), str(last)
    rule = adapter.vintage
    if isinstance(rule, SerialDates):
        start, end = sorted((parts[rule.start], parts[rule.end]), key=_dmy_key)
        parts[rule.start], parts[rule.end] = start, end
    elif isinstance(rule, CommitmentPeriod):
        original = draw(st.integers(1, 2))
        parts[rule.original] = str(original)
        parts[rule.applicable] = str(draw(st.integers(original, 3)))
    return parts


def _dmy_key(text: str) -> str:
    return text[4:] + text[2:4] + text[:2]


def matching_row(parsed: ParsedSerial, *, commas: bool = False) -> dict[str, str]:
    """An export row that agrees with ``parsed`` in every column its adapter checks."""
    adapter, spec, parts = parsed.adapter, parsed.adapter.row, parsed.components
    row: dict[str, str] = {}
    if spec.quantity:
        row[spec.quantity[0]] = f"{parsed.quantity:,}" if commas else str(parsed.quantity)
    if spec.project and adapter.project is not None:
        row[spec.project[0]] = spec.project_prefix + parts[adapter.project]
    rule = adapter.vintage
    if isinstance(rule, SerialDates):
        for name, columns in ((rule.start, spec.vintage_start), (rule.end, spec.vintage_end)):
            text = parts[name]
            row[columns[0]] = f"{text[4:]}-{text[2:4]}-{text[:2]}"
    elif isinstance(rule, SerialYear):
        row[spec.vintage_year[0]] = parts[rule.year]
    elif isinstance(rule, CommitmentPeriod):
        row[spec.vintage_year[0]] = "2010" if parts[rule.original] == "1" else "2015"
    return row
