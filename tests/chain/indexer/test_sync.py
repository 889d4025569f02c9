"""Indexing a busy ledger on anvil into SQLite and PostgreSQL: backfill, incremental syncs,
idempotence, replay after a rollback, following in a thread, progress reports."""

from __future__ import annotations

import gc
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from web3 import Web3

from chain.errors import IndexerBusy
from chain.indexer import core
from chain.indexer.core import Indexer, Progress
from chain.indexer.rollback import rollback_to
from chain.indexer.source import LogSource
from chain.store import schema as s
from chain.store.diff import diff_stores
from chain.transactions import NonceManager
from chain.verify import verify
from tests.chain.conftest import EngineOpener, StoreFactory
from tests.chain.indexer.support import (
    AnvilLedger,
    assert_store_matches_chain,
    chain_events,
    checkpoint,
    copy_store,
    deploy_anvil_ledger,
    position,
    settle,
    snapshot_store,
    wait_until,
    workload,
)

pytestmark = pytest.mark.anvil


@pytest.fixture(scope="module")
def busy(anvil_w3: Web3, anvil_nonces: NonceManager) -> Iterator[AnvilLedger]:
    """One ledger with a workload of every kind; tests may add more (and settle it)."""
    ledger = deploy_anvil_ledger(anvil_w3, anvil_nonces)
    settle(ledger, workload(ledger, random.Random(11), 40))
    yield ledger


def _verified(ledger: AnvilLedger, engine: sa.Engine) -> None:
    report = verify(ledger.w3, ledger.deployment, engine)
    assert report.ok, [d.message for d in report.discrepancies]
    assert report.store_block == ledger.w3.eth.block_number
    assert_store_matches_chain(ledger, engine)


def test_backfill_then_incremental_syncs_match_the_chain(
    busy: AnvilLedger, store: sa.Engine
) -> None:
    indexer = Indexer(busy.w3, store, busy.deployment, confirmations=0)
    first = indexer.sync()
    assert first.events == busy.admin.audit_state().seq
    assert first.block == first.head == busy.w3.eth.block_number
    _verified(busy, store)

    before = busy.admin.audit_state().seq
    settle(busy, workload(busy, random.Random(12), 8))
    second = indexer.sync()  # the same indexer, its holdings cache warm
    assert second.events == busy.admin.audit_state().seq - before > 0
    _verified(busy, store)

    settle(busy, workload(busy, random.Random(13), 6))
    third = Indexer(busy.w3, store, busy.deployment, confirmations=0).sync()  # a restart
    assert third.audit_seq == busy.admin.audit_state().seq
    _verified(busy, store)


def test_syncing_again_changes_nothing(
    busy: AnvilLedger,
    store: sa.Engine,
    store_factory: StoreFactory,
    open_engine: EngineOpener,
) -> None:
    Indexer(busy.w3, store, busy.deployment, confirmations=0).sync()
    copy = open_engine(store_factory())
    copy_store(store, copy)
    before = snapshot_store(store)

    again = Indexer(busy.w3, store, busy.deployment, confirmations=0)
    assert again.sync().events == 0
    assert again.sync().events == 0
    assert snapshot_store(store) == before
    assert diff_stores(copy, store) == []


def test_confirmed_and_unconfirmed_paths_build_the_same_store(
    busy: AnvilLedger, store: sa.Engine, store_factory: StoreFactory, open_engine: EngineOpener
) -> None:
    """confirmations=0 reads everything in ranges; confirmations=12 reads the last 12 blocks
    one by one with their parent hashes: the stores must agree row for row."""
    Indexer(busy.w3, store, busy.deployment, confirmations=0).sync()
    careful = open_engine(store_factory())
    Indexer(busy.w3, careful, busy.deployment, confirmations=12).sync()
    assert diff_stores(store, careful) == []
    assert checkpoint(store) | {"updated_at": 0} == checkpoint(careful) | {"updated_at": 0}
    with careful.connect() as conn:
        kept = conn.execute(sa.select(s.blocks.c.number).order_by(s.blocks.c.number)).scalars()
        kept_blocks = list(kept)
    head = busy.w3.eth.block_number
    # Only the reorg window is kept: the last 12 blocks and the final block below them.
    assert kept_blocks == list(range(head - 12, head + 1))


