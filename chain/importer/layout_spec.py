"""What an export layout is: the vocabulary ``layouts`` declares the registries' exports in.

A :class:`Layout` says, as data, how one registry's export of one kind (issuances,
retirements, cancellations) is laid out: which column gives the serial block, the project's
name, country, methodology and type, the vintage, the block's status, and what a retirement or
cancellation recorded (beneficiary, purpose, note, date, reason), and which columns carry
labels. Its rules read a :class:`RowValues`; a layout whose registry writes no serial range in
one column names a :data:`Derive` that builds each row's :class:`Derived` blocks.

The tables themselves are in ``chain.importer.layouts``; ``chain.importer.readers`` applies
them. This module depends on neither, so both (and ``_derive``) can import it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from chain.domain import Label, Purpose
from chain.importer.model import BlockStatus, FileKind

Columns = tuple[str, ...]
"""Candidate column names for one field: the first one present in the header is read."""


@dataclass(frozen=True)
class Derived:
    """A serial block a row yields when the registry does not write it in one column: the
    text the registry's adapter parses (built from the row's columns, or derived as
    documented for Isometric), and whether it is the buffer pool's share."""

    text: str
    buffer: bool = False


Derive = Callable[[Sequence["RowValues"]], list[list[Derived] | str]]
"""Per data row of a file (in order): the blocks it yields, or the reason it yields none."""


# ---------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class StatusRule:
    """How a row states its block's status: a fixed status for the whole file, a status when a
    column is filled in (Verra's retirement date), or a table of a column's values."""

    columns: Columns = ()
    fixed: BlockStatus | None = None
    when_set: BlockStatus | None = None
    values: Mapping[str, BlockStatus] = field(default_factory=dict)

    @classmethod
    def always(cls, status: BlockStatus) -> StatusRule:
        return cls(fixed=status)

    @classmethod
    def set_means(cls, columns: Columns, status: BlockStatus) -> StatusRule:
        return cls(columns=columns, when_set=status)

    @classmethod
    def by_value(cls, columns: Columns, values: Mapping[str, BlockStatus]) -> StatusRule:
        return cls(columns=columns, values={k.casefold(): v for k, v in values.items()})

    def status(self, row: RowValues) -> BlockStatus | str:
        """The status, or the reason it cannot be told."""
        if self.fixed is not None:
            return self.fixed
        column, value = row.first(self.columns)
        if self.when_set is not None:
            return self.when_set if value else BlockStatus.ISSUED
        found = self.values.get(value.casefold())
        if found is None:
            known = ", ".join(sorted({k.title() for k in self.values}))
            return f"unknown status {value!r} in column {column!r} (expected one of {known})"
        return found


@dataclass(frozen=True)
class LabelRule:
    """A label the row grants: when a column contains one of ``contains`` (case-insensitive),
    says yes (``yes``), or holds anything but ``none_of`` (``"Not Applicable"``)."""

    label: Label
    columns: Columns
    contains: tuple[str, ...] = ()
    yes: bool = False
    none_of: tuple[str, ...] = ()

    def applies(self, row: RowValues) -> bool:
        for column in self.columns:
            value = row.get(column)
            if not value:
                continue
            folded = value.casefold()
            if self.contains and any(needle.casefold() in folded for needle in self.contains):
                return True
            if self.yes and folded in ("yes", "y", "true", "1"):
                return True
            if self.none_of and folded not in {n.casefold() for n in self.none_of}:
                return True
        return False


@dataclass(frozen=True)
class PurposeRule:
    """The retirement purpose from free-text columns: the first keyword (case-insensitive
    substring) found decides; nothing found gives ``default``. With ``strict``, a non-empty
    value that matches no keyword rejects the row instead (a column of fixed values)."""

    columns: Columns
    keywords: tuple[tuple[str, Purpose], ...]
    default: Purpose = Purpose.VOLUNTARY
    strict: bool = False

    def purpose(self, row: RowValues) -> Purpose | str:
        texts = [(c, row.get(c)) for c in self.columns if row.get(c)]
        for _, text in texts:
            folded = text.casefold()
            for needle, purpose in self.keywords:
                if needle.casefold() in folded:
                    return purpose
        if self.strict and texts:
            column, text = texts[0]
            known = ", ".join(dict.fromkeys(k for k, _ in self.keywords))
            return f"unknown retirement use {text!r} in column {column!r} (known: {known})"
        return self.default


