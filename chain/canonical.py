"""What the ledger accepts: the one Python definition of every identifier, text and number rule.

The contract enforces these rules (``contracts/CanonicalText.sol`` and ``Limits`` in
``contracts/CreditTypes.sol``); this module mirrors them exactly, so every layer that prepares
a transaction (the registry adapters, the importer, the custodial and the signed API paths)
refuses exactly what the contract would, with a reason, before anything is sent. A property
test holds the two definitions together byte for byte (``tests/chain/test_canonical.py``).

Two levels:

- **On-chain rules** (``text_problem``, ``identifier_problem``, ``is_program_code``,
  ``is_date``): what the contract accepts. Every store holds every value they accept exactly.
- **Hygiene** (``clean_text``): what people may write through the API and the importer. It
  normalises first (Unicode NFC, surrounding whitespace trimmed), then applies the on-chain
  rule, so a 422 or a rejected row names the field before the contract ever sees it.

A third part, **display** (``display_runs``, ``visible_text``), says what a reader is shown of
*any* stored text, whether or not these rules accepted it: which characters must appear as a
visible escape rather than be obeyed or hidden (docs/PAGES.md, "Chain text").

docs/ARCHITECTURE.md ("Canonical identity and bounds") lists every rule and where it is
enforced.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from chain.domain import int_to_date
from chain.errors import CarbonLedgerError

MAX_SERIAL: Final = 2**63 - 2
"""Largest serial number: fits a signed 64-bit SQL column, and so does ``last + 1``."""
MAX_BATCH_QUANTITY: Final = 2**32 - 1
"""Largest number of serials one bridged range (one batch) may hold."""
PROGRAM_CODE: Final = 16
"""Longest programme code, in bytes."""
IDENTIFIER: Final = 64
"""Longest identifier (namespace, project id), in bytes."""
REFERENCE: Final = 128
"""Longest registry reference, in bytes."""
SHORT_TEXT: Final = 64
"""Longest short text (country, jurisdiction), in bytes."""
NAME: Final = 256
"""Longest name (project name, methodology, project type, beneficiary), in bytes."""
NOTE: Final = 2048
"""Longest note (retirement note, cancellation reason), in bytes."""
FIRST_YEAR: Final = 1900
"""Earliest year of any date the ledger records."""


@dataclass(frozen=True)
class TextField:
    """One text field the contract checks: its name there, byte limit, and whether required."""

    name: str
    limit: int
    required: bool


TEXT_FIELDS: Final = {
    field.name: field
    for field in (
        TextField("name", NAME, True),
        TextField("country", SHORT_TEXT, False),
        TextField("methodology", NAME, False),
        TextField("projectType", NAME, False),
        TextField("registryReference", REFERENCE, False),
        TextField("beneficiary", NAME, True),  # optional in a registry's mirrored retirement
        TextField("jurisdiction", SHORT_TEXT, False),
        TextField("note", NOTE, False),
        TextField("reason", NOTE, True),
        TextField("symbol", SHORT_TEXT, True),  # a pool's ERC-20 symbol
    )
}
"""Every text field the contract checks, by the name its errors carry. A detokenisation's
``registryReference`` is required (see ``DETOKENISE_REFERENCE``); a bridging's is not."""

DETOKENISE_REFERENCE: Final = TextField("registryReference", REFERENCE, True)


class TextRejected(CarbonLedgerError, ValueError):
    """A text or identifier is not acceptable; the message says why (pydantic shows it)."""


# ---------------------------------------------------------------- the on-chain rules

_SEPARATORS: Final = frozenset(b"-_.")
_ALNUM: Final = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

_INVISIBLE_LOW: Final = frozenset(
    (0xA0, 0xAD, 0x34F, 0x61C, 0x115F, 0x1160, 0x1680, 0x180E),
)


def _forbidden(point: int) -> bool:
    """C0 and C1 controls and DEL, line/paragraph separators, bidi embeddings/overrides/isolates."""
    return (
        point < 0x20
        or 0x7F <= point <= 0x9F
        or point in (0x2028, 0x2029)
        or 0x202A <= point <= 0x202E
        or 0x2066 <= point <= 0x2069
    )


def _invisible(point: int) -> bool:
    """Spaces and characters that show nothing on their own (a text of only these is blank)."""
    if point < 0x2000:
        return point == 0x20 or point in _INVISIBLE_LOW
    return (
        point <= 0x200F
        or point == 0x202F
        or 0x205F <= point <= 0x2064
        or point in (0x3000, 0x3164, 0xFEFF, 0xFFA0)
    )


