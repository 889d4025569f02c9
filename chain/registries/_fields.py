"""Kinds of serial parts: what characters a part may absorb, and what exact form it must have.

A kind has a *token* (a regex character run the scanner consumes; it never contains a
separator, so scanning is deterministic) and a *check* of the exact form, which returns the
reason when the text is not acceptable. Splitting the two gives precise reasons: ``0123`` is
read as one number and rejected for its leading zero, rather than failing on a separator.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from chain.canonical import MAX_SERIAL
from chain.errors import ConfigurationError


@dataclass(frozen=True)
class FieldKind:
    """One kind of serial part: ``token`` regex to scan, ``check`` for the exact form;
    ``choices`` lists the allowed values of an enumerated part (empty otherwise)."""

    name: str
    description: str
    token: str
    check: Callable[[str], str | None]
    choices: tuple[str, ...] = ()


def _integer(text: str) -> str | None:
    if len(text) > 1 and text[0] == "0":
        return f"leading zeros are not allowed, found {text!r}"
    # Compare lengths first: int() of a huge digit string is slow or refused outright.
    if len(text) > len(str(MAX_SERIAL)) or int(text) > MAX_SERIAL:
        shown = text if len(text) <= 40 else f"{text[:20]}...({len(text)} digits)"
        return f"{shown} exceeds the largest accepted number {MAX_SERIAL}"
    return None


def _year(text: str) -> str | None:
    if len(text) != 4 or text[0] == "0":
        return f"expected a four-digit year, found {text!r}"
    return None


def _date_dmy(text: str) -> str | None:
    if len(text) != 8:
        return f"expected a date as DDMMYYYY (8 digits), found {text!r}"
    try:
        dt.date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        return f"{text!r} is not a valid DDMMYYYY date"
    return None


def _alpha2(text: str) -> str | None:
    if len(text) != 2 or not text.isupper():
        return f"expected a two-letter upper-case code, found {text!r}"
    return None


def _code(text: str) -> str | None:
    if text != text.upper():
        return f"expected upper-case letters and digits, found {text!r}"
    return None


def parse_date_dmy(text: str) -> dt.date:
    """``"01012020"`` → ``date(2020, 1, 1)`` (the text must already have passed the check)."""
    return dt.date(int(text[4:]), int(text[2:4]), int(text[:2]))


INTEGER = FieldKind("integer", "an unsigned integer without leading zeros", "[0-9]+", _integer)
YEAR = FieldKind("year", "a four-digit year", "[0-9]+", _year)
DATE_DMY = FieldKind("date_dmy", "a date as DDMMYYYY", "[0-9]+", _date_dmy)
ALPHA2 = FieldKind("alpha2", "a two-letter upper-case code", "[A-Za-z]+", _alpha2)
CODE = FieldKind("code", "upper-case letters and digits", "[A-Za-z0-9]+", _code)


def choice(*values: str) -> FieldKind:
    """A part that must be one of ``values`` (letters and digits only)."""
    allowed = tuple(values)
    if not allowed or not all(re.fullmatch("[A-Za-z0-9]+", v) for v in allowed):
        raise ConfigurationError(f"choice values must be letters and digits, got {allowed!r}")
    shown = ", ".join(repr(v) for v in allowed)

    def check(text: str) -> str | None:
        return None if text in allowed else f"expected one of {shown}, found {text!r}"

    return FieldKind("choice", f"one of {shown}", "[A-Za-z0-9]+", check, allowed)


def _uuid(text: str) -> str | None:
    if not re.fullmatch(
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", text
    ):
        return f"expected a UUID (8-4-4-4-12 hexadecimal digits), found {text!r}"
    return None


def _credit_type(text: str) -> str | None:
    if text != text.upper() or text.startswith("+"):
        return f"expected upper-case letters and digits, optionally followed by '+', found {text!r}"
    return None


UUID = FieldKind("uuid", "a UUID", "[0-9A-Fa-f-]+", _uuid)
CREDIT_TYPE = FieldKind(
    "credit_type", "a credit type such as 'CORC100+'", "[A-Za-z0-9+]+", _credit_type
)


def sized_code(length: int) -> FieldKind:
    """Upper-case letters and digits, exactly ``length`` of them (Puro's facility code)."""

    def check(text: str) -> str | None:
        if len(text) != length or text != text.upper():
            return f"expected {length} upper-case letters or digits, found {text!r}"
        return None

    return FieldKind(
        f"code{length}", f"{length} upper-case letters or digits", "[A-Za-z0-9]+", check
    )
