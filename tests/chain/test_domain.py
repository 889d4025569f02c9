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


# ---------------------------------------------------------------- pools


@pytest.mark.parametrize("program_id", [0, 256, -1])
def test_pool_rules_refuse_a_programme_id_outside_the_bitmap(program_id: int) -> None:
    rules = domain.PoolRules(frozenset({1, program_id}))
    with pytest.raises(ValueError, match=f"programme id {program_id} cannot be pooled"):
        rules.as_abi()


def test_pool_rules_round_trip_through_the_abi() -> None:
    rules = domain.PoolRules(
        frozenset({1, 2, 255}),
        vintage_from=dt.date(2016, 1, 1),
        vintage_to=None,
        labels_required=Label.CCP_APPROVED | Label.CORSIA_ELIGIBLE,
        country_mode=domain.PoolMode.ONLY,
        methodology_mode=domain.PoolMode.EXCEPT,
    )
    raw = rules.as_abi()
    assert raw[0] == (1 << 1) | (1 << 2) | (1 << 255)
    assert raw[1:] == (20160101, 0, 3, 1, 0, 2)
    assert domain.PoolRules.from_abi(raw) == rules


def test_pool_key_sorts_by_vintage_then_batch_then_serial() -> None:
    keys = [
        domain.pool_key(dt.date(2017, 12, 31), 9, 5),
        domain.pool_key(dt.date(2018, 1, 1), 2, 900),
        domain.pool_key(dt.date(2018, 1, 1), 3, 1),
        domain.pool_key(dt.date(2018, 1, 1), 3, 2),
    ]
    assert keys == sorted(keys)
    assert domain.pool_key(dt.date(2018, 1, 1), 3, 2) >> 64 & (2**64 - 1) == 3


def test_text_tag_is_the_first_eight_bytes_of_the_keccak() -> None:
    from eth_utils.crypto import keccak

    assert domain.text_tag("ET") == keccak(b"ET")[:8]
    assert len(domain.text_tag("")) == 8