def test_sync_until_a_block_then_to_the_head_equals_one_sync(
    busy: AnvilLedger, store: sa.Engine, store_factory: StoreFactory, open_engine: EngineOpener
) -> None:
    events = chain_events(busy)
    middle = events[len(events) // 2].block_number
    indexer = Indexer(busy.w3, store, busy.deployment, confirmations=0)
    part = indexer.sync(until=middle)
    assert part.block == middle
    assert part.audit_seq == max(e.seq for e in events if e.block_number <= middle)
    indexer.sync()
    whole = open_engine(store_factory())
    Indexer(busy.w3, whole, busy.deployment, confirmations=0).sync()
    assert diff_stores(whole, store) == []


def test_a_rollback_then_a_replay_rebuilds_every_row(busy: AnvilLedger, store: sa.Engine) -> None:
    """Applying blocks again after undoing them (what a reorg does) changes nothing: each
    derived table is rebuilt from the events that remain, for several cut points."""
    Indexer(busy.w3, store, busy.deployment, confirmations=0).sync()
    reference = snapshot_store(store)
    reference.pop("blocks")
    blocks = sorted({e.block_number for e in chain_events(busy)})
    for cut in [*random.Random(5).sample(blocks[:-1], 4), blocks[0], blocks[-1] - 1]:
        cut_hash = "0x" + bytes(busy.w3.eth.get_block(cut)["hash"]).hex()
        with store.begin() as conn:
            kept = rollback_to(conn, cut, cut_hash)
        assert kept == max(e.seq for e in chain_events(busy) if e.block_number <= cut)
        cp = checkpoint(store)
        assert (cp["block_number"], cp["block_hash"], cp["audit_seq"]) == (cut, cut_hash, kept)
        Indexer(busy.w3, store, busy.deployment, confirmations=0).sync()
        after = snapshot_store(store)
        after.pop("blocks")
        assert after == reference, f"replaying from block {cut}"


def test_follow_in_a_thread_picks_up_new_blocks(busy: AnvilLedger, store: sa.Engine) -> None:
    reports: list[Progress] = []
    indexer = Indexer(busy.w3, store, busy.deployment, confirmations=3, on_progress=reports.append)
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            indexer.follow(stop, poll_interval=0.05)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        seq = busy.admin.audit_state().seq
        wait_until(lambda: bool(errors) or position(store)[0] == seq)  # the backfill
        settle(busy, workload(busy, random.Random(21), 8))  # then new blocks
        seq = busy.admin.audit_state().seq
        head = busy.w3.eth.block_number
        wait_until(lambda: bool(errors) or position(store) == (seq, head))
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive(), "follow did not stop when asked"
    assert errors == []
    assert reports and reports[-1].lag == 0 and reports[-1].audit_seq == seq
    _verified(busy, store)


def test_progress_reports_lag_and_events(busy: AnvilLedger, store: sa.Engine) -> None:
    reports: list[Progress] = []
    source = LogSource(busy.w3, busy.deployment.address, max_span=4)
    total = busy.admin.audit_state().seq
    head = busy.w3.eth.block_number
    final = Indexer(
        busy.w3,
        store,
        busy.deployment,
        confirmations=0,
        source=source,
        on_progress=reports.append,
    ).sync()
    assert len(reports) >= (head - busy.deployment.deploy_block) // 4
    blocks = [p.block for p in reports]
    assert blocks == sorted(set(blocks)), "each report is a new checkpoint"
    assert all(p.head == head and p.lag == head - p.block for p in reports)
    assert reports[0].lag > 0 and reports[-1].lag == 0
    events = [p.events for p in reports]
    assert events == sorted(events) and events[-1] == total
    assert all(0 < p.audit_seq <= total for p in reports)
    assert reports[-1].events_per_second > 0
    assert (final.block, final.events, final.audit_seq, final.lag) == (head, total, total, 0)


def test_two_indexers_at_once_leave_a_consistent_store(
    busy: AnvilLedger, store: sa.Engine, store_factory: StoreFactory, open_engine: EngineOpener
) -> None:
    """Two indexers (say `serve` and `index --follow`) started at once on one store: the one
    that takes the store's lock indexes, the other stops with ``IndexerBusy`` (or, started
    after the first finished, has nothing left to do); the store stays whole."""
    errors: list[Exception] = []

    def run() -> None:
        source = LogSource(busy.w3, busy.deployment.address, max_span=2)
        try:
            Indexer(busy.w3, store, busy.deployment, confirmations=0, source=source).sync()
        except Exception as exc:  # the one that found the lock taken
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(errors) <= 1, errors
    assert all(isinstance(e, IndexerBusy) for e in errors), errors
    Indexer(busy.w3, store, busy.deployment, confirmations=0).sync()  # a restart finishes
    reference = open_engine(store_factory())
    Indexer(busy.w3, reference, busy.deployment, confirmations=0).sync()
    assert diff_stores(reference, store) == []
    _verified(busy, store)


def test_a_large_answer_is_written_in_parts(
    busy: AnvilLedger,
    store: sa.Engine,
    store_factory: StoreFactory,
    open_engine: EngineOpener,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One answer for the whole chain, cut into transactions between blocks: each part moves
    the checkpoint to its own last block, and the store is the one a plain sync builds."""
    monkeypatch.setattr(core, "PART_LOGS", 5)
    reports: list[Progress] = []
    indexer = Indexer(busy.w3, store, busy.deployment, confirmations=0, on_progress=reports.append)
    indexer.source.span = indexer.source.max_span  # the whole chain in one answer
    indexer.sync()
    events = chain_events(busy)
    by_block = [
        sum(1 for e in events if e.block_number == b) for b in {e.block_number for e in events}
    ]
    assert len(reports) >= len(events) // 14 > 1  # parts of 5 logs and the rest of a block
    assert max(by_block) < 10, "a block this large would make one part of it"
    blocks = [p.block for p in reports]
    assert blocks == sorted(set(blocks))
    ends = {e.block_number for e in events} | {busy.w3.eth.block_number}
    assert set(blocks) <= ends, "a part ends with the last of a block's logs"
    whole = open_engine(store_factory())
    Indexer(busy.w3, whole, busy.deployment, confirmations=0).sync()
    assert diff_stores(whole, store) == []
    _verified(busy, store)


class _FailingWrite(Indexer):
    """Its third write fails, slowly: by then the range after it is derived, waiting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writes: list[int] = []  # the checkpoint block of each write attempted

    def _write(self, step: Any) -> None:
        self.writes.append(step.checkpoint.block_number)
        if len(self.writes) == 3:
            time.sleep(0.3)
            raise RuntimeError("the database went away")
        super()._write(step)


def test_a_failed_write_stops_the_sync_and_the_writes_queued_behind_it(
    busy: AnvilLedger,
    store: sa.Engine,
    store_factory: StoreFactory,
    open_engine: EngineOpener,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A write that fails stops the sync with its own error; what was derived after it is not
    written (the store stays at the last write that succeeded), and a restart completes the
    store."""
    monkeypatch.setattr(core, "PART_LOGS", 5)
    indexer = _FailingWrite(busy.w3, store, busy.deployment, confirmations=0)
    indexer.source.span = indexer.source.max_span  # one answer, many parts
    with pytest.raises(RuntimeError, match="the database went away"):
        indexer.sync()
    assert len(indexer.writes) == 3, "nothing was attempted after the failed write"
    assert checkpoint(store)["block_number"] == indexer.writes[1]
    Indexer(busy.w3, store, busy.deployment, confirmations=0).sync()
    whole = open_engine(store_factory())
    Indexer(busy.w3, whole, busy.deployment, confirmations=0).sync()
    assert diff_stores(whole, store) == []


@pytest.mark.parametrize("last", [False, True])
def test_an_answer_is_cut_between_blocks_with_small_edges(
    last: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten blocks of four logs, parts of about 8: the first part is small (``EDGE_LOGS``), and
    so is the last when the answer ends a catch-up; no block is split."""
    monkeypatch.setattr(core, "PART_LOGS", 8)
    monkeypatch.setattr(core, "EDGE_LOGS", 3)
    logs: list[dict[str, object]] = [{"blockNumber": hex(b)} for b in range(1, 11) for _ in "abcd"]
    parts = core._parts(logs, 12, last=last)
    assert [len(p) for p, _ in parts] == [4, 8, 8, 8] + ([8, 4] if last else [12])
    assert [end for _, end in parts] == [1, 3, 5, 7] + ([9, 12] if last else [12])
    assert [log for p, _ in parts for log in p] == logs


def test_the_last_answer_of_a_catch_up_ends_with_a_small_part(
    busy: AnvilLedger, store: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole chain in one answer: written as two transactions, the second of its last
    block(s) (``EDGE_LOGS``; ``_parts`` is tested above), each moving the checkpoint."""
    monkeypatch.setattr(core, "EDGE_LOGS", 3)
    reports: list[Progress] = []
    indexer = Indexer(busy.w3, store, busy.deployment, confirmations=0, on_progress=reports.append)
    indexer.source.span = indexer.source.max_span
    indexer.sync()
    blocks = {e.block_number for e in chain_events(busy)}
    assert len(reports) == 2 and reports[0].block in blocks
    assert reports[0].block < max(blocks) <= reports[1].block
    _verified(busy, store)


def test_a_sync_pauses_the_cyclic_collector_and_restores_it(
    busy: AnvilLedger, store: sa.Engine
) -> None:
    seen: list[bool] = []
    indexer = Indexer(
        busy.w3,
        store,
        busy.deployment,
        confirmations=0,
        on_progress=lambda _: seen.append(gc.isenabled()),
    )
    assert gc.isenabled()
    indexer.sync()
    assert seen and not any(seen)
    assert gc.isenabled()

    def fail(_: Progress) -> None:
        raise RuntimeError("stop")

    settle(busy, workload(busy, random.Random(31), 2))
    indexer.on_progress = fail
    with pytest.raises(RuntimeError, match="stop"):
        indexer.sync()
    assert gc.isenabled()
    gc.disable()
    try:
        indexer.on_progress = None
        indexer.sync()
        assert not gc.isenabled(), "a collector that was off stays off"
    finally:
        gc.enable()
