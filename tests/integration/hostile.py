"""Adversarial values for every kind of field the ledger takes: text as arbitrary bytes or
built from hostile code points and invalid UTF-8 around every byte limit of
``chain.canonical``, identifiers in every non-canonical spelling, programme codes, serials
from 0 through 2^64 - 1, quantities up to and past 2^32 - 1, dates at every calendar
boundary, and labels with unknown bits.

Each strategy mostly draws values the contract accepts (exotic but canonical: CJK, RTL
scripts, emoji, zero-width characters, byte-exact limits), so operations get through and
their values reach the stores, and otherwise values it must refuse.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from chain.canonical import FIRST_YEAR, IDENTIFIER, MAX_BATCH_QUANTITY, MAX_SERIAL, PROGRAM_CODE

U64_MAX = 2**64 - 1

# ---------------------------------------------------------------- text

ACCEPTED_EXOTIC = (
    "北京办事处",
    "\u00a0",  # no-break space (invisible, allowed)
    "\u00ad",  # soft hyphen
    "\u034f",  # combining grapheme joiner
    "\u0301",  # combining acute accent
    "\u061c",  # Arabic letter mark (invisible, not a bidi override)
    "\u200b",  # zero-width space
    "\u200c",
    "\u200d",  # zero-width joiner
    "\u200e",  # left-to-right mark (a mark, not an embedding: allowed)
    "\u200f",
    "\u2060",  # word joiner
    "\u3000",  # ideographic space
    "\ufeff",  # byte-order mark
    "\ufffd",  # replacement character
    "\uffff",  # a noncharacter, yet valid UTF-8
    "\ue000",  # private use
    "\U0010ffff",  # the last code point
    "\U0001f600",  # 4-byte emoji
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # a ZWJ family
    "\U0001f1e8\U0001f1ed",  # a flag (regional indicators)
    "二酸化炭素",
    "עמותה",  # Hebrew (right to left)
    "جمعية خيرية",  # Arabic (right to left)
    "Ärzte ohne Grenzen",
    "e\u0301",  # decomposed: NFC would change it, the ledger must not
    "Ω",
    "ß",
    "İ",  # lower() grows it
    "<script>alert(1)</script>",
    "&amp;&lt;&#0;",
    "{0}{name}%s%%",
    "' OR '1'='1",
    '"\\"',
    "\\u0000",  # the six characters, not NUL
    "null",
    " leading and trailing ",
)
"""Characters and snippets the contract accepts in text (given something visible)."""

REFUSED_POINTS = (
    "\x00",  # NUL
    "\x01",
    "\t",
    "\n",
    "\r",
    "\x1b",
    "\x1f",
    "\x7f",  # DEL
    "\x80",  # C1
    "\x85",  # next line
    "\x9f",
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",  # right-to-left override
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",  # pop directional isolate
)
"""Code points the contract refuses anywhere in text."""

INVALID_UTF8 = (
    b"\xc0\x80",  # overlong NUL
    b"\xc1\xbf",  # overlong
    b"\xe0\x80\x80",  # overlong (3 bytes)
    b"\xe0\x9f\xbf",
    b"\xf0\x80\x80\x80",  # overlong (4 bytes)
    b"\xf0\x8f\xbf\xbf",
    b"\xed\xa0\x80",  # a surrogate (U+D800)
    b"\xed\xbf\xbf",  # U+DFFF
    b"\xed\xa0\xbd\xed\xb8\x80",  # a CESU-8 surrogate pair
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
    b"\xf5\x80\x80\x80",
    b"\xff",
    b"\xfe\xff",  # a UTF-16 BOM
    b"\x80",  # a lone continuation byte
    b"\xbf",
    b"\xe4\xb8",  # truncated 3-byte sequence
    b"\xf0\x9f\x98",  # truncated emoji
    b"\xc3",  # truncated at the end
    b"\xc3\x28",  # bad continuation
)
"""Byte sequences that are not UTF-8 (the contract refuses them)."""

_PLAIN = st.characters(
    min_codepoint=0x20,
    max_codepoint=0x10FFFF,
    exclude_categories=("Cs", "Cc"),
    exclude_characters="\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
)


def _fill(limit: int) -> st.SearchStrategy[bytes]:
    """Visible text whose UTF-8 length lands on ``limit`` - 1, ``limit`` or ``limit`` + 1,
    padded with characters of 1, 2, 3 or 4 bytes (so a limit may fall inside a character)."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        pad = draw(st.sampled_from(["a", "é", "中", "\U0001f600", "\u200b"]))
        head = draw(st.sampled_from(["X", "北", "ع", "\U0001f30d"])).encode()
        target = limit + draw(st.sampled_from([-1, 0, 0, 1]))
        body = head
        unit = pad.encode()
        while len(body) + len(unit) <= target:
            body += unit
        return body + b"z" * (target - len(body))

    return build()


