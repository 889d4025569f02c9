"""The ledger's nouns have one definition each: ``chain.domain`` holds the Python one, the read
API (``api/reads``) at most one public model of the same name, and nothing else in ``chain/``
or ``api/`` defines a class so named (the pages and certificates show the read API's records;
``tests/api/pages/test_layering.py`` holds them to reading through its query layer). And the
helpers every layer shares behave as each of them needs."""

from __future__ import annotations

import ast
import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest

from chain import domain
from chain.domain import (
    ALL_LABELS,
    Label,
    Purpose,
    RangeState,
    int_to_date,
    label_names,
    purpose_name,
    state_name,
)

ROOT = Path(__file__).resolve().parents[2]
NOUNS = ("Program", "Project", "Batch", "HoldingRange", "Retirement", "Account")
"""The glossary's nouns (docs/ARCHITECTURE.md, "Domain")."""


def _classes() -> dict[str, list[str]]:
    """Every class defined in ``chain/`` and ``api/``: name -> modules defining it."""
    found: dict[str, list[str]] = defaultdict(list)
    for package in ("chain", "api"):
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef):
                    found[node.name].append(module)
    return found


def test_each_noun_is_defined_once_in_the_domain_and_once_in_the_read_api() -> None:
    classes = _classes()
    for noun in NOUNS:
        where = classes.get(noun, [])
        assert where.count("chain.domain") <= 1, (noun, where)
        elsewhere = [m for m in where if m != "chain.domain"]
        assert all(m.startswith("api.reads.") for m in elsewhere), (noun, where)
        assert len(elsewhere) <= 1, (noun, where)
    # The domain's own nouns, by the name Solidity gives them.
    for noun in ("Project", "Batch", "HoldingRange", "Issuance", "AccountStatus"):
        assert hasattr(domain, noun), noun
    assert classes["Project"] == ["chain.domain"]  # the read API serves the domain's class
    assert classes["Page"] == ["api.reads._common"]
    for name in ("SerialRange", "Range"):
        assert name not in classes, (name, classes[name])


def test_int_to_date_reads_any_stored_date() -> None:
    assert int_to_date(20200229) == dt.date(2020, 2, 29)
    assert int_to_date(domain.date_to_int(dt.date(1999, 12, 31))) == dt.date(1999, 12, 31)
    # Not given, or digits that are no date (a store may predate the contract's date check).
    for value in (0, None, -1, 20210229, 20201301, 20200100, 99):
        assert int_to_date(value) is None, value


def test_names_of_states_labels_and_purposes() -> None:
    assert [state_name(s) for s in RangeState if s != RangeState.NONE] == [
        "held",
        "retired",
        "detokenised",
        "cancelled",
    ]
    with pytest.raises(ValueError):
        state_name(RangeState.NONE)  # a stored range always has a state
    assert label_names(ALL_LABELS) == [
        "corsia_eligible",
        "ccp_approved",
        "article6_authorised",
        "corresponding_adjustment",
    ]
    assert label_names(Label.CORSIA_ELIGIBLE | Label.ARTICLE6_AUTHORISED) == [
        "corsia_eligible",
        "article6_authorised",
    ]
    assert label_names(0) == []
    assert [purpose_name(p) for p in Purpose] == ["voluntary", "corsia", "article6", "compliance"]
