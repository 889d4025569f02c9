"""Reading the columns of a registry export row that a serial is cross-checked against.

Each adapter names, per check, the columns that may hold the value (the first one present in
the row is used), so one description covers a registry's issuance, retirement and cancellation
exports whose headers differ slightly. Values are parsed strictly: quantities as whole numbers
(``"1,454,054"`` with thousands separators is accepted), dates as ``YYYY-MM-DD`` or
``M/D/YYYY`` (optionally followed by a time, as APX exports write them), years as ``YYYY``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from chain.errors import CarbonLedgerError

_QUANTITY = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ][0-9:.]+)?")
_US_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?: [0-9:]+(?: [AP]M)?)?")
_YEAR = re.compile(r"[0-9]{4}")


class RowError(CarbonLedgerError, ValueError):
    """A row column is missing or unreadable (the message is the reason)."""


@dataclass(frozen=True)
class RowValue:
    """A value read from a row, with the column it came from (for messages)."""

    column: str
    text: str


@dataclass(frozen=True)
class RowVintage:
    """The vintage a row states: start/end dates and/or a year, whichever columns it has."""

    start: tuple[str, dt.date] | None = None
    end: tuple[str, dt.date] | None = None
    year: tuple[str, int] | None = None


@dataclass(frozen=True)
class RowColumns:
    """Which columns of an export row hold what the serial is checked against.

    ``quantity``, ``project``, ``vintage_start``, ``vintage_end`` and ``vintage_year`` list
    candidate column names (first present wins); an empty tuple means "not checked".
    ``project_prefix`` is an optional prefix the column writes before the id the serial holds
    (``"ACR1129"`` for ``1129``).
    """

    quantity: tuple[str, ...] = ()
    project: tuple[str, ...] = ()
    project_prefix: str = ""
    vintage_start: tuple[str, ...] = ()
    vintage_end: tuple[str, ...] = ()
    vintage_year: tuple[str, ...] = ()

    @property
    def has_vintage(self) -> bool:
        return bool(self.vintage_start or self.vintage_end or self.vintage_year)

    def quantity_of(self, row: Mapping[str, str]) -> tuple[str, int] | None:
        value = _pick(row, self.quantity, "quantity")
        if value is None:
            return None
        text = value.text.strip()
        if not _QUANTITY.fullmatch(text):
            raise RowError(f"quantity column {value.column!r} is not a whole number: {text!r}")
        return value.column, int(text.replace(",", ""))

    def project_of(self, row: Mapping[str, str]) -> tuple[str, str] | None:
        value = _pick(row, self.project, "project")
        if value is None:
            return None
        text = value.text.strip()
        if self.project_prefix and text.startswith(self.project_prefix):
            text = text[len(self.project_prefix) :]
        return value.column, text

    def vintage_of(self, row: Mapping[str, str]) -> RowVintage | None:
        if not self.has_vintage:
            return None
        start = _pick(row, self.vintage_start, None)
        end = _pick(row, self.vintage_end, None)
        year = _pick(row, self.vintage_year, None)
        if start is None and end is None and year is None:
            wanted = self.vintage_start + self.vintage_end + self.vintage_year
            raise RowError(f"row has no vintage column (expected one of {list(wanted)})")
        return RowVintage(
            start=None if start is None else (start.column, _date(start)),
            end=None if end is None else (end.column, _date(end)),
            year=None if year is None else (year.column, _year(year)),
        )


def _pick(row: Mapping[str, str], columns: tuple[str, ...], what: str | None) -> RowValue | None:
    """The first of ``columns`` present in ``row``; if none is and ``what`` names a required
    check, that is an error (the row is not in the layout this adapter reads)."""
    if not columns:
        return None
    for column in columns:
        if column in row and row[column] is not None:
            return RowValue(column, str(row[column]))
    if what is None:
        return None
    raise RowError(f"row has no {what} column (expected one of {list(columns)})")


def _date(value: RowValue) -> dt.date:
    text = value.text.strip()
    try:
        if m := _ISO_DATE.fullmatch(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _US_DATE.fullmatch(text):
            return dt.date(int(m[3]), int(m[1]), int(m[2]))
    except ValueError:
        pass
    raise RowError(f"column {value.column!r} is not a date: {text!r}")


def _year(value: RowValue) -> int:
    text = value.text.strip()
    if not _YEAR.fullmatch(text):
        raise RowError(f"column {value.column!r} is not a year: {text!r}")
    return int(text)
