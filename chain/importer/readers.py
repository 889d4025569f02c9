"""Reading registry exports in their published column layouts.

A :class:`~chain.importer.layout_spec.Layout` says, as data, how one registry's export of one kind
is laid out (``chain.importer.layout_spec``); the tables themselves are in
``chain.importer.layouts``; this module applies them.

Each data row yields a :class:`~chain.importer.model.RegistryBlock` or, when it cannot be read,
a :class:`~chain.importer.model.RowRejection` with the reason: a row is never dropped and never
stops the rest of the file. A file that cannot be opened or decoded, or whose header lacks a
column the layout needs, is an :class:`ExportFileError` (nothing is imported from it).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_utils.crypto import keccak

from chain import registries
from chain.canonical import NAME, TEXT_FIELDS, TextField, TextRejected, clean_text
from chain.domain import Label, Project, Purpose
from chain.errors import ConfigurationError, RowRejected
from chain.importer.layout_spec import Columns, Derived, Layout, RowValues, parse_date
from chain.importer.layouts import LAYOUTS
from chain.importer.model import (
    BlockStatus,
    FileKind,
    RegistryBlock,
    RegistryRetirement,
    RowRef,
    RowRejection,
)
from chain.registries import SerialFormatError


class ExportFileError(ConfigurationError):
    """An export file cannot be read at all (path, encoding, header); names file and column."""


# ---------------------------------------------------------------------------- one row

_OPTIONAL_BENEFICIARY = TextField("beneficiary", NAME, False)


def _date(row: RowValues, columns: Columns, what: str) -> dt.date | None:
    column, text = row.first(columns)
    if not text:
        return None
    value = parse_date(text)
    if value is None:
        raise RowRejected(f"{what} column {column!r} is not a date: {text!r}")
    return value


_PERIOD = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\s*/\s*([0-9]{4}-[0-9]{2}-[0-9]{2})")


def _vintage(layout: Layout, row: RowValues) -> tuple[dt.date, dt.date]:
    if layout.vintage_period:
        column, text = row.first(layout.vintage_period)
        m = _PERIOD.fullmatch(text)
        start = parse_date(m[1]) if m else None
        end = parse_date(m[2]) if m else None
        if start is None or end is None:
            raise RowRejected(
                f"vintage column {column!r} is not a period 'YYYY-MM-DD / YYYY-MM-DD': {text!r}"
            )
        if start > end:
            raise RowRejected(f"vintage column {column!r} starts after it ends: {text!r}")
        return start, end
    if layout.vintage_start and layout.vintage_end:
        start = _date(row, layout.vintage_start, "vintage start")
        end = _date(row, layout.vintage_end, "vintage end")
        if start is None or end is None:
            raise RowRejected(
                f"the vintage columns {layout.vintage_start + layout.vintage_end} are empty"
            )
        return start, end
    column, text = row.first(layout.vintage_year)
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) and parse_date(text) is not None:
        text = text[:4]  # a vintage given as a date (EcoRegistry's retirements): its year
    if not re.fullmatch(r"[0-9]{4}", text):
        raise RowRejected(f"vintage column {column!r} is not a year: {text!r}")
    year = int(text)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _labels(layout: Layout, row: RowValues) -> Label:
    labels = Label.NONE
    for rule in layout.labels:
        if rule.applies(row):
            labels |= rule.label
    return labels


def _text(columns: Columns, value: str, rule: TextField, what: str) -> str:
    """``value`` as the ledger will hold it (``chain.canonical.clean_text``), or the row's
    rejection naming the column(s) it was read from: a control character, a line separator,
    a bidi override, or more bytes than the field holds."""
    try:
        return clean_text(value, rule)
    except TextRejected as exc:
        if not columns:
            raise RowRejected(f"{what} {exc}") from None
        shown = " + ".join(repr(c) for c in columns)
        plural = "s" if len(columns) > 1 else ""
        raise RowRejected(f"{what} (column{plural} {shown}) {exc}") from None


def _column_text(row: RowValues, columns: Columns, rule: TextField, what: str) -> str:
    """The first of ``columns`` with a value, cleaned by ``_text`` (rejections name it)."""
    column, value = row.first(columns)
    return _text((column,) if column else (), value, rule, what)


def _retirement(layout: Layout, row: RowValues) -> RegistryRetirement:
    purpose = layout.purpose.purpose(row) if layout.purpose else Purpose.VOLUNTARY
    if not isinstance(purpose, Purpose):
        raise RowRejected(purpose)
    retired_on = _date(row, layout.date, "retirement date")
    if retired_on is None and layout.date:
        raise RowRejected(
            f"retired at the registry, but the date column {layout.date[0]!r} is empty"
        )
    # The note joins these columns: each is checked on its own first, so a character the
    # ledger refuses is blamed on its column; then the whole, whose length is the ledger's.
    noted = tuple(c for c in layout.note if row.get(c))
    for column in noted:
        _text((column,), row.get(column), TEXT_FIELDS["note"], "note")
    return RegistryRetirement(
        # Registries do not always record a beneficiary; the mirrored retirement then has none.
        beneficiary=_column_text(row, layout.beneficiary, _OPTIONAL_BENEFICIARY, "beneficiary"),
        purpose=purpose,
        note=_text(noted, row.joined(layout.note), TEXT_FIELDS["note"], "note"),
        retired_on=retired_on,
    )


def _cancel_reason(layout: Layout, row: RowValues) -> str:
    column, reason = row.first(layout.cancel_reason)
    if not reason:
        column, when = row.first(layout.date) if layout.date else ("", "")
        reason = f"cancelled at the {layout.title} registry" + (
            f" (effective {when})" if when else ""
        )
    where = (column,) if column else ()
    return _text(where, reason, TEXT_FIELDS["reason"], "cancellation reason")


def _project(layout: Layout, row: RowValues, project_id: str) -> Project:
    """The row's project, its texts as the ledger will hold them (the name may be empty here:
    the plan needs one only to register a project the ledger does not have yet)."""
    name, country, methodology, project_type = (
        _column_text(row, columns, rule, what)
        for columns, rule, what in (
            (layout.project_name, TextField("name", NAME, False), "project name"),
            (layout.country, TEXT_FIELDS["country"], "project country"),
            (layout.methodology, TEXT_FIELDS["methodology"], "project methodology"),
            (layout.project_type, TEXT_FIELDS["projectType"], "project type"),
        )
    )
    return Project(project_id, name, country, methodology, project_type)


def metadata_hash(layout: Layout, row: RowValues, block: dict[str, object]) -> bytes:
    """keccak256 of the block's canonical metadata JSON (sorted keys, no spaces, UTF-8): the
    registry, the serial as written, project, vintage, labels, reference, and the layout's
    ``metadata`` columns (docs/IMPORT.md)."""
    document = dict(block, registry=layout.registry)
    document["columns"] = {c: row.get(c) for c in layout.metadata if c in row.raw}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return keccak(text.encode("utf-8"))


def _project_id(layout: Layout, row: RowValues, parsed: registries.ParsedSerial) -> str:
    """The project id: the serial's, or else the layout's project id column, canonical."""
    if parsed.project is not None or not layout.project_id:
        return parsed.project or ""
    column, text = row.first(layout.project_id)
    try:
        return registries.canonical_project(parsed.program, text)
    except TextRejected as exc:
        raise RowRejected(f"project id column {column!r}: {exc}") from None


def read_row(
    layout: Layout, raw: Mapping[str, str | None], ref: RowRef, derived: Derived | None = None
) -> RegistryBlock | RowRejection:
    """One data row → its block, or the reason it yields none (``derived``: the block a
    layout's ``derive`` built from the row, instead of its serial column)."""
    row = RowValues(raw)
    if derived is not None:
        serial = derived.text
    else:
        serial = row.first(layout.serial)[1] if layout.serial else ""
    try:
        if None in raw or any(v is None for v in raw.values()):
            raise RowRejected("the row's number of fields differs from the header's")
        if not layout.serial:
            raise RowRejected(f"not bridgeable: {layout.not_bridgeable}")
        try:
            parsed = registries.parse(layout.registry, serial, {k: v or "" for k, v in raw.items()})
        except SerialFormatError as exc:
            raise RowRejected(exc.reason) from None
        status = layout.status.status(row)
        if not isinstance(status, BlockStatus):
            raise RowRejected(status)
        start, end = _vintage(layout, row)
        labels = _labels(layout, row)
        project = _project(layout, row, _project_id(layout, row, parsed))
        retirement = _retirement(layout, row) if status is BlockStatus.RETIRED else None
        reason = _cancel_reason(layout, row) if status is BlockStatus.CANCELLED else ""
    except RowRejected as exc:
        return RowRejection(ref, serial, exc.reason)
    description: dict[str, object] = {
        "serial": serial,
        "program": parsed.program,
        "namespace": parsed.namespace,
        "first": parsed.first,
        "last": parsed.last,
        "project": dict(
            zip(("id", "name", "country", "methodology", "type"), project.as_abi(), strict=True)
        ),
        "vintage": [start.isoformat(), end.isoformat()],
        "labels": int(labels),
        "reference": parsed.reference or "",
    }
    if derived is not None and derived.buffer:
        description["buffer"] = True
    return RegistryBlock(
        source=ref,
        serial=parsed,
        text=serial,
        project=project,
        vintage_start=start,
        vintage_end=end,
        labels=labels,
        status=status,
        retirement=retirement,
        cancel_reason=reason,
        metadata_hash=metadata_hash(layout, row, description),
        home_project=_home_project(layout, row, parsed.program),
        buffer=derived.buffer if derived is not None else False,
    )


def _home_project(layout: Layout, row: RowValues, program: str) -> str:
    """For a block of another programme than the export's own (a CDM CER in the Gold
    Standard's export), the row's project under the export's programme (GSID), canonical;
    "" for the export's own blocks, or where the row names none (a link is then not known)."""
    home = registries.adapters_for(layout.registry)[0]
    if program == home.program or not home.row.project:
        return ""
    _, value = row.first(home.row.project)
    try:
        return registries.canonical_project(home.program, (value or "").strip())
    except TextRejected:
        return ""


# ---------------------------------------------------------------------------- files


@dataclass(frozen=True)
class ExportFile:
    """One export file, read: its layout and, per data row in order, a block or a rejection."""

    path: Path
    name: str
    layout: Layout
    rows: tuple[RegistryBlock | RowRejection, ...]

    @property
    def blocks(self) -> list[RegistryBlock]:
        return [r for r in self.rows if isinstance(r, RegistryBlock)]

    @property
    def rejections(self) -> list[RowRejection]:
        return [r for r in self.rows if isinstance(r, RowRejection)]


def _records(path: Path) -> tuple[list[str], Iterator[dict[str, str | None]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ExportFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ExportFileError(f"{path}: is a directory, not an export file") from None
    except OSError as exc:
        raise ExportFileError(f"{path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ExportFileError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the export as UTF-8 CSV"
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = list(reader.fieldnames or [])
    except csv.Error as exc:
        raise ExportFileError(f"{path}: the header is not valid CSV ({exc})") from None
    if not header:
        raise ExportFileError(f"{path}: the file is empty (no header row)")
    return header, iter(reader)


def layout_for(registry: str, kind: FileKind) -> Layout:
    try:
        return LAYOUTS[registry, kind]
    except KeyError:
        raise ConfigurationError(f"no {kind.value} layout for registry {registry!r}") from None


def detect_kind(registry: str, header: Sequence[str]) -> FileKind | None:
    """Which of the registry's export kinds a header belongs to (``None``: none fits)."""
    for (key, kind), layout in LAYOUTS.items():
        if key == registry and layout.matches(header):
            return kind
    return None


def read_header(path: Path) -> list[str]:
    return _records(path)[0]


def read_export(
    registry: str, kind: FileKind | None, path: Path, *, name: str | None = None
) -> ExportFile:
    """Read one export of ``registry`` (``kind=None``: tell the kind from the header)."""
    header, records = _records(path)
    if kind is None:
        kind = detect_kind(registry, header)
        if kind is None:
            raise ExportFileError(
                f"{path}: the header matches none of the {registry} export layouts"
            )
    layout = layout_for(registry, kind)
    missing = layout.missing_columns(header)
    if missing:
        wanted = " or ".join(repr(c) for c in missing[0])
        raise ExportFileError(
            f"{path}: the header has no column {wanted} (the {layout.title} {kind.value} "
            f"export layout needs it)"
        )
    shown = name or str(path)
    rows: list[RegistryBlock | RowRejection] = []
    raws: list[tuple[RowRef, dict[str, str | None]]] = []
    broken: RowRejection | None = None
    number = 1
    while True:
        number += 1
        try:
            raw = next(records)
        except StopIteration:
            break
        except csv.Error as exc:
            broken = RowRejection(RowRef(shown, number, kind), "", f"not valid CSV: {exc}")
            break
        raws.append((RowRef(shown, number, kind), raw))
    if layout.derive is None:
        rows = [read_row(layout, raw, ref) for ref, raw in raws]
    else:
        rows = _derived_rows(layout, raws)
    if kind is not FileKind.ISSUANCES:
        rows = _without_overlaps(rows)
    if broken is not None:
        rows.append(broken)
    return ExportFile(path, shown, layout, tuple(rows))


def _without_overlaps(
    rows: Sequence[RegistryBlock | RowRejection],
) -> list[RegistryBlock | RowRejection]:
    """A retirement or cancellation file names each serial at most once: a block overlapping
    an earlier row's block of the same namespace (the registry retiring units twice) is
    rejected, naming that row; the earlier row stands."""
    taken: dict[tuple[str, str], list[tuple[int, int, RegistryBlock]]] = {}
    out: list[RegistryBlock | RowRejection] = []
    for row in rows:
        if isinstance(row, RowRejection):
            out.append(row)
            continue
        spans = taken.setdefault((row.program, row.namespace), [])
        at = bisect.bisect(spans, (row.first, row.last))
        clash = next(
            (
                span[2]
                for span in spans[max(at - 1, 0) : at + 1]
                if span[0] <= row.last and row.first <= span[1]
            ),
            None,
        )
        if clash is not None:
            low, high = max(row.first, clash.first), min(row.last, clash.last)
            out.append(
                RowRejection(
                    row.source,
                    row.text,
                    f"serials {low}..{high} are also in row {clash.source.row} of this file "
                    f"({clash.text}); a registry records each serial once",
                )
            )
            continue
        spans.insert(at, (row.first, row.last, row))
        out.append(row)
    return out


def _derived_rows(
    layout: Layout, raws: Sequence[tuple[RowRef, Mapping[str, str | None]]]
) -> list[RegistryBlock | RowRejection]:
    """Rows of a layout whose blocks are derived: each row's blocks, in file order."""
    assert layout.derive is not None
    outcomes = layout.derive([RowValues(raw) for _, raw in raws])
    rows: list[RegistryBlock | RowRejection] = []
    for (ref, raw), outcome in zip(raws, outcomes, strict=True):
        if isinstance(outcome, str):
            shown = RowValues(raw).first(layout.serial)[1] if layout.serial else ""
            rows.append(RowRejection(ref, shown, outcome))
            continue
        rows.extend(read_row(layout, raw, ref, part) for part in outcome)
    return rows
