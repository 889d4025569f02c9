"""Property tests over every declared adapter: valid parts round-trip exactly, and mutated
serials or rows are refused with a reason that names the problem."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain import registries
from chain.canonical import TextRejected
from chain.registries import (
    MAX_SERIAL,
    CommitmentPeriod,
    SerialAdapter,
    SerialDates,
    SerialFormatError,
    SerialYear,
)
from chain.registries._grammar import label
from tests.chain.registries.support import matching_row, valid_parts

ADAPTERS = [pytest.param(a, id=a.key) for a in registries.BUILTIN]
# Isometric's derived serials have no quantity column of their own: the importer checks the
# kg against the credits when it derives them (tests/chain/importer/test_derive.py).
WITH_QUANTITY = [pytest.param(a, id=a.key) for a in registries.BUILTIN if a.row.quantity]
# J-Credit, Cercarbono and Isometric serials hold no vintage: the row's columns give it.
WITH_VINTAGE = [pytest.param(a, id=a.key) for a in registries.BUILTIN if a.vintage]
WITH_PROJECT = [
    pytest.param(a, id=a.key) for a in registries.BUILTIN if a.row.project and a.project
]
PROPERTY = settings(max_examples=150, deadline=None, database=None)
JUNK = "#/_!@;€"


def _render(adapter: SerialAdapter, grammar: int, parts: dict[str, str]) -> str:
    return adapter.templates[grammar].format(**parts)


def _names_the_problem(reason: str, adapter: SerialAdapter) -> bool:
    parts = any(label(name) in reason for name in adapter.kinds)
    return bool(reason) and (parts or "expected" in reason)


@pytest.mark.parametrize("adapter", ADAPTERS)
@PROPERTY
@given(data=st.data())
def test_compose_format_parse_is_the_identity(adapter: SerialAdapter, data: st.DataObject) -> None:
    grammar = data.draw(st.integers(0, len(adapter.grammars) - 1), label="grammar")
    parts = data.draw(valid_parts(adapter), label="parts")
    as_ints = {k: int(v) if k in (adapter.first, adapter.last) else v for k, v in parts.items()}
    composed = registries.compose(adapter.key, as_ints, grammar)
    text = registries.format(composed)
    assert text == _render(adapter, grammar, parts)
    parsed = registries.parse(adapter.registry, text)
    assert parsed == composed
    assert (parsed.scheme, parsed.grammar) == (adapter.key, grammar)
    assert parsed.first == int(parts[adapter.first]) and parsed.last == int(parts[adapter.last])
    assert dict(parsed.components) == {n: parts[n] for n in adapter.grammars[grammar].names}
    assert registries.format(parsed) == text
    assert registries.parse(adapter.program, text).canonical == parsed.canonical
    assert registries.parse(adapter.registry, text, matching_row(parsed)) == parsed


@pytest.mark.parametrize("adapter", ADAPTERS)
@PROPERTY
@given(data=st.data())
def test_parse_format_is_the_identity_on_formatted_text(
    adapter: SerialAdapter, data: st.DataObject
) -> None:
    grammar = data.draw(st.integers(0, len(adapter.grammars) - 1), label="grammar")
    text = _render(adapter, grammar, data.draw(valid_parts(adapter), label="parts"))
    padding = data.draw(st.sampled_from(["", " ", "\t", "\n ", "  \r\n"]), label="padding")
    assert registries.format(registries.parse(adapter.registry, padding + text + padding)) == text


@pytest.mark.parametrize("adapter", ADAPTERS)
@PROPERTY
@given(data=st.data())
def test_sub_ranges_keep_the_block(adapter: SerialAdapter, data: st.DataObject) -> None:
    parsed = registries.compose(adapter.key, data.draw(valid_parts(adapter), label="parts"))
    first = data.draw(st.integers(parsed.first, parsed.last), label="first")
    last = data.draw(st.integers(first, parsed.last), label="last")
    part = parsed.with_range(first, last)
    assert (part.program, part.namespace, part.first, part.last) == (
        parsed.program, parsed.namespace, first, last,
    )  # fmt: skip
    assert registries.parse(adapter.registry, registries.format(part)) == part
    unchanged = {k: v for k, v in part.components.items() if k not in (adapter.first, adapter.last)}
    assert unchanged == {
        k: v for k, v in parsed.components.items() if k not in (adapter.first, adapter.last)
    }


@pytest.mark.parametrize("adapter", ADAPTERS)
@PROPERTY
@given(data=st.data())
def test_first_after_last_is_rejected(adapter: SerialAdapter, data: st.DataObject) -> None:
    parts = data.draw(valid_parts(adapter), label="parts")
    last = min(int(parts[adapter.last]), MAX_SERIAL - 1)
    first = data.draw(st.integers(last + 1, MAX_SERIAL), label="first")
    parts[adapter.first], parts[adapter.last] = str(first), str(last)
    with pytest.raises(SerialFormatError) as caught:
        registries.parse(adapter.registry, _render(adapter, 0, parts))
    assert f"first serial {first} is greater than last serial {last}" in caught.value.reason
    with pytest.raises(SerialFormatError, match="greater than"):
        registries.compose(adapter.key, parts)


@pytest.mark.parametrize("adapter", ADAPTERS)
@PROPERTY
@given(data=st.data())
def test_a_dropped_separator_is_rejected(adapter: SerialAdapter, data: st.DataObject) -> None:
    grammar = data.draw(st.integers(0, len(adapter.grammars) - 1), label="grammar")
    pieces = re.split(r"(\{[a-z0-9_]+\})", adapter.templates[grammar])
    literals = [i for i, piece in enumerate(pieces) if piece and not piece.startswith("{")]
    dropped = data.draw(st.sampled_from(literals), label="dropped literal")
    template = "".join(p for i, p in enumerate(pieces) if i != dropped)
    text = template.format(**data.draw(valid_parts(adapter), label="parts"))
    with pytest.raises(SerialFormatError) as caught:
        registries.parse(adapter.registry, text)
    assert _names_the_problem(caught.value.reason, adapter), caught.value.reason


@pytest.mark.parametrize("adapter", ADAPTERS)
@PROPERTY
@given(data=st.data())
def test_inserted_junk_is_rejected(adapter: SerialAdapter, data: st.DataObject) -> None:
    text = _render(adapter, 0, data.draw(valid_parts(adapter), label="parts"))
    at = data.draw(st.integers(0, len(text)), label="position")
    junk = data.draw(st.text(st.sampled_from(JUNK), min_size=1, max_size=3), label="junk")
    with pytest.raises(SerialFormatError) as caught:
        registries.parse(adapter.registry, text[:at] + junk + text[at:])
    assert _names_the_problem(caught.value.reason, adapter), caught.value.reason


@pytest.mark.parametrize("adapter", WITH_QUANTITY)
@PROPERTY
@given(data=st.data())
def test_a_row_with_another_quantity_is_rejected(
    adapter: SerialAdapter, data: st.DataObject
) -> None:
    parsed = registries.compose(adapter.key, data.draw(valid_parts(adapter), label="parts"))
    row = matching_row(parsed, commas=data.draw(st.booleans(), label="commas"))
    assert registries.parse(adapter.registry, registries.format(parsed), row) == parsed
    column = adapter.row.quantity[0]
    other = data.draw(st.integers(0, MAX_SERIAL).filter(lambda q: q != parsed.quantity))
    with pytest.raises(SerialFormatError) as caught:
        registries.parse(adapter.registry, registries.format(parsed), {**row, column: str(other)})
    assert f"quantity column {column!r} = {other}" in caught.value.reason


@pytest.mark.parametrize("adapter", WITH_PROJECT)
@PROPERTY
@given(data=st.data())
def test_a_row_with_another_project_is_rejected(
    adapter: SerialAdapter, data: st.DataObject
) -> None:
    assert adapter.project is not None
    parsed = registries.compose(adapter.key, data.draw(valid_parts(adapter), label="parts"))
    row = matching_row(parsed)
    column = adapter.row.project[0]
    other = data.draw(st.from_regex(r"[0-9A-Z]{1,8}", fullmatch=True), label="project")
    try:  # the registry's own spelling of the same project (VCS1340 for 1340) is not another
        if adapter.canonical_project(other) == parsed.project:
            return
    except TextRejected:
        pass
    with pytest.raises(SerialFormatError) as caught:
        registries.parse(
            adapter.registry,
            registries.format(parsed),
            {**row, column: adapter.row.project_prefix + other},
        )
    reason = caught.value.reason
    assert f"{label(adapter.project)} id {parsed.project!r} in the serial disagrees" in reason
    assert repr(column) in reason


@pytest.mark.parametrize("adapter", WITH_VINTAGE)
@PROPERTY
@given(data=st.data())
def test_a_row_with_another_vintage_is_rejected(
    adapter: SerialAdapter, data: st.DataObject
) -> None:
    parsed = registries.compose(adapter.key, data.draw(valid_parts(adapter), label="parts"))
    row = matching_row(parsed)
    rule, spec = adapter.vintage, adapter.row
    if isinstance(rule, SerialYear):
        column, year = spec.vintage_year[0], int(row[spec.vintage_year[0]])
        other = data.draw(st.integers(1000, 9999).filter(lambda y: y != year))
        row[column], expected = str(other), f"vintage year {year}"
    elif isinstance(rule, SerialDates):
        column = data.draw(st.sampled_from([spec.vintage_start[0], spec.vintage_end[0]]))
        other_day = data.draw(st.dates().filter(lambda d: d.isoformat() != row[column]))
        row[column] = other_day.isoformat()
        expected = "vintage start" if column == spec.vintage_start[0] else "vintage end"
    else:
        assert isinstance(rule, CommitmentPeriod)
        column = spec.vintage_year[0]
        row[column] = "2016" if parsed.part(rule.original) == "1" else "2009"
        expected = "belongs to commitment period"
    with pytest.raises(SerialFormatError) as caught:
        registries.parse(adapter.registry, registries.format(parsed), row)
    assert expected in caught.value.reason and repr(column) in caught.value.reason
