"""``chain.canonical``: the one Python definition of what the ledger accepts, held byte for
byte against the contract's own (``CanonicalText.sol``) on generated values."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.abi import function_signature_to_4byte_selector
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain import canonical
from chain._revert import as_chain_error
from chain.canonical import (
    DETOKENISE_REFERENCE,
    MAX_SERIAL,
    TEXT_FIELDS,
    TextRejected,
    clean_text,
    identifier_problem,
    is_date,
    is_program_code,
    scan_text,
    text_problem,
)
from chain.errors import (
    ContractError,
    InvalidNamespace,
    InvalidProgramCode,
    InvalidVintage,
    TextBlank,
    TextNotAllowed,
    TextTooLong,
    UnknownBatch,
    UnknownProject,
)
from tests.conftest import Ledger

EXAMPLES = int(os.environ.get("CARBON_LEDGER_CANONICAL_EXAMPLES", "300"))
"""Generated values for the text rule (the other rules get proportionally fewer)."""

# ---------------------------------------------------------------- the rules, by example


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("Hilti Corporation", None),
        ("中国石化", None),
        ("Ācme\u200dx", None),  # a joiner inside text is fine
        ("Acme\0", "the control character U+0000 is not allowed (byte 4)"),
        ("\u202eevil", "U+202E RIGHT-TO-LEFT OVERRIDE is not allowed (byte 0)"),
        ("a\x07", "the control character U+0007 is not allowed (byte 1)"),
        ("a\u0085", "the control character U+0085 is not allowed (byte 1)"),
        ("   ", "is blank: it holds no visible character"),
        ("\u00a0\u3000", "is blank: it holds no visible character"),
        ("", "is blank: it holds no visible character"),
        ("x" * 257, "is 257 bytes long; at most 256 are allowed"),
    ],
)
def test_text_problems_name_what_is_wrong(value: str, problem: str | None) -> None:
    assert text_problem(value, canonical.NAME, required=True) == problem


def test_optional_text_may_be_empty_but_not_blank() -> None:
    assert text_problem("", canonical.NOTE, required=False) is None
    assert text_problem(" ", canonical.NOTE, required=False) is not None


def test_invalid_utf8_is_found_where_it_starts() -> None:
    assert scan_text(b"ok\xff") == (2, True)
    assert scan_text(b"\xe2\x82") == (0, False)  # truncated
    assert scan_text(b"\xc0\xaf") == (0, False)  # overlong
    assert scan_text(b"\xed\xa0\x80") == (0, False)  # a surrogate
    assert scan_text(b"\xf4\x90\x80\x80") == (0, False)  # beyond U+10FFFF
    assert text_problem(b"ab\xff", 10, required=True) == "invalid UTF-8 is not allowed (byte 2)"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("VCS-VCU", True),
        ("GS1-1-UG-GS11236-16-2024-30307", True),
        ("CDC_1_1_1_321_14", True),
        ("A.B", True),
        ("vcs-vcu", False),
        ("VCS-VCU ", False),
        ("VCS--VCU", False),
        ("-VCS", False),
        ("VCS-", False),
        ("VCS\u2010VCU", False),
        ("V\u0421S", False),
        ("", False),
        ("A" * 64, True),
        ("A" * 65, False),
    ],
)
def test_identifiers(value: str, ok: bool) -> None:
    assert (identifier_problem(value) is None) is ok


def test_numeric_identifiers() -> None:
    assert identifier_problem("1185", numeric=True) is None
    assert identifier_problem("0", numeric=True) is None
    assert identifier_problem("01185", numeric=True) == "must not have leading zeros"
    assert identifier_problem("ACR1185", numeric=True) == "must be a decimal number"
    assert identifier_problem("١١٨٥", numeric=True) == "must be a decimal number"


@pytest.mark.parametrize(
    ("value", "ok"),
    [(20200229, True), (20210229, False), (19000229, False), (20000229, True), (20200431, False)],
)
def test_dates_are_calendar_dates(value: int, ok: bool) -> None:
    assert is_date(value) is ok


def test_clean_text_normalises_what_people_write() -> None:
    rule = TEXT_FIELDS["beneficiary"]
    assert clean_text("  Hilti Corporation\n", rule) == "Hilti Corporation"
    assert clean_text("Cafe\u0301", rule) == "Café"  # NFC
    for hostile in ("Acme\0Corp", "\u202eevil", "Acme\nCorp", "   ", "a\x07b"):
        with pytest.raises(TextRejected):
            clean_text(hostile, rule)


def test_the_bounds_are_the_contracts() -> None:
    assert MAX_SERIAL == 2**63 - 2 == 9_223_372_036_854_775_806
    assert DETOKENISE_REFERENCE.limit == TEXT_FIELDS["registryReference"].limit == 128


# ---------------------------------------------------------------- the contract agrees

_SPECIALS = [
    "\0", "\x07", "\t", "\n", "\r", "\x1f", " ", "\x7f", "\x80", "\x85", "\x9f", "\u00a0",
    "\u00ad", "\u034f", "\u061c", "\u115f", "\u1680", "\u180e", "\u2000", "\u200b", "\u200d",
    "\u200e", "\u200f", "\u2028", "\u2029", "\u202a", "\u202e", "\u202f", "\u205f", "\u2060",
    "\u2064", "\u2065", "\u2066", "\u2069", "\u206a", "\u3000", "\u3164", "\ufeff", "\uffa0",
    "\U0010ffff", "A", "z", "~", "中", "é", "😀",
]  # fmt: skip
_BAD_BYTES = [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\x80"]

text_bytes = st.one_of(
    st.lists(st.sampled_from(_SPECIALS) | st.characters(), max_size=40).map(
        lambda chars: "".join(chars).encode("utf-8", "surrogatepass")
    ),
    st.lists(
        st.sampled_from(_SPECIALS).map(lambda c: c.encode("utf-8", "surrogatepass"))
        | st.sampled_from(_BAD_BYTES)
        | st.binary(max_size=3),
        max_size=20,
    ).map(b"".join),
    st.integers(0, 140).map(lambda n: b"A" * n),  # around the limits
    st.integers(0, 40).flatmap(lambda n: st.just(b" " * n + b"x" * (n % 3))),
)


def _call(ledger: Ledger, signature: str, types: list[str], args: list[Any], who: Any) -> None:
    """eth_call ``signature`` with raw ABI arguments (a ``string`` encoded as ``bytes``, the
    same layout); raise the decoded revert."""
    data = function_signature_to_4byte_selector(signature) + encode(types, args)
    try:
        ledger.chain.w3.eth.call({"from": who.account, "to": who.address, "data": data})
    except Exception as exc:
        raise as_chain_error(exc, who.abi) from exc


def _contract_text(ledger: Ledger, raw: bytes) -> tuple[str, int | None]:
    """The contract's verdict on ``raw`` as a detokenisation's (required) registry reference."""
    signature = "detokenise(uint64,uint64,uint64,uint64,string)"
    types = ["uint64", "uint64", "uint64", "uint64", "bytes"]
    try:
        _call(ledger, signature, types, [999, 1, 1, 1, raw], ledger.alice)
    except UnknownBatch:
        return ("ok", None)  # the text passed: the next check refused the missing batch
    except (TextTooLong, TextNotAllowed, TextBlank) as exc:
        return (exc.error_name, exc.arguments.get("offset"))
    raise AssertionError("unreachable: the text check or the batch check refuses")


def _python_text(raw: bytes) -> tuple[str, int | None]:
    if len(raw) > canonical.REFERENCE:
        return ("TextTooLong", None)
    bad, visible = scan_text(raw)
    if bad is not None:
        return ("TextNotAllowed", bad)
    return ("ok", None) if visible else ("TextBlank", None)


@settings(
    max_examples=EXAMPLES * 300 // 300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=text_bytes)
def test_text_rule_matches_the_contract(ledger: Ledger, raw: bytes) -> None:
    assert _python_text(raw) == _contract_text(ledger, raw)
    problem = text_problem(raw, canonical.REFERENCE, required=True)
    assert (problem is None) == (_python_text(raw)[0] == "ok")


identifier_bytes = st.one_of(
    st.text(alphabet="ABCXYZ0129-_. ab\u2010\u0421\u200b/", max_size=70).map(str.encode),
    st.binary(max_size=70),
    st.integers(60, 70).map(lambda n: b"A" * n),
)


@settings(
    max_examples=EXAMPLES * 200 // 300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=identifier_bytes)
def test_identifier_rule_matches_the_contract(ledger: Ledger, raw: bytes) -> None:
    try:
        _call(
            ledger,
            "setNamespaces(uint16,string[],bool)",
            ["uint16", "bytes[]", "bool"],
            [ledger.vcs, [raw], True],
            ledger.admin,
        )
        contract = True
    except InvalidNamespace:
        contract = False
    try:
        python = identifier_problem(raw.decode("utf-8")) is None
    except UnicodeDecodeError:
        python = False
    assert python is contract


@settings(
    max_examples=EXAMPLES * 150 // 300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    code=st.one_of(
        st.text(alphabet="ABCZ019a-_ \0é", max_size=20).map(lambda t: t.encode()[:32]),
        st.binary(max_size=32),
    )
)
def test_programme_code_rule_matches_the_contract(ledger: Ledger, code: bytes) -> None:
    padded = code.ljust(32, b"\0")
    try:
        _call(
            ledger,
            "registerProgram(bytes32,address)",
            ["bytes32", "address"],
            [padded, ledger.admin.account],
            ledger.admin,
        )
        contract = True
    except InvalidProgramCode:
        contract = False
    taken = padded.rstrip(b"\0") in (b"VCS", b"GS")
    assert (is_program_code(padded) and not taken) is contract


@settings(
    max_examples=EXAMPLES * 150 // 300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    date=st.one_of(
        st.integers(0, 2**32 - 1),
        st.dates(dt.date(1890, 1, 1), dt.date(9999, 12, 31)).map(
            lambda d: d.year * 10000 + d.month * 100 + d.day
        ),
        st.tuples(st.integers(1899, 2101), st.integers(0, 13), st.integers(0, 32)).map(
            lambda t: t[0] * 10000 + t[1] * 100 + t[2]
        ),
    )
)
def test_date_rule_matches_the_contract(ledger: Ledger, date: int) -> None:
    issuance = ledger.issuance(1, 10)
    raw = list(issuance.as_abi())
    raw[1] = b"\x42" * 32  # an unknown project: a bridging whose dates pass stops there
    raw[6] = raw[7] = date
    try:
        ledger.issuer.contract.functions.bridge(tuple(raw), 0).call({"from": ledger.issuer.account})
        raise AssertionError("unreachable")
    except ContractError:
        raise
    except Exception as exc:
        error = as_chain_error(exc, ledger.issuer.abi)
    assert isinstance(error, InvalidVintage | UnknownProject)
    assert is_date(date) is isinstance(error, UnknownProject)


# ---------------------------------------------------------------- display: what a reader sees


@pytest.mark.parametrize(
    ("value", "runs"),
    [
        ("\u202eevil", [("\u202e", True), ("evil", False)]),  # would show as "live"
        (
            "NUL\0BEL\x07LF\n",
            [
                ("NUL", False),
                ("\0", True),
                ("BEL", False),
                ("\x07", True),
                ("LF", False),
                ("\n", True),
            ],
        ),
        ("a\u0085b\x7f", [("a", False), ("\u0085", True), ("b", False), ("\x7f", True)]),
        ("a\u2028b", [("a", False), ("\u2028", True), ("b", False)]),
        ("\u2066x\u2069", [("\u2066", True), ("x", False), ("\u2069", True)]),
        ("\u200fabc", [("\u200f", True), ("abc", False)]),  # a bidi mark, even where it is
        (
            "1\u200f2\u200f3",
            [("1", False), ("\u200f", True), ("2", False), ("\u200f", True), ("3", False)],
        ),  # marks that would show "132"
        ("ev\u200bil", [("ev", False), ("\u200b", True), ("il", False)]),  # zero-width space
        ("\ufeffAcme", [("\ufeff", True), ("Acme", False)]),  # BOM
        ("x\U000e0041\U000e0042", [("x", False), ("\U000e0041", True), ("\U000e0042", True)]),
        (" Acme ", [(" ", True), ("Acme", False), (" ", True)]),  # edges: looks like "Acme"
        ("\u00a0Acme\u3000", [("\u00a0", True), ("Acme", False), ("\u3000", True)]),
        ("\u200dAcme\u200c", [("\u200d", True), ("Acme", False), ("\u200c", True)]),
        ("   ", [(" ", True)] * 3),  # nothing visible: every character shown
        ("\u3164", [("\u3164", True)]),  # Hangul filler, blank on its own
        ("\ufe0fAcme", [("\ufe0f", True), ("Acme", False)]),  # a selector selecting nothing
        ("A\ufe00\ufe01\ufe02", [("A\ufe00", False), ("\ufe01", True), ("\ufe02", True)]),
        ("\ue000", [("\ue000", True)]),  # private use: looks different everywhere
        ("", []),
    ],
)
def test_display_escapes_what_a_reader_cannot_see_or_trust(
    value: str, runs: list[tuple[str, bool]]
) -> None:
    assert canonical.display_runs(value) == runs


@pytest.mark.parametrize(
    "ordinary",
    [
        "Hilti Corporation",
        "江苏亨通光电股份有限公司",
        "Société Générale · Ørsted A/S · Zürich",
        "شركة الأمل للطاقة",
        "חברת האור בע״מ",
        "می\u200cخواهم",  # noqa: RUF001 (Persian on purpose: a ZWNJ inside a word)
        "क्\u200dष",  # Devanagari: ZWJ inside a conjunct
        "👩\u200d🔬 Lab",  # an emoji ZWJ sequence
        "❤\ufe0f Acme",  # an emoji presentation selector
        "Acme\u00a0Corp  Ltd",  # spaces between words, however many
    ],
)
def test_display_shows_ordinary_text_unchanged(ordinary: str) -> None:
    assert canonical.display_runs(ordinary) == [(ordinary, False)]
    assert canonical.visible_text(ordinary) == ordinary


def test_visible_text_writes_escapes_in_unicode_notation() -> None:
    assert canonical.visible_text("\u202eevil\x07") == "<U+202E>evil<U+0007>"
    assert canonical.visible_text("x\U000e0041") == "x<U+E0041>"
    assert canonical.escape_notation("\0") == "U+0000"


def test_display_escapes_in_the_chains_terms() -> None:
    """Every character the contract forbids is escaped wherever it stands, and every one it
    counts as blank is escaped where it stands alone: the display rule is the chain's."""
    for point in range(0x110000):
        if 0xD800 <= point <= 0xDFFF:
            continue
        char = chr(point)
        bad, visible = canonical.scan_text(char.encode())
        if bad is not None:
            assert canonical.display_runs(f"a{char}b")[1] == (char, True), hex(point)
        elif not visible:
            assert canonical.display_runs(char) == [(char, True)], hex(point)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(st.characters(codec="utf-8"), max_size=40))
def test_display_loses_nothing_and_shows_nothing_hostile(value: str) -> None:
    runs = canonical.display_runs(value)
    assert "".join(run for run, _ in runs) == value  # every character, in order
    assert all(len(run) == 1 for run, escaped in runs if escaped)
    shown = canonical.visible_text(value)
    # What a reader is shown is itself text the chain accepts, and never blank at an edge.
    assert canonical.text_problem(shown, len(shown.encode()), required=False) is None
    if runs and not runs[0][1]:
        assert canonical.scan_text(runs[0][0][0].encode())[1], repr(value)
    if runs and not runs[-1][1]:
        last = runs[-1][0][-1]
        assert (
            canonical.scan_text(last.encode())[1]
            or "\ufe00" <= last <= "\ufe0f"
            or ("\U000e0100" <= last <= "\U000e01ef" or "\u180b" <= last <= "\u180f")
        ), repr(value)  # a visible character, or the variation selector that picks its form