@dataclass(frozen=True)
class Layout:
    """One registry export's published column layout (see the module docstring).

    ``serial`` empty means the registry publishes this kind of export without serial numbers:
    its rows are reported as not bridgeable. ``required`` lists column groups the header must
    have (one of each group). ``signature``/``absent`` tell this kind of file from the
    registry's others by its header (for ``audit verify --registry-export``). ``metadata``
    columns are folded into the batch's metadata hash with the block's description.

    ``derive`` builds the serial blocks of rows whose registry writes no serial column (see
    :data:`Derive`); ``serial`` then names the column shown in reports. ``project_id`` is read
    when the serial holds no project id; ``vintage_period`` is a ``YYYY-MM-DD / YYYY-MM-DD``
    column (EcoRegistry's ``vintage_of_credits``).
    """

    registry: str
    kind: FileKind
    title: str
    serial: Columns
    required: tuple[Columns, ...] = ()
    project_name: Columns = ()
    country: Columns = ()
    methodology: Columns = ()
    project_type: Columns = ()
    vintage_start: Columns = ()
    vintage_end: Columns = ()
    vintage_year: Columns = ()
    status: StatusRule = field(default_factory=lambda: StatusRule.always(BlockStatus.ISSUED))
    date: Columns = ()
    beneficiary: Columns = ()
    note: Columns = ()
    purpose: PurposeRule | None = None
    cancel_reason: Columns = ()
    labels: tuple[LabelRule, ...] = ()
    metadata: Columns = ()
    signature: Columns = ()
    absent: Columns = ()
    not_bridgeable: str = ""
    derive: Derive | None = None
    project_id: Columns = ()
    vintage_period: Columns = ()

    def missing_columns(self, header: Sequence[str]) -> list[Columns]:
        present = set(header)
        groups = [self.serial, *self.required] if self.serial else list(self.required)
        return [g for g in groups if g and not present.intersection(g)]

    def matches(self, header: Sequence[str]) -> bool:
        present = set(header)
        return all(c in present for c in self.signature) and not present.intersection(self.absent)


# ---------------------------------------------------------------------------- row values


class RowValues:
    """A CSV row with trimmed values; missing columns read as empty."""

    def __init__(self, raw: Mapping[str, str | None]) -> None:
        self.raw = raw

    def get(self, column: str) -> str:
        value = self.raw.get(column)
        return value.strip() if isinstance(value, str) else ""

    def first(self, columns: Columns) -> tuple[str, str]:
        """(column, value) of the first candidate with a value; else the first present one."""
        present = [c for c in columns if c in self.raw]
        for column in present:
            if value := self.get(column):
                return column, value
        return (present[0] if present else (columns[0] if columns else "")), ""

    def joined(self, columns: Columns, separator: str = ": ") -> str:
        """The non-empty values of ``columns``, in order, each once."""
        return separator.join(dict.fromkeys(v for c in columns if (v := self.get(c))))


_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ][0-9:.]+(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?")
_US = re.compile(
    r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?: [0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?: ?[AP]M)?)?"
)


def parse_date(text: str) -> dt.date | None:
    """``2026-04-10`` (optionally with a time, and ``Z`` or an offset as ISO 8601 writes
    it: ``2023-11-07T05:31:56Z``), or the US ``4/13/2026 7:17:56 PM``."""
    try:
        if m := _ISO.fullmatch(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _US.fullmatch(text):
            return dt.date(int(m[3]), int(m[1]), int(m[2]))
    except ValueError:
        return None
    return None