def scan_text(raw: bytes) -> tuple[int | None, bool]:
    """The contract's ``CanonicalText.scan``: the offset of the first byte that makes ``raw``
    unacceptable (``None`` if none), and whether a visible character came before it.

    Unacceptable: invalid UTF-8 (overlong forms, surrogates, beyond U+10FFFF, truncated), and
    the characters ``_forbidden`` names. Python's strict UTF-8 decoder is the reference for
    validity, applied one sequence at a time so the offset is the contract's.
    """
    visible = False
    i = 0
    length = len(raw)
    while i < length:
        c = raw[i]
        if c < 0x80:
            if c < 0x20 or c == 0x7F:
                return i, visible
            visible = visible or c != 0x20
            i += 1
            continue
        if 0xC2 <= c <= 0xDF:
            size = 2
        elif 0xE0 <= c <= 0xEF:
            size = 3
        elif 0xF0 <= c <= 0xF4:
            size = 4
        else:
            return i, visible
        try:
            point = ord(raw[i : i + size].decode("utf-8"))
        except (UnicodeDecodeError, TypeError):
            return i, visible  # truncated, a bad continuation, overlong, surrogate or too large
        if _forbidden(point):
            return i, visible
        visible = visible or not _invisible(point)
        i += size
    return None, visible


def text_problem(value: str | bytes, limit: int, *, required: bool) -> str | None:
    """Why the contract would refuse ``value`` as text of at most ``limit`` bytes (``None`` if
    it would not): the same three cases as its ``TextTooLong``, ``TextNotAllowed`` and
    ``TextBlank`` errors, in that order. Text must hold a visible character, or be empty where
    not ``required``."""
    raw = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
    if len(raw) > limit:
        return f"is {len(raw)} bytes long; at most {limit} are allowed"
    bad, visible = scan_text(raw)
    if bad is not None:
        return f"{_describe(raw, bad)} is not allowed (byte {bad})"
    if not visible and (required or raw):
        return "is blank: it holds no visible character"
    return None


def _describe(raw: bytes, offset: int) -> str:
    """What sits at ``offset``: a named character, or "invalid UTF-8"."""
    for size in (1, 2, 3, 4):
        try:
            char = raw[offset : offset + size].decode("utf-8")
        except UnicodeDecodeError:
            continue
        point = ord(char)
        name = unicodedata.name(char, "")
        if point < 0x20 or 0x7F <= point <= 0x9F:
            return f"the control character U+{point:04X}"
        return f"U+{point:04X} {name}".rstrip()
    return "invalid UTF-8"


def identifier_problem(value: str, limit: int = IDENTIFIER, *, numeric: bool = False) -> str | None:
    """Why the contract would refuse ``value`` as an identifier (``None`` if it would not)."""
    raw = value.encode("utf-8", "surrogatepass")
    if not raw:
        return "is empty"
    if len(raw) > limit:
        return f"is {len(raw)} bytes long; at most {limit} are allowed"
    if numeric:
        if not raw.isdigit() or not raw.isascii():
            return "must be a decimal number"
        if len(raw) > 1 and raw[0] == ord("0"):
            return "must not have leading zeros"
        return None
    after_separator = True
    for i, byte in enumerate(raw):
        if byte in _ALNUM:
            after_separator = False
        elif byte in _SEPARATORS:
            if after_separator:
                where = "start with" if i == 0 else "hold two in a row of"
                return f"must not {where} the separators '-', '_', '.'"
            after_separator = True
        else:
            return (
                f"holds {_describe(raw, i)}; only A-Z, 0-9 and single '-', '_' or '.' between "
                "them are allowed"
            )
    if after_separator:
        return "must not end with a separator"
    return None


def is_program_code(code: bytes) -> bool:
    """The contract's ``isProgramCode`` over the ``bytes32`` code: 1-16 of A-Z and 0-9,
    starting with a letter, then zero bytes only."""
    text = code.rstrip(b"\0")
    return (
        len(code) == 32
        and 0 < len(text) <= PROGRAM_CODE
        and text[:1].isalpha()
        and all(b in _ALNUM for b in text)
    )


def program_code_problem(code: str) -> str | None:
    """Why ``code`` is not a canonical programme code (``None`` if it is)."""
    raw = code.encode("utf-8", "surrogatepass")
    if not 0 < len(raw) <= PROGRAM_CODE:
        return f"must be 1 to {PROGRAM_CODE} characters"
    if not is_program_code(raw.ljust(32, b"\0")):
        return "must be upper-case letters A-Z and digits, starting with a letter"
    return None


def is_date(value: int) -> bool:
    """The contract's ``isDate``: a Gregorian calendar date ``YYYYMMDD`` in 1900-9999."""
    date = int_to_date(value)  # None for 0 and for digits that are no date
    return date is not None and FIRST_YEAR <= date.year <= 9999


# ---------------------------------------------------------------- hygiene (API and importer)


def normalise_text(value: str) -> str:
    """The canonical form of text a person wrote: Unicode NFC, surrounding whitespace trimmed."""
    return unicodedata.normalize("NFC", value).strip()


def clean_text(value: str, field: TextField) -> str:
    """``value`` normalised (``normalise_text``), or ``TextRejected`` saying why the contract
    would refuse it as ``field``: a control character, a line separator or a bidi override
    anywhere, more than the field's bytes, or blank where the field is required."""
    text = normalise_text(value)
    problem = text_problem(text, field.limit, required=field.required)
    if problem is not None:
        raise TextRejected(problem)
    return text


