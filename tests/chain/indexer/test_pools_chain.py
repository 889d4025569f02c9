"""The pool mirror against the real contract on anvil, on SQLite and PostgreSQL: a pool's
life indexed equals the contract's own views (supply, balances, allowances, ranges), passes
``audit verify``, re-indexes to the same rows, and a tampered balance or supply is named;
pool events in a reorg are undone and the new branch followed."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from chain.domain import RangeState
from chain.indexer.core import Indexer
from chain.store import pools as q
from chain.store import schema as s
from chain.store.diff import diff_stores
from chain.verify import verify
from tests.chain.conftest import EngineOpener, StoreFactory
from tests.chain.indexer import pool_chain as pc
from tests.chain.indexer.support import (
    AnvilLedger,
    assert_store_matches_chain,
    revert,
    rows,
    set_column,
    snapshot,
)

pytestmark = pytest.mark.anvil


def _assert_pools_match_chain(ledger: AnvilLedger, engine: sa.Engine) -> None:
    """Every pool row against the contract's views."""
    admin = ledger.admin
    for pool in rows(engine, s.pools):
        supply, ranges = pc.pool_view(admin, pool["id"])
        assert pool["supply"] == supply
        held = [
            r
            for r in rows(engine, s.serial_ranges)
            if r["holder"] == pool["token"] and r["state"] == RangeState.HELD
        ]
        assert len(held) == ranges
        assert sum(r["last_serial"] - r["first_serial"] + 1 for r in held) == supply
        balances = [r for r in rows(engine, s.pool_balances) if r["pool_id"] == pool["id"]]
        assert sum(r["units"] for r in balances) == supply
        for r in balances:
            assert r["units"] == pc.unit_balance(admin, pool["id"], r["account"])
        for r in rows(engine, s.pool_approvals):
            assert int(r["amount"]) == pc.allowance(admin, r["pool_id"], r["owner"], r["spender"])


def test_a_pool_lifecycle_is_mirrored_exactly_and_verifies(
    anvil_ledger: AnvilLedger,
    store: sa.Engine,
    store_factory: StoreFactory,
    open_engine: EngineOpener,
) -> None:
    ledger = anvil_ledger
    pool_id, token = pc.pool_life(ledger)
    Indexer(ledger.w3, store, ledger.deployment, confirmations=0).sync()
    assert_store_matches_chain(ledger, store)
    _assert_pools_match_chain(ledger, store)

    (pool,) = rows(store, s.pools)
    assert (pool["name"], pool["symbol"], pool["token"]) == (pc.POOL_NAME, pc.LONG_SYMBOL, token)
    assert pool["supply"] == 240
    a, b, c, d = (x.account.lower() for x in (ledger.alice, ledger.bob, ledger.carol, ledger.dave))
    assert {r["account"]: r["units"] for r in rows(store, s.pool_balances)} == {
        a: 135,
        b: 75,
        d: 30,
    }
    # dave's allowance is unlimited (never spent); carol spent all of bob's 30: no row.
    assert [(r["owner"], r["spender"], r["amount"]) for r in rows(store, s.pool_approvals)] == [
        (a, d, str(2**256 - 1))
    ]
    # A pool retirement's ranges are the retirer's, retired; the redeemed ones the redeemer's.
    with store.connect() as conn:
        page = q.pool_activity(conn, pool_id)
        detail = q.get_pool(conn, pool_id)
        composition = q.pool_composition(conn, pool_id)
        ranges = q.pool_ranges(conn, pool_id, limit=2)
        rest = q.pool_ranges(conn, pool_id, after=ranges.next_after)
    retired = page.activity[0]
    assert (retired.kind, retired.from_account, retired.units) == ("retire", b, 120)
    assert [sp.quantity for sp in retired.serials] == [10, 110]
    assert len(retired.retirement_ids) == 2
    stored = {r["id"]: r for r in rows(store, s.retirements)}
    for rid, span in zip(retired.retirement_ids, retired.serials, strict=True):
        assert stored[rid]["holder"] == b
        assert (stored[rid]["first_serial"], stored[rid]["last_serial"]) == (
            span.first_serial,
            span.last_serial,
        )
    redeemed = page.activity[1]
    assert (redeemed.kind, redeemed.from_account, redeemed.units) == ("redeem", c, 40)
    assert [r.kind for r in page.activity] == [
        "retire", "redeem", "transfer", "transfer", "transfer",
        "deposit", "deposit", "deposit", "deposit",
    ]  # fmt: skip
    assert detail is not None and detail.tonnes_held == detail.pool.supply == 240
    assert detail.rules.vintage_to == 20251231 and detail.rules.country_mode == "except"
    assert detail.rules.type_mode == "only"  # with the list its tightening gave
    assert {(e.kind, e.value) for e in detail.lists} == {
        ("country", "BR"),
        ("country", "Côte d'Ivoire"),
        ("country", "ET"),
        ("project_type", "AFOLU"),
        ("project_type", "Energy efficiency"),
    }
    assert composition.total == 240
    assert {t.key: t.tonnes for t in composition.by_programme} == {"VCS": 150, "GS": 90}
    assert {t.key: t.tonnes for t in composition.by_vintage} == {"2021": 150, "2019": 90}
    # Redeem order: the 2019 GS range, then the 2021 ranges by serial.
    ordered = [*ranges.ranges, *rest.ranges]
    assert [r.vintage_start for r in ordered] == [20190301, 20210101, 20210101]
    assert rest.next_after is None
    head = ledger.admin.contract.functions.poolHead(pool_id).call()
    assert (head[1], head[2], head[3]) == (
        ordered[0].batch_id,
        ordered[0].first_serial,
        ordered[0].last_serial,
    )

    report = verify(ledger.w3, ledger.deployment, store)
    assert report.ok, [d.message for d in report.discrepancies]
    fresh = open_engine(store_factory())
    Indexer(ledger.w3, fresh, ledger.deployment, confirmations=0).sync()
    assert diff_stores(fresh, store) == []  # a replay gives the same rows


