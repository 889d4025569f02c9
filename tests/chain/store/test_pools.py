"""The typed pool queries (``chain.store.pools``) on SQLite and PostgreSQL, over a pool's life
written as the contract logs it (``tests.chain.indexer.pool_events``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from chain.domain import label_names
from chain.store import pools as q
from tests.chain.conftest import StoreFactory
from tests.chain.indexer.pool_events import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    LONG_SYMBOL,
    POOL_NAME,
    TOKEN,
    ZERO,
    lifecycle,
    open_mirror,
    write_events,
)


@pytest.fixture
def conn(store_factory: StoreFactory) -> sa.Connection:
    engine = open_mirror(store_factory)
    write_events(engine, lifecycle().events)
    with engine.connect() as connection:
        yield connection  # type: ignore[misc]
    engine.dispose()


def test_list_pools_and_pool_by_token(conn: sa.Connection) -> None:
    (pool,) = q.list_pools(conn)
    assert (pool.pool_id, pool.token, pool.name, pool.symbol) == (1, TOKEN, POOL_NAME, LONG_SYMBOL)
    assert (pool.supply, pool.holders) == (120, 4)
    assert q.pool_by_token(conn, TOKEN.upper().replace("0X", "0x")) == pool
    assert q.pool_by_token(conn, ALICE) is None
    assert q.pool_tokens(conn) == {TOKEN: pool}


def test_get_pool_gives_rules_lists_supply_and_holders(conn: sa.Connection) -> None:
    detail = q.get_pool(conn, 1, holders=2)
    assert detail is not None
    assert detail.rules == q.PoolRules(
        programmes=(1,),
        programme_codes=("VCS",),
        vintage_from=20160101,
        vintage_to=0,
        labels_required=tuple(label_names(1)),
        country_mode="only",
        type_mode="except",
        methodology_mode="except",
        seq=detail.rules.seq,
    )
    assert {(e.kind, e.value, e.listed) for e in detail.lists} == {
        ("country", "ET", True),
        ("country", "BR", False),
        ("project_type", "AFOLU", True),
        ("methodology", "VM0007", True),
    }
    assert (detail.tonnes_held, detail.ranges, detail.batches) == (120, 2, 1)
    assert [(h.account, h.units) for h in detail.top_holders] == [(BOB, 55), (ALICE, 50)]
    assert q.get_pool(conn, 99) is None


def test_composition_groups_the_held_tonnes_four_ways(conn: sa.Connection) -> None:
    c = q.pool_composition(conn, 1)
    assert c.total == 120
    assert c.by_programme == (q.Tonnes("VCS", 120),)
    assert c.by_vintage == (q.Tonnes("2020", 120),)
    assert c.by_country == (q.Tonnes("ET", 120),)
    assert c.by_project_type == (q.Tonnes("AFOLU", 120),)
    assert q.pool_composition(conn, 99).total == 0


def test_ranges_come_in_redeem_order_a_page_at_a_time(conn: sa.Connection) -> None:
    first = q.pool_ranges(conn, 1, limit=1)
    assert [(r.batch_id, r.first_serial, r.last_serial) for r in first.ranges] == [(1, 31, 100)]
    assert first.next_after == (20200101, 1, 31)
    second = q.pool_ranges(conn, 1, after=first.next_after, limit=1)
    assert [(r.first_serial, r.last_serial, r.quantity) for r in second.ranges] == [(101, 150, 50)]
    assert second.next_after is None
    (r,) = second.ranges
    assert (r.program, r.namespace, r.project_id, r.country) == ("VCS", "NS-1", "1340", "ET")
    assert q.pool_ranges(conn, 99) == q.PoolRangePage((), None)


def test_account_balances(conn: sa.Connection) -> None:
    (balance,) = q.account_pool_balances(conn, ALICE)
    assert (balance.pool_id, balance.token, balance.symbol, balance.units) == (
        1,
        TOKEN,
        LONG_SYMBOL,
        50,
    )
    assert q.account_pool_balances(conn, ZERO) == []


def test_activity_names_each_operation_with_its_exact_serials(conn: sa.Connection) -> None:
    page = q.pool_activity(conn, 1, limit=3)
    retire, redeem, transfer = page.activity
    assert (retire.kind, retire.from_account, retire.to_account, retire.units) == (
        "retire",
        ALICE,
        ZERO,
        60,
    )
    assert [(s.batch_id, s.first_serial, s.last_serial) for s in retire.serials] == [
        (2, 2021, 2050),
        (1, 1, 30),
    ]
    assert retire.retirement_ids == (1, 2)
    assert [(s.batch_id, s.first_serial, s.last_serial) for s in redeem.serials] == [
        (2, 2001, 2020)
    ]
    assert (redeem.kind, redeem.from_account, redeem.retirement_ids) == ("redeem", DAVE, ())
    assert (transfer.kind, transfer.from_account, transfer.to_account, transfer.serials) == (
        "transfer",
        BOB,
        CAROL,
        (),
    )
    assert page.next_before == transfer.seq
    rest = q.pool_activity(conn, 1, before=page.next_before)
    assert [a.kind for a in rest.activity] == [
        "transfer",
        "transfer",
        "deposit",
        "deposit",
        "deposit",
    ]
    assert rest.next_before is None
    deposits = [a for a in rest.activity if a.kind == "deposit"]
    assert [
        (a.to_account, [(s.first_serial, s.last_serial) for s in a.serials]) for a in deposits
    ] == [
        (ALICE, [(101, 150)]),
        (BOB, [(2001, 2050)]),
        (ALICE, [(1, 100)]),
    ]
    mine = q.pool_activity(conn, account=DAVE)
    assert [(a.kind, a.units) for a in mine.activity] == [("redeem", 20), ("transfer", 30)]
    assert q.pool_activity(conn, 99).activity == ()


def test_program_units_in_grams(conn: sa.Connection) -> None:
    assert q.program_units(conn) == {1: q.TONNE_GRAMS}
