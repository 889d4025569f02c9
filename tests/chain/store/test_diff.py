"""``diff_stores``: a missing, an extra or an edited row in any compared table is named.

The reference store is indexed once per module from a workload on anvil (so every table has
real rows); each test copies it into a store of its backend and changes that copy.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from web3 import Web3

from chain.domain import Project
from chain.indexer.core import Indexer
from chain.store import schema as s
from chain.store.diff import COMPARED_TABLES, RowDifference, diff_stores
from chain.store.engine import open_store
from chain.transactions import NonceManager
from tests.chain.indexer.pool_chain import pool_life
from tests.chain.indexer.support import (
    bogus_row,
    copy_store,
    delete_row,
    deploy_anvil_ledger,
    edit_row,
    insert_row,
    key_of,
    pick_row,
    set_column,
    settle,
    workload,
)

pytestmark = pytest.mark.anvil

TABLES = [t.name for t in COMPARED_TABLES]


@pytest.fixture(scope="module")
def reference(
    anvil_w3: Web3, anvil_nonces: NonceManager, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    ledger = deploy_anvil_ledger(anvil_w3, anvil_nonces)
    settle(ledger, workload(ledger, random.Random(2024), 45))
    pool_life(ledger)  # every pool table
    # Two project links (the workload bridges the same vintages under VCS and GS, so fresh
    # projects), so that project_links has rows too.
    for n in ("7777", "7778"):
        vcs_key = ledger.issuer.register_project(ledger.vcs, Project(n, "Linked", "BR", "", ""))
        gs_key = ledger.gs_issuer.register_project(ledger.gs, Project(f"GS{n}", "L", "BR", "", ""))
        ledger.admin.propose_project_link(gs_key, vcs_key)
        ledger.admin.accept_project_link(vcs_key, gs_key)
    path: Path = tmp_path_factory.mktemp("diff") / "reference.sqlite3"
    engine = open_store(f"sqlite:///{path}")
    Indexer(anvil_w3, engine, ledger.deployment, confirmations=0).sync()
    with engine.connect() as conn:
        for table in COMPARED_TABLES:
            n = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            assert n > 0, f"the workload left {table.name} empty"
    yield engine
    engine.dispose()


@pytest.fixture
def copy(reference: sa.Engine, store: sa.Engine) -> sa.Engine:
    copy_store(reference, store)
    return store


def test_identical_stores_have_no_differences(reference: sa.Engine, copy: sa.Engine) -> None:
    # On PostgreSQL this is the cross-backend case `audit verify --db postgresql://…` relies
    # on: the chain's in-memory SQLite store against the PostgreSQL one.
    assert diff_stores(reference, copy) == []
    assert diff_stores(copy, reference) == []


@pytest.mark.parametrize("name", TABLES)
def test_a_missing_an_extra_and_an_edited_row_are_named(
    reference: sa.Engine, copy: sa.Engine, name: str
) -> None:
    table = s.metadata.tables[name]
    row = pick_row(copy, table)
    key = key_of(table, row)

    # missing
    delete_row(copy, table, row)
    found = diff_stores(reference, copy)
    assert found == [RowDifference(name, key, None, row, None, row.get("block_number"))]
    text = found[0].describe()
    assert text.startswith(f"{name} row (") and "missing from the store" in text
    insert_row(copy, table, row)
    assert diff_stores(reference, copy) == []

    # extra
    bogus = bogus_row(copy, table)
    insert_row(copy, table, bogus)
    found = diff_stores(reference, copy)
    assert len(found) == 1, found
    (d,) = found
    assert (d.table, d.key, d.column, d.expected) == (name, key_of(table, bogus), None, None)
    assert d.found is not None and key_of(table, d.found) == key_of(table, bogus)
    assert "not on the chain but in the store" in d.describe()
    delete_row(copy, table, bogus)
    assert diff_stores(reference, copy) == []

    # every column edited in turn
    for column in (c.name for c in table.columns if not c.primary_key):
        new = edit_row(copy, table, row, column)
        found = diff_stores(reference, copy)
        assert [(d.table, d.key, d.column) for d in found] == [(name, key, column)], column
        assert found[0].expected == row[column]
        assert found[0].found == new
        assert f"{name} (" in found[0].describe() and f".{column}:" in found[0].describe()
        set_column(copy, table, row, column, row[column])  # restore
    assert diff_stores(reference, copy) == []


def test_differences_come_in_table_then_key_order_up_to_the_limit(
    reference: sa.Engine, copy: sa.Engine
) -> None:
    edited = []
    for table in reversed(COMPARED_TABLES):
        for index in (-1, 0):  # the last row before the first, so the order is ours
            row = pick_row(copy, table, index)
            column = next(c.name for c in table.columns if not c.primary_key)
            edit_row(copy, table, row, column)
            edited.append((table.name, key_of(table, row)))
    found = diff_stores(reference, copy)
    # A table of one row (pools) had that row edited twice: one difference.
    expected = sorted(set(edited), key=lambda tk: (TABLES.index(tk[0]), tk[1]))
    assert [(d.table, d.key) for d in found] == expected
    assert [(d.table, d.key) for d in diff_stores(reference, copy, limit=3)] == expected[:3]
