"""CSV that a spreadsheet opens without running anything, and that reads back exactly.

Every exported text cell goes through ``neutralise``: a cell a spreadsheet would take as a
formula gets a leading apostrophe, which spreadsheets show as text and never evaluate. A
formula is a cell whose first character, after any leading spaces or invisible characters,
is ``=``, ``+``, ``-``, ``@``, tab or carriage return (the OWASP "CSV injection" list) or the
full-width form of one of the first four (U+FF1D, U+FF0B, U+FF0D, U+FF20). A cell that
already starts with an apostrophe gets one more, so ``restore`` (strip one leading
apostrophe) is the exact inverse: ``restore(neutralise(v)) == v`` for every text. Numbers
are written as plain integers and never escaped (no exported number is negative). Quoting is
the csv module's (RFC 4180: commas, quotes and line breaks inside quotes, quotes doubled),
so Python's ``csv`` reader gives back exactly the cells written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, TextIO

FORMULA_PREFIXES: Final = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
"""Characters that make a spreadsheet read a cell as a formula when they come first: the
OWASP list, and the full-width forms of the first four (a full-width equals sign starts a
formula in CJK spreadsheets)."""
LEADING_BLANKS: Final = (
    " \u00a0\u1680" + "".join(map(chr, range(0x2000, 0x2010))) + "\u202f\u205f\u3000\ufeff"
)
"""Spaces and invisible characters the ledger accepts and an importer may trim before it
looks at the first character (``" =1+2"`` is a formula once trimmed)."""
ESCAPE: Final = "'"


def formula_like(text: str) -> bool:
    """Whether ``text``, its leading blanks trimmed, starts like a formula."""
    rest = text.lstrip(LEADING_BLANKS)
    return bool(rest) and rest[0] in FORMULA_PREFIXES


Cell = str | int | None


def neutralise(text: str) -> str:
    """``text`` as a cell no spreadsheet evaluates (see the module's docstring)."""
    if text.startswith(ESCAPE) or formula_like(text):
        return ESCAPE + text
    return text


def restore(cell: str) -> str:
    """The text ``neutralise`` was given: one leading apostrophe removed, if any."""
    return cell[1:] if cell.startswith(ESCAPE) else cell


def cell_text(value: Cell) -> str:
    """A value as its CSV cell: ``None`` empty, integers in decimal, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return neutralise(value)


@dataclass
class ExportTable:
    """One exported table: its file name (without ``.csv``), header and rows."""

    name: str
    fields: Sequence[str]
    rows: list[dict[str, Cell]] = field(default_factory=list)

    def add(self, **values: Cell) -> None:
        """Append a row; a field not given is empty, a field not in the header is refused."""
        unknown = set(values) - set(self.fields)
        if unknown:
            raise KeyError(f"{self.name}: no field {sorted(unknown)}")
        self.rows.append(values)

    def write(self, out: TextIO) -> None:
        write_csv(out, self.fields, ([row.get(f) for f in self.fields] for row in self.rows))

    def text(self) -> str:
        buffer = io.StringIO()
        self.write(buffer)
        return buffer.getvalue()


def write_csv(out: TextIO, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
    """Write the header and the rows as RFC 4180 CSV (CRLF line ends, minimal quoting)."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell_text(v) for v in row])
