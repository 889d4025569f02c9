"""The pool tables as the writer derives them, on SQLite and PostgreSQL, from a pool's life
written as the contract logs it (``pool_events``): every row exact, hostile values (a pool
name in four scripts, the longest symbol, an unlimited allowance, a bitmap of programme 255)
byte for byte, a reorg undone to what the surviving blocks alone give, a replay idempotent,
and the indexer refusing units that were never held (rather than storing a negative).
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from chain.errors import IndexerError
from chain.indexer._pools import list_tag
from chain.indexer.rollback import rollback_to
from chain.store import schema as s
from tests.chain.conftest import StoreFactory
from tests.chain.indexer.pool_events import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    LONG_SYMBOL,
    MAX_UINT256,
    POOL_NAME,
    TOKEN,
    TOKEN_2,
    ZERO,
    Log,
    lifecycle,
    open_mirror,
    rules,
    write_events,
)
from tests.chain.indexer.support import rows, snapshot_store


@pytest.fixture
def engine(store_factory: StoreFactory) -> sa.Engine:
    return open_mirror(store_factory)


def _by(table: sa.Table, engine: sa.Engine, *key: str) -> dict[Any, dict[str, Any]]:
    return {tuple(r[k] for k in key) if len(key) > 1 else r[key[0]]: r for r in rows(engine, table)}


def test_a_pool_lifecycle_is_mirrored_exactly(engine: sa.Engine) -> None:
    log = lifecycle()
    write_events(engine, log.events)

    (pool,) = rows(engine, s.pools)
    created = next(e for e in log.events if e.name == "PoolCreated")
    tightened = next(e for e in log.events if e.name == "PoolRulesTightened")
    assert pool == {
        "id": 1,
        "token": TOKEN,
        "name": POOL_NAME,
        "symbol": LONG_SYMBOL,
        "programmes": "0x" + "0" * 63 + "2",
        "vintage_from": 20160101,
        "vintage_to": 0,
        "labels_required": 1,
        "country_mode": 1,
        "type_mode": 2,
        "methodology_mode": 2,
        "supply": 120,
        "rules_seq": tightened.seq,
        "actor": created.fields["actor"],
        "seq": created.seq,
        "block_number": created.block_number,
        "tx_hash": created.tx_hash,
    }
    entries = {
        (r["kind"], r["value"]): (r["listed"], r["tag"]) for r in rows(engine, s.pool_list_entries)
    }
    assert entries == {
        (0, "ET"): (True, list_tag("ET")),
        (0, "BR"): (False, list_tag("BR")),
        (1, "AFOLU"): (True, list_tag("AFOLU")),
        (2, "VM0007"): (True, list_tag("VM0007")),
    }
    balances = {r["account"]: r["units"] for r in rows(engine, s.pool_balances)}
    assert balances == {ALICE: 50, BOB: 55, CAROL: 5, DAVE: 10}
    assert sum(balances.values()) == pool["supply"]
    approvals = {(r["owner"], r["spender"]): r["amount"] for r in rows(engine, s.pool_approvals)}
    assert approvals == {(ALICE, CAROL): str(MAX_UINT256)}  # bob's 10 were spent: no row

    kinds = [
        (r["kind"], r["from_account"], r["to_account"], r["amount"])
        for r in rows(engine, s.pool_unit_moves)
    ]
    assert kinds == [
        ("deposit", ZERO, ALICE, 100),
        ("deposit", ZERO, BOB, 50),
        ("deposit", ZERO, ALICE, 50),
        ("transfer", ALICE, DAVE, 30),
        ("transfer", ALICE, BOB, 10),
        ("transfer", BOB, CAROL, 5),
        ("redeem", DAVE, ZERO, 20),
        ("retire", ALICE, ZERO, 60),
    ]
    serials = [
        (r["kind"], r["account"], r["batch_id"], r["first_serial"], r["last_serial"])
        for r in rows(engine, s.pool_serial_moves)
    ]
    assert serials == [
        ("deposit", ALICE, 1, 1, 100),
        ("deposit", BOB, 2, 2001, 2050),
        ("deposit", ALICE, 1, 101, 150),
        ("redeem", DAVE, 2, 2001, 2020),
        ("retire", ALICE, 2, 2021, 2050),
        ("retire", ALICE, 1, 1, 30),
    ]
    # The holdings: the pool holds what it was given less what left it; a pool retirement's
    # range is the retirer's (SerialsMoved from the pool to the retirer, Retired).
    held = [
        (r["batch_id"], r["first_serial"], r["last_serial"], r["holder"], r["state"])
        for r in rows(engine, s.serial_ranges)
        if r["holder"] in (TOKEN, DAVE) or r["state"] == 2
    ]
    assert held == [
        (1, 1, 30, ALICE, 2),
        (1, 31, 100, TOKEN, 1),
        (1, 101, 150, TOKEN, 1),
        (2, 2001, 2020, DAVE, 1),
        (2, 2021, 2050, ALICE, 2),
    ]
    assert [
        (r["holder"], r["batch_id"], r["first_serial"]) for r in rows(engine, s.retirements)
    ] == [
        (ALICE, 2, 2021),
        (ALICE, 1, 1),
    ]
    (programme,) = rows(engine, s.programs)
    assert (programme["id"], programme["unit_grams"]) == (1, 1_000_000)


def test_one_chunk_or_a_chunk_per_block_give_the_same_rows(store_factory: StoreFactory) -> None:
    log = lifecycle()
    one, many = open_mirror(store_factory), open_mirror(store_factory)
    write_events(one, log.events, per_block=False)
    write_events(many, log.events)
    assert snapshot_store(one) == snapshot_store(many)


@pytest.mark.parametrize("block", [1, 2, 3, 4])
def test_a_reorg_undoes_the_pool_rows_of_the_blocks_above_the_ancestor(
    store_factory: StoreFactory, block: int
) -> None:
    """Rolled back to ``block``, the store equals one that only ever saw blocks up to it."""
    log = lifecycle()
    full, want = open_mirror(store_factory), open_mirror(store_factory)
    write_events(full, log.events)
    write_events(want, [e for e in log.events if e.block_number <= block])
    last = max(e.block_number for e in log.events if e.block_number <= block)
    with full.begin() as conn:
        rollback_to(conn, last, "0x" + f"{last:064x}")
    with want.begin() as conn:  # the checkpoint the rollback wrote
        conn.execute(
            s.checkpoint.update().values(block_number=last, block_hash="0x" + f"{last:064x}")
        )
    got, expected = snapshot_store(full), snapshot_store(want)
    for table in s.POOL_TABLES:
        assert got[table.name] == expected[table.name], table.name
    assert got["serial_ranges"] == expected["serial_ranges"]


def test_a_reorg_then_the_new_branch_gives_the_new_branch_rows(store_factory: StoreFactory) -> None:
    """After a rollback the writer (cache forgotten) applies another branch on top exactly as a
    store that only saw that branch."""
    base = Log()
    base.setup()
    base.create_pool()
    base.block()
    ancestor = base.number - 1
    branch_a = Log(list(base.events), base.number)
    branch_a.deposit(ALICE, 1, 1, 10)
    branch_a.approve(ALICE, BOB, 7)
    branch_b = Log(list(base.events), base.number)
    branch_b.deposit(BOB, 2, 2001, 2002)
    branch_b.transfer(BOB, CAROL, 1, BOB)
    store, want = open_mirror(store_factory), open_mirror(store_factory)
    write_events(store, branch_a.events)
    with store.begin() as conn:
        rollback_to(conn, ancestor, "0x" + f"{ancestor:064x}")
    write_events(store, branch_b.events[len(base.events) :])
    write_events(want, branch_b.events)
    got, expected = snapshot_store(store), snapshot_store(want)
    for table in (*s.POOL_TABLES, s.serial_ranges, s.events):
        assert got[table.name] == expected[table.name], table.name


def test_a_tightening_s_lists_follow_it_in_its_transaction_and_survive_a_reorg_above(
    store_factory: StoreFactory,
) -> None:
    """``PoolRulesTightened`` sets the rules only: the lists its transaction writes after it
    (a kind moved from any) stay, and a rollback above the tightening rebuilds the pool with
    them, as a store that only saw the surviving blocks has them."""
    log = Log()
    log.setup()
    log.create_pool(lists=())
    log.block()
    log.tighten(1, rules(modes=(1, 2, 0)), ((0, "ET"), (0, "KE"), (1, "AFOLU")))
    log.block()
    ancestor = log.number - 1
    log.deposit(ALICE, 1, 1, 10)
    log.list_update(1, 0, "KE", False)
    full, want = open_mirror(store_factory), open_mirror(store_factory)
    write_events(full, log.events)
    entries = {(r["kind"], r["value"]): r["listed"] for r in rows(full, s.pool_list_entries)}
    assert entries == {(0, "ET"): True, (0, "KE"): False, (1, "AFOLU"): True}
    (pool,) = rows(full, s.pools)
    assert (pool["country_mode"], pool["type_mode"], pool["methodology_mode"]) == (1, 2, 0)

    write_events(want, [e for e in log.events if e.block_number <= ancestor])
    with full.begin() as conn:
        rollback_to(conn, ancestor, "0x" + f"{ancestor:064x}")
    with want.begin() as conn:
        conn.execute(
            s.checkpoint.update().values(
                block_number=ancestor, block_hash="0x" + f"{ancestor:064x}"
            )
        )
    got, expected = snapshot_store(full), snapshot_store(want)
    for table in s.POOL_TABLES:
        assert got[table.name] == expected[table.name], table.name
    assert {(r["kind"], r["value"]) for r in rows(full, s.pool_list_entries) if r["listed"]} == {
        (0, "ET"),
        (0, "KE"),
        (1, "AFOLU"),
    }


def test_hostile_values_round_trip_exactly(engine: sa.Engine) -> None:
    """Every value the contract accepts, stored exactly: the programme bitmap with bit 255, a
    name mixing scripts and an emoji, the longest symbol (64 bytes of 2-byte characters), the
    widest window, an unlimited allowance, a list value with a quote and a percent sign."""
    log = Log()
    log.setup()
    everything = MAX_UINT256 - 1  # bits 1..255: every programme id
    log.create_pool(
        pool_id=4_294_967_295,
        token=TOKEN_2,
        name="x" * 254 + "é",  # 256 bytes: the longest name
        symbol=LONG_SYMBOL,
        pool_rules=rules(
            programmes=everything,
            vintage_from=19000101,
            vintage_to=99991231,
            labels=15,
            modes=(2, 2, 2),
        ),
        lists=((0, "Côte d'Ivoire 100%"), (2, "VM0015 — 'quoted' \"double\"")),
    )
    log.approve(ALICE, BOB, MAX_UINT256, pool=4_294_967_295)
    write_events(engine, log.events)
    (pool,) = rows(engine, s.pools)
    assert pool["id"] == 4_294_967_295
    assert int(pool["programmes"], 16) == everything
    assert pool["name"] == "x" * 254 + "é"
    assert pool["symbol"] == LONG_SYMBOL and len(pool["symbol"].encode()) == 64
    assert (pool["vintage_from"], pool["vintage_to"], pool["labels_required"]) == (
        19000101,
        99991231,
        15,
    )
    assert {r["value"] for r in rows(engine, s.pool_list_entries)} == {
        "Côte d'Ivoire 100%",
        "VM0015 — 'quoted' \"double\"",
    }
    (approval,) = rows(engine, s.pool_approvals)
    assert int(approval["amount"]) == MAX_UINT256


def test_the_unicode_pool_name_round_trips(engine: sa.Engine) -> None:
    log = Log()
    log.setup()
    log.create_pool()
    write_events(engine, log.events)
    assert rows(engine, s.pools)[0]["name"] == POOL_NAME


def test_units_never_held_stop_the_indexer_naming_the_event(engine: sa.Engine) -> None:
    log = Log()
    log.setup()
    log.create_pool()
    log.deposit(ALICE, 1, 1, 5)
    log.transfer(ALICE, BOB, 6, ALICE)
    with pytest.raises(IndexerError, match=r"moves 6 units of pool 1, holding 5"):
        write_events(engine, log.events, per_block=False)


def test_an_allowance_overspent_stops_the_indexer(engine: sa.Engine) -> None:
    log = Log()
    log.setup()
    log.create_pool()
    log.deposit(ALICE, 1, 1, 5)
    log.approve(ALICE, BOB, 2)
    log.transfer(ALICE, CAROL, 3, BOB)
    with pytest.raises(IndexerError, match=r"allowed 2"):
        write_events(engine, log.events, per_block=False)


def test_units_of_an_unknown_pool_stop_the_indexer(engine: sa.Engine) -> None:
    log = Log()
    log.setup()
    log.transfer(ALICE, BOB, 1, ALICE, pool=9)
    with pytest.raises(IndexerError, match=r"pool 9, which the store does not have"):
        write_events(engine, log.events, per_block=False)


def test_a_supply_beyond_the_store_is_refused_loudly(engine: sa.Engine) -> None:
    log = Log()
    log.setup()
    log.create_pool()
    log.tx()
    log.units(1, ZERO, ALICE, 2**63, ALICE)
    with pytest.raises(IndexerError, match=r"beyond what the store can hold"):
        write_events(engine, log.events, per_block=False)