def _acceptable(limit: int) -> st.SearchStrategy[bytes]:
    snippet = st.one_of(st.sampled_from(ACCEPTED_EXOTIC), st.text(_PLAIN, min_size=1, max_size=6))
    return st.lists(snippet, min_size=1, max_size=6).map(lambda parts: "".join(parts).encode())


def _hostile(limit: int) -> st.SearchStrategy[bytes]:
    piece = st.one_of(
        st.sampled_from(REFUSED_POINTS).map(str.encode),
        st.sampled_from(INVALID_UTF8),
        st.sampled_from(ACCEPTED_EXOTIC).map(str.encode),
        st.binary(min_size=1, max_size=4),
    )
    return st.one_of(
        st.binary(max_size=limit + 8),
        st.lists(piece, min_size=1, max_size=5).map(b"".join),
        st.sampled_from(["", " ", "\u200b", "\u00a0\u3000", "\ufeff", "\u200d\u200c"]).map(
            str.encode
        ),
        st.integers(limit + 1, limit + 300).map(lambda n: b"A" * n),
    )


def text(limit: int, *, hostile: int = 8) -> st.SearchStrategy[bytes]:
    """Raw bytes for a text field of at most ``limit`` bytes: mostly acceptable (exotic
    characters, byte-exact lengths), ``hostile`` percent of the time anything at all."""
    return st.integers(0, 99).flatmap(
        lambda roll: (
            _acceptable(limit)
            if roll < 92 - hostile
            else (_fill(limit) if roll < 100 - hostile else _hostile(limit))
        )
    )


# ---------------------------------------------------------------- identifiers and codes

_IDENT_CHARS = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_SEPARATORS = st.sampled_from("-_.")


@st.composite
def canonical_identifier(draw: st.DrawFn, max_size: int = IDENTIFIER) -> str:
    """An identifier the contract accepts: alphanumeric runs joined by single separators."""
    if draw(st.integers(0, 9)) == 0:  # exactly at the limit
        core = "A" * (max_size - 2)
        return f"{core}-{draw(_IDENT_CHARS)}"
    runs = draw(st.lists(st.text(_IDENT_CHARS, min_size=1, max_size=8), min_size=1, max_size=5))
    out = runs[0]
    for run in runs[1:]:
        out += draw(_SEPARATORS) + run
    return out[:max_size].rstrip("-_.") or "A"


def numeric_identifier() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["0", "1", "9" * 64, "18446744073709551616"]),
        st.integers(0, 10**18).map(str),
    )


def spoiled(value: str) -> st.SearchStrategy[bytes]:
    """Non-canonical spellings of an identifier: case, whitespace, look-alikes, invisible
    characters, doubled or dangling separators, non-ASCII digits, one byte too long."""
    return st.sampled_from(
        [
            value.lower(),
            f" {value}",
            f"{value} ",
            f"{value}\u200b",
            f"\ufeff{value}",
            value.replace("-", "\u2010") + "\u2010X",
            "\u0405" + value,  # Cyrillic DZE looks like S
            f"{value}--X",
            f"-{value}",
            f"{value}.",
            f"{value}\x00",
            "\uff21" + value,  # fullwidth A
            "\u0661" + value,  # Arabic-Indic one
            "",
            "A" * (IDENTIFIER + 1),
            value + "\t",
            value + "/1",
            "\u00c0" + value,
            "0" + value if value.isdigit() else value + "a",
        ]
    ).map(lambda s: s.encode())


def identifier(pool: list[str], *, numeric: bool = False) -> st.SearchStrategy[bytes]:
    """Mostly a canonical identifier (often one from ``pool``, so they collide), sometimes a
    spoiled spelling of one, sometimes arbitrary bytes."""
    fresh = numeric_identifier() if numeric else canonical_identifier()
    base = st.sampled_from(pool) if pool else fresh
    return st.integers(0, 99).flatmap(
        lambda roll: (
            base.map(str.encode)
            if roll < 45
            else fresh.map(str.encode)
            if roll < 85
            else base.flatmap(spoiled)
            if roll < 97
            else st.binary(max_size=70)
        )
    )