def test_verify_names_a_tampered_pool_balance(anvil_ledger: AnvilLedger, store: sa.Engine) -> None:
    ledger = anvil_ledger
    pc.pool_life(ledger)
    Indexer(ledger.w3, store, ledger.deployment, confirmations=0).sync()
    row = rows(store, s.pool_balances)[0]
    set_column(store, s.pool_balances, row, "units", row["units"] + 1)
    report = verify(ledger.w3, ledger.deployment, store)
    assert not report.ok
    found = {(d.kind, d.event, d.field) for d in report.discrepancies}
    assert ("store", "pool_balances", "units") in found
    assert any(
        d.kind == "pool" and "pool_balances sum to" in d.message for d in report.discrepancies
    )


def test_verify_names_a_store_whose_pool_supply_is_off_by_one(
    anvil_ledger: AnvilLedger, store: sa.Engine
) -> None:
    ledger = anvil_ledger
    pc.pool_life(ledger)
    Indexer(ledger.w3, store, ledger.deployment, confirmations=0).sync()
    (pool,) = rows(store, s.pools)
    set_column(store, s.pools, pool, "supply", pool["supply"] - 1)
    report = verify(ledger.w3, ledger.deployment, store)
    messages = [d.message for d in report.discrepancies if d.kind == "pool"]
    assert any("its token holds 240 t in serial_ranges" in m for m in messages), messages
    assert any("pool_balances sum to 240" in m for m in messages), messages
    assert ("store", "pools", "supply") in {
        (d.kind, d.event, d.field) for d in report.discrepancies
    }


def test_pool_events_in_a_reorg_are_undone_and_the_new_branch_followed(
    anvil_ledger: AnvilLedger,
    store: sa.Engine,
    store_factory: StoreFactory,
    open_engine: EngineOpener,
) -> None:
    ledger, w3 = anvil_ledger, anvil_ledger.w3
    a = ledger.alice
    pool_id, token = pc.create_pool(ledger, pc.rules((ledger.vcs,)))
    batch = pc.bridge_vintage(ledger, 100, a.account, dt.date(2018, 1, 1))
    first = ledger.admin.batch(batch).first_serial
    pc.deposit(a, pool_id, batch, first, first + 49)
    indexer = Indexer(w3, store, ledger.deployment, confirmations=24)
    indexer.sync()
    fork = snapshot(w3)
    # Chain A: more deposits, a transfer, an approval, a redeem, a retirement, a tightening.
    pc.deposit(a, pool_id, batch, first + 50, first + 89)
    pc.token_call(a, token, "transfer", ledger.bob.sender.address, 30)  # type: ignore[union-attr]
    pc.token_call(a, token, "approve", ledger.carol.sender.address, 7)  # type: ignore[union-attr]
    pc.redeem(ledger.bob, pool_id, 20)
    pc.retire(a, pool_id, 10)
    pc.tighten(
        ledger,
        pool_id,
        pc.rules((ledger.vcs,), vintage_from=20170101, modes=(0, 0, 1)),
        methodologies=("VM0015",),
    )
    indexer.sync()
    assert verify(w3, ledger.deployment, store).ok
    assert rows(store, s.pool_approvals) and rows(store, s.pool_unit_moves)
    assert [r["value"] for r in rows(store, s.pool_list_entries)] == ["VM0015"]

    revert(w3, fork)
    ledger.reset_caches()
    # Chain B: a second pool, and a redeem from the first, over more blocks than chain A.
    pc.create_pool(ledger, pc.rules((ledger.gs,)), name="B", symbol="B")
    pc.redeem(a, pool_id, 5)
    from tests.chain.indexer.support import mine

    mine(w3, 8)
    indexer.sync()
    assert indexer.reorgs == 1
    report = verify(w3, ledger.deployment, store)
    assert report.ok, [d.message for d in report.discrepancies]
    _assert_pools_match_chain(ledger, store)
    fresh = open_engine(store_factory())
    Indexer(w3, fresh, ledger.deployment, confirmations=24).sync()
    assert diff_stores(fresh, store) == []
    assert rows(store, s.pool_approvals) == []
    assert rows(store, s.pool_list_entries) == []  # chain A's tightening and its list undone
    assert [p["name"] for p in rows(store, s.pools)] == [pc.POOL_NAME, "B"]
