"""Serial blocks of registries that do not write a serial range in one column.

- **Cercarbono** (EcoRegistry): an issuance row names its serial and ``issued_quantity``
  (units ``1..issued_quantity`` of the serial); a retirement row names the serial and the
  ``from``-``to`` units it retires. ``is_buffer`` marks the buffer pool's serial.
- **Isometric**: no serial numbers at all. An issuance ``iss_X`` is kg ``1..S`` (supplier
  share) then ``S+1..S+B`` (buffer pool share); a retirement of ``K`` kg from issuance ``X``
  takes the next ``K`` kg of it, retirements taken in (``retired_at``, id) order over the file.
  The rules are docs/IMPORT.md's; they make a re-import derive the same serials.

Each function maps a file's rows to, per row, its :class:`Derived` blocks or the reason the
row yields none (never an exception: one bad row does not stop the file).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from chain.errors import RowRejected
from chain.importer.layout_spec import Derived, RowValues, parse_date
from chain.registries import MAX_SERIAL

_WHOLE = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+")
_CREDITS = re.compile(r"[0-9]+(?:\.[0-9]{1,3})?")
_ISOMETRIC_ID = re.compile(r"(iss|ret|prj)_[0-9A-Z]+")
_FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

ISOMETRIC_PURPOSES = (
    "corporate_targets",
    "public_environmental_claims",
    "regulatory_requirement",
    "other",
)
"""The retirement purposes the Isometric Registry API lists (``purposes`` enum)."""


def _whole(row: RowValues, column: str, *, positive: bool = True) -> int:
    text = row.get(column)
    if not _WHOLE.fullmatch(text):
        shown = text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"
        raise RowRejected(f"column {column!r} is not a whole number: {shown!r}")
    digits = text.replace(",", "")
    # Compare lengths first: int() of a huge digit string is slow or refused outright.
    if len(digits) > len(str(MAX_SERIAL)) or int(digits) > MAX_SERIAL:
        shown = digits if len(digits) <= 40 else f"{digits[:20]}...({len(digits)} digits)"
        raise RowRejected(
            f"column {column!r} = {shown} exceeds the largest accepted number {MAX_SERIAL}"
        )
    value = int(digits)
    if positive and value < 1:
        raise RowRejected(f"column {column!r} must be at least 1, found {value}")
    return value


def _kg(row: RowValues, prefix: str) -> int:
    """``<prefix>.credit_kgs``, checked against ``<prefix>.credits`` (tonnes, 3 decimals)."""
    kgs = _whole(row, f"{prefix}.credit_kgs", positive=False)
    column = f"{prefix}.credits"
    text = row.get(column)
    if not _CREDITS.fullmatch(text) or len(text) > 2 * len(str(MAX_SERIAL)):
        shown = text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"
        raise RowRejected(
            f"column {column!r} is not a number of credits with at most three decimals: {shown!r}"
        )
    try:
        credits = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise RowRejected(f"column {column!r} is not a number: {text!r}") from None
    if credits * 1000 != kgs:
        raise RowRejected(
            f"kg column '{prefix}.credit_kgs' = {kgs} does not match {column!r} = {text} "
            f"(credits x 1000 = {credits * 1000:f})"
        )
    return kgs


def _isometric_id(row: RowValues, column: str, kind: str) -> str:
    text = row.get(column)
    m = _ISOMETRIC_ID.fullmatch(text)
    if m is None or m[1] != kind:
        raise RowRejected(f"column {column!r} is not an Isometric {kind}_ id: {text!r}")
    return text[len(kind) + 1 :]


def cercarbono_issuances(rows: Sequence[RowValues]) -> list[list[Derived] | str]:
    """``serial`` with units ``1..issued_quantity``; ``is_buffer`` marks the buffer's."""
    out: list[list[Derived] | str] = []
    for row in rows:
        try:
            serial = row.get("serial")
            quantity = _whole(row, "issued_quantity")
            flag = row.get("is_buffer").casefold()
            if flag not in _FLAGS:
                raise RowRejected(
                    f"column 'is_buffer' is not true or false: {row.get('is_buffer')!r}"
                )
            out.append([Derived(f"{serial} 1-{quantity}", buffer=_FLAGS[flag])])
        except RowRejected as exc:
            out.append(exc.reason)
    return out