def program_code() -> st.SearchStrategy[bytes]:
    """A ``bytes32`` programme code: mostly canonical, sometimes not."""
    good = st.one_of(
        st.sampled_from(["VCS", "GS", "CDM", "ACR", "CAR", "ART", "CCER", "JCREDIT"]),
        st.builds(
            lambda head, tail: head + tail,
            st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            st.text(_IDENT_CHARS, max_size=PROGRAM_CODE - 1),
        ),
    ).map(lambda code: code.encode().ljust(32, b"\0"))
    bad = st.sampled_from(
        [
            b"vcs",
            b"1VCS",
            b"VC S",
            b"VCS-1",
            b"VCS\0X",
            b"A" * (PROGRAM_CODE + 1),
            b"",
            b"\xc3\x84VCS",
        ]
    ).map(lambda code: code.ljust(32, b"\0"))
    return st.one_of(good, good, good, bad, st.binary(min_size=32, max_size=32))


# ---------------------------------------------------------------- numbers and dates

BOUNDARY_SERIALS = (
    0,
    1,
    2,
    2**31 - 1,
    2**32 - 2,
    2**32 - 1,
    2**32,
    2**32 + 1,
    2**53 - 1,
    2**53,
    2**53 + 1,
    2**62,
    MAX_SERIAL - MAX_BATCH_QUANTITY + 1,
    MAX_SERIAL - 1,
    MAX_SERIAL,
    MAX_SERIAL + 1,  # 2^63 - 1: the largest signed 64-bit value, refused
    2**63,
    U64_MAX - 1,
    U64_MAX,
)

QUANTITIES = (1, 1, 2, 3, 10, 1000, 2**31, MAX_BATCH_QUANTITY - 1, MAX_BATCH_QUANTITY)
OVERSIZED = (MAX_BATCH_QUANTITY + 1, 2**33, 2**63)


def serial() -> st.SearchStrategy[int]:
    return st.one_of(
        st.sampled_from(BOUNDARY_SERIALS),
        st.integers(0, 10**7),
        st.integers(0, MAX_SERIAL),
        st.integers(0, U64_MAX),
    )


@st.composite
def serial_range(draw: st.DrawFn) -> tuple[int, int]:
    """``(first, last)`` for a bridging: mostly within bounds, sometimes at ``MAX_SERIAL``,
    sometimes reversed, too long or past it (clamped to what a ``uint64`` can carry)."""
    roll = draw(st.integers(0, 99))
    quantity = draw(st.sampled_from(QUANTITIES) if roll < 90 else st.sampled_from(OVERSIZED))
    if roll < 15:  # ending exactly at the largest serial
        return max(0, MAX_SERIAL - quantity + 1), MAX_SERIAL
    first = draw(serial())
    if roll >= 96:
        return first, draw(st.integers(0, first)) if first else 0  # last before first, or equal
    return first, min(first + quantity - 1, U64_MAX)


def ymd(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


BAD_DATES = (
    0,
    1,
    18991231,
    19000229,  # 1900 is not a leap year
    20230229,
    20200230,
    20200431,
    20200100,
    20200132,
    20201301,
    20200001,
    99991232,
    100000101,
    2**32 - 1,
)
EDGE_DATES = (19000101, 19001231, 20000229, 20240229, 99991231, 99990101, 20991231)


def date(*, bad: int = 8) -> st.SearchStrategy[int]:
    """A ``YYYYMMDD`` date: real ones from 1900 to 9999 (and their edges), ``bad`` percent of
    the time one the calendar does not have."""
    real = st.one_of(
        st.sampled_from(EDGE_DATES),
        st.dates(dt.date(FIRST_YEAR, 1, 1), dt.date(9999, 12, 31)).map(ymd),
    )
    return st.integers(0, 99).flatmap(
        lambda roll: real if roll < 100 - bad else st.sampled_from(BAD_DATES)
    )


def labels() -> st.SearchStrategy[int]:
    """Label bits: mostly the four known ones, sometimes unknown bits."""
    return st.integers(0, 99).flatmap(
        lambda roll: st.integers(0, 15) if roll < 93 else st.sampled_from([16, 0x8000, 0xFFFF, 17])
    )


def deadline(now: int) -> st.SearchStrategy[int]:
    """A signature deadline: mostly in the future (up to 2^256 - 1), sometimes past."""
    return st.one_of(
        st.just(now + 3600),
        st.just(2**256 - 1),
        # An offset, not a bound: a draw's constraints must not change with the clock.
        st.integers(60, 2**64).map(lambda offset: now + offset),
        st.sampled_from([0, now - 3600]),
    )
