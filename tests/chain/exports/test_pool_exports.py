"""A pool's account in the exports: the pool's token address holds the pooled serials like
any account, so its units export as Held ranges, named as the pool, and every export still
reconciles with the store to the tonne; a pool retirement's units are the retirer's."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from chain.exports.account import holdings_table, retirements_table
from tests.chain.conftest import StoreFactory
from tests.chain.exports.reconcile import cadt_tables as read_cadt
from tests.chain.exports.reconcile import check_cadt, check_offsetsdb, parse
from tests.chain.indexer.pool_events import (
    ALICE,
    LONG_SYMBOL,
    POOL_NAME,
    TOKEN,
    lifecycle,
    open_mirror,
    write_events,
)


@pytest.fixture
def engine(store_factory: StoreFactory) -> sa.Engine:
    engine = open_mirror(store_factory)
    write_events(engine, lifecycle().events)
    return engine


def test_the_pools_cadt_units_name_the_pool_and_reconcile(engine: sa.Engine) -> None:
    check_cadt(engine)
    check_offsetsdb(engine)
    units = parse(read_cadt(engine)["unit"])
    pooled = [u for u in units if TOKEN in u["unitCurrentOwner"]]
    assert sorted((int(u["unitStartBlock"]), int(u["unitEndBlock"])) for u in pooled) == [
        (31, 100),
        (101, 150),
    ]
    name = f'pool 1 {LONG_SYMBOL} "{POOL_NAME}"'
    for u in pooled:
        assert u["unitStatus"] == "Held"
        assert u["unitCurrentOwner"] == f"{name} ({TOKEN})"
        assert u["unitStatusReason"] == f"held on the ledger in {name}"
    retired = [u for u in units if u["unitStatus"] == "Retired"]
    assert {u["unitCurrentOwner"] for u in retired} == {ALICE}  # the retirer's


def test_the_pool_accounts_csv_lists_its_ranges(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        held = parse(holdings_table(conn, TOKEN))
        retired = parse(retirements_table(conn, ALICE))
    assert sum(int(r["quantity"]) for r in held) == 120
    assert [(r["first_serial"], r["last_serial"]) for r in retired] == [
        ("2021", "2050"),
        ("1", "30"),
    ]