def cercarbono_retirements(rows: Sequence[RowValues]) -> list[list[Derived] | str]:
    """``serial`` with the units ``from``..``to`` (``quantity`` is checked by the adapter)."""
    out: list[list[Derived] | str] = []
    for row in rows:
        try:
            first, last = _whole(row, "from"), _whole(row, "to")
            if first > last:
                raise RowRejected(f"column 'from' = {first} is greater than column 'to' = {last}")
            out.append([Derived(f"{row.get('serial')} {first}-{last}")])
        except RowRejected as exc:
            out.append(exc.reason)
    return out


def isometric_issuances(rows: Sequence[RowValues]) -> list[list[Derived] | str]:
    """Per issuance: kg ``1..S`` (supplier), then ``S+1..S+B`` (buffer pool)."""
    out: list[list[Derived] | str] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        try:
            issuance = _isometric_id(row, "id", "iss")
            if issuance in seen:
                raise RowRejected(
                    f"issuance iss_{issuance} is listed twice (also data row {seen[issuance] + 1})"
                )
            supplier = _kg(row, "supplier_credit_batch_size_total")
            buffer = _kg(row, "buffer_pool_credit_batch_size_total")
            if supplier + buffer == 0:
                raise RowRejected("the issuance holds no kg (supplier and buffer pool are both 0)")
            seen[issuance] = index
            parts = []
            if supplier:
                parts.append(Derived(f"iss_{issuance}:1-{supplier}"))
            if buffer:
                parts.append(
                    Derived(f"iss_{issuance}:{supplier + 1}-{supplier + buffer}", buffer=True)
                )
            out.append(parts)
        except RowRejected as exc:
            out.append(exc.reason)
    return out


def _purposes(row: RowValues) -> None:
    text = row.get("purposes")
    values = [v for v in re.split(r"[;,|\s]+", text) if v]
    if not values:
        raise RowRejected("column 'purposes' is empty (Isometric requires at least one purpose)")
    for value in values:
        if value not in ISOMETRIC_PURPOSES:
            known = ", ".join(ISOMETRIC_PURPOSES)
            raise RowRejected(
                f"unknown retirement purpose {value!r} in column 'purposes' (known: {known})"
            )


def _instant(row: RowValues) -> dt.date:
    text = row.get("retired_at")
    day = parse_date(text)
    if day is None:
        raise RowRejected(f"retirement date column 'retired_at' is not a date: {text!r}")
    return day


def isometric_retirements(rows: Sequence[RowValues]) -> list[list[Derived] | str]:
    """The next kg of each issuance, retirements in (``retired_at``, id, row) order."""
    out: list[list[Derived] | str] = []
    valid: list[tuple[str, str, int, str, int]] = []  # retired_at, ret, index, issuance, kg
    seen: dict[tuple[str, str], int] = {}
    for index, row in enumerate(rows):
        try:
            retirement = _isometric_id(row, "id", "ret")
            issuance = _isometric_id(row, "issuance_id", "iss")
            key = (retirement, issuance)
            if key in seen:
                raise RowRejected(
                    f"retirement ret_{retirement} of issuance iss_{issuance} is listed twice "
                    f"(also data row {seen[key] + 1})"
                )
            kg = _kg(row, "credit_batch_size_total")
            if kg == 0:
                raise RowRejected("the retirement holds no kg")
            _instant(row)
            _purposes(row)
            seen[key] = index
            valid.append((row.get("retired_at"), retirement, index, issuance, kg))
            out.append([])
        except RowRejected as exc:
            out.append(exc.reason)
    cursor: dict[str, int] = {}
    for _, _, index, issuance, kg in sorted(valid, key=_order):
        first = cursor.get(issuance, 1)
        cursor[issuance] = first + kg
        out[index] = [Derived(f"iss_{issuance}:{first}-{first + kg - 1}")]
    return out


def _order(item: tuple[str, str, int, str, int]) -> tuple[str, str, int]:
    # ISO 8601 UTC instants as Isometric writes them (``...Z``) sort as text.
    return item[0], item[1], item[2]