def clean_identifier(value: str, limit: int = IDENTIFIER, *, numeric: bool = False) -> str:
    """``value`` if it is a canonical identifier, else ``TextRejected`` saying why."""
    problem = identifier_problem(value, limit, numeric=numeric)
    if problem is not None:
        raise TextRejected(problem)
    return value


# ---------------------------------------------------------------- display (pages, certificates)
#
# The rules above refuse hostile text for new writes; a reader must still be shown *any* stored
# text truthfully (an older deployment, a future rule change, a registry's retirement mirrored
# with no beneficiary): a page never obeys a control character and never hides a character that
# makes one text look like another. ``api.pages.display`` turns these runs into HTML.

_SPACE_OR_JOINER: Final = frozenset(range(0x2000, 0x200B)) | frozenset(
    (0x20, 0xA0, 0xAD, 0x34F, 0x1680, 0x200C, 0x200D, 0x202F, 0x205F, 0x3000)
)
"""Invisible characters with a job between visible ones: spaces, the soft hyphen, the combining
grapheme joiner and ZWNJ/ZWJ (Persian words, Indic conjuncts, emoji sequences). Kept there;
escaped at either end of a text, where they only make two texts look alike."""

_NOT_SHOWN_AS_THEMSELVES: Final = frozenset(("Cc", "Cf", "Cn", "Co", "Cs"))
"""Controls, format characters, unassigned code points, private use and surrogates: nothing a
reader can see and trust (a format character such as a tag or an interlinear annotation hides
text; an unassigned or private-use one looks different on every system)."""


def _is_variation_selector(point: int) -> bool:
    """Variation selectors and the Mongolian free variation selectors: they pick a glyph for the
    character before them (an emoji's colour form, a Japanese name's ideograph variant)."""
    return 0xFE00 <= point <= 0xFE0F or 0xE0100 <= point <= 0xE01EF or 0x180B <= point <= 0x180F


def display_runs(value: str) -> list[tuple[str, bool]]:
    """``value`` as a reader must be shown it: runs of text to show as they are (``False``) and
    single characters to show as a visible escape (``True``, see ``escape_notation``).

    Escaped wherever they are: what the on-chain rule forbids (controls, DEL, line separators,
    bidi embeddings, overrides and isolates); every invisible character that is neither a space
    nor a joiner (zero-width space, word joiner, BOM, LRM/RLM/ALM, Hangul fillers, …); any other
    format, unassigned, private-use or surrogate code point; a variation selector that does not
    follow a visible character. Escaped at the ends of the text (or in a text with nothing
    visible): spaces and joiners, which are kept between visible characters.
    """
    if value.isascii() and value.isprintable() and value.strip(" ") == value:
        return [(value, False)] if value else []  # most chain text: nothing to escape
    kinds = [_kind(char) for char in value]
    if kinds[0] == kinds[-1] == "visible" and "escape" not in kinds and "modifier" not in kinds:
        return [(value, False)]  # any space or joiner is between visible characters
    anchors = [i for i, kind in enumerate(kinds) if kind in ("visible", "escape")]
    first, last = (anchors[0], anchors[-1]) if anchors else (len(value), -1)
    runs: list[tuple[str, bool]] = []
    kept = ""
    for i, (char, kind) in enumerate(zip(value, kinds, strict=True)):
        if kind == "between":
            escaped = not first < i < last
        elif kind == "modifier":
            escaped = i == 0 or kinds[i - 1] != "visible"
        else:
            escaped = kind == "escape"
        if escaped:
            if kept:
                runs.append((kept, False))
                kept = ""
            runs.append((char, True))
        else:
            kept += char
    if kept:
        runs.append((kept, False))
    return runs


@lru_cache(maxsize=4096)
def _kind(char: str) -> str:
    """``visible``, ``escape``, ``between`` (a space or joiner) or ``modifier`` (a variation
    selector). Cached: a page classifies the same few hundred characters again and again."""
    point = ord(char)
    if point in _SPACE_OR_JOINER:
        return "between"
    if _is_variation_selector(point):
        return "modifier"
    if (
        _forbidden(point)
        or _invisible(point)
        or unicodedata.category(char) in _NOT_SHOWN_AS_THEMSELVES
    ):
        return "escape"
    return "visible"


def escape_notation(char: str) -> str:
    """How an escaped character is written for a reader: ``U+202E``, the notation of the
    Unicode standard (and of this module's error messages)."""
    return f"U+{ord(char):04X}"


def visible_text(value: str) -> str:
    """``value`` as plain text a reader can trust: each character ``display_runs`` escapes
    written ``<U+202E>`` (HTML shows the escapes boxed instead, ``api.pages.display``)."""
    return "".join(
        f"<{escape_notation(run)}>" if escaped else run for run, escaped in display_runs(value)
    )
