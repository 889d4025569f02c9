"""How the vintage a serial encodes is checked: on its own, and against the row's columns.

Three shapes cover the registries: a vintage start and end date in the serial (Verra), a
vintage year (Gold Standard, ACR, CAR, ART, CCER), and a Kyoto commitment period (CDM unit
identifiers carry no vintage, only the period the units belong to).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from chain.registries._fields import parse_date_dmy
from chain.registries._grammar import label
from chain.registries._rows import RowVintage


class VintageRule(Protocol):
    """A vintage check; both methods return the reason for a mismatch, or ``None``."""

    def check_serial(self, parts: Mapping[str, str]) -> str | None: ...

    def check_row(self, parts: Mapping[str, str], row: RowVintage) -> str | None: ...


def _disagrees(what: str, serial: object, column: str, row: object) -> str:
    return f"{what} {serial} in the serial disagrees with row column {column!r} = {row}"


@dataclass(frozen=True)
class SerialDates:
    """The serial holds the vintage start and end as DDMMYYYY dates."""

    start: str = "vintage_start"
    end: str = "vintage_end"

    def check_serial(self, parts: Mapping[str, str]) -> str | None:
        start, end = parse_date_dmy(parts[self.start]), parse_date_dmy(parts[self.end])
        if start > end:
            return f"{label(self.start)} {start} is after {label(self.end)} {end}"
        return None

    def check_row(self, parts: Mapping[str, str], row: RowVintage) -> str | None:
        start, end = parse_date_dmy(parts[self.start]), parse_date_dmy(parts[self.end])
        if row.start is not None and row.start[1] != start:
            return _disagrees(label(self.start), start, row.start[0], row.start[1])
        if row.end is not None and row.end[1] != end:
            return _disagrees(label(self.end), end, row.end[0], row.end[1])
        if row.year is not None and not start.year <= row.year[1] <= end.year:
            return _disagrees("vintage", f"{start}..{end}", row.year[0], row.year[1])
        return None


@dataclass(frozen=True)
class SerialYear:
    """The serial holds the vintage year."""

    year: str = "vintage"

    def check_serial(self, parts: Mapping[str, str]) -> str | None:
        return None

    def check_row(self, parts: Mapping[str, str], row: RowVintage) -> str | None:
        year = int(parts[self.year])
        if row.year is not None:
            if row.year[1] != year:
                return _disagrees("vintage year", year, row.year[0], row.year[1])
            return None
        # Only dates in the row: the vintage year must fall within them.
        if row.start is not None and year < row.start[1].year:
            return _disagrees("vintage year", year, row.start[0], row.start[1])
        if row.end is not None and year > row.end[1].year:
            return _disagrees("vintage year", year, row.end[0], row.end[1])
        return None


@dataclass(frozen=True)
class CommitmentPeriod:
    """Kyoto unit identifiers: original and applicable commitment period codes.

    Assumption (DES code lists): ``1`` = first period (2008-2012; CERs for reductions from
    2000-2007 were issued as first-period units too), ``2`` = second period (2013-2020; the
    CDM registry kept issuing period-2 units for later reductions). The applicable period is
    never before the original one (units are carried over, never back).
    """

    original: str = "original_period"
    applicable: str = "applicable_period"
    last_year_of_first_period: int = 2012

    def expected_period(self, year: int) -> int:
        return 1 if year <= self.last_year_of_first_period else 2

    def check_serial(self, parts: Mapping[str, str]) -> str | None:
        original, applicable = int(parts[self.original]), int(parts[self.applicable])
        if original not in (1, 2):
            return f"{label(self.original)} must be 1 or 2, found {original}"
        if applicable < original:
            return (
                f"{label(self.applicable)} {applicable} is before {label(self.original)} {original}"
            )
        return None

    def check_row(self, parts: Mapping[str, str], row: RowVintage) -> str | None:
        original = int(parts[self.original])
        if row.year is not None:
            column, year = row.year
        else:
            dated = row.start or row.end
            if dated is None:
                return None
            column, year = dated[0], dated[1].year
        expected = self.expected_period(year)
        if expected != original:
            return (
                f"{label(self.original)} {original} in the serial disagrees with row column "
                f"{column!r} = {year} (vintage {year} belongs to commitment period {expected})"
            )
        return None
