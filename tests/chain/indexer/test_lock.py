"""One indexer per store: a second one, in this process or another, stops with ``IndexerBusy``
naming the holder and writes nothing; the lock is released however a sync ends, re-entered by
``follow``, and not taken at all for an in-memory store."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import StaticPool
from web3 import Web3

from chain.anvil import LocalNode
from chain.errors import IndexerBusy
from chain.indexer.core import Indexer
from chain.indexer.lock import LOCK_SUFFIX, StoreLock
from chain.store.engine import migrate
from chain.transactions import NonceManager
from chain.verify import verify
from tests.chain.conftest import EngineOpener, StoreFactory
from tests.chain.indexer.support import (
    AnvilLedger,
    deploy_anvil_ledger,
    position,
    settle,
    snapshot_store,
    wait_until,
    workload,
)

pytestmark = pytest.mark.anvil

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def ledger(anvil_w3: Web3, anvil_nonces: NonceManager) -> Iterator[AnvilLedger]:
    ledger = deploy_anvil_ledger(anvil_w3, anvil_nonces)
    settle(ledger, workload(ledger, random.Random(5), 6))
    yield ledger


def _indexer(ledger: AnvilLedger, engine: sa.Engine) -> Indexer:
    return Indexer(ledger.w3, engine, ledger.deployment, confirmations=0)


def _at_head(ledger: AnvilLedger) -> tuple[int, int]:
    return ledger.admin.audit_state().seq, ledger.w3.eth.block_number


def _holder_named(message: str, engine: sa.Engine) -> None:
    """The message names this process as the holder (and, on PostgreSQL, its session)."""
    assert f"pid {os.getpid()} on host {socket.gethostname()}, " in message, message
    assert message.endswith("stop it or index into another --db"), message
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            backend = conn.scalar(
                sa.text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database"
                    " = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            )
        assert f"PostgreSQL backend {backend}, " in message, message
    else:
        assert str(Path(str(engine.url.database)).resolve()) in message, message


def _beside(store: sa.Engine, open_engine: EngineOpener) -> sa.Engine:
    """Another engine on the same store, as a second indexer process would open."""
    return open_engine(store.url.render_as_string(hide_password=False))


def _memory_store() -> sa.Engine:
    """An in-memory store as ``audit verify`` makes one."""
    engine = sa.create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    migrate(engine)
    return engine


def test_a_second_indexer_is_refused_and_writes_nothing_until_the_first_lets_go(
    ledger: AnvilLedger, store: sa.Engine, open_engine: EngineOpener
) -> None:
    holder, second = _indexer(ledger, store), _indexer(ledger, _beside(store, open_engine))
    with holder.store_lock:
        with pytest.raises(IndexerBusy) as busy:
            second.sync()
        _holder_named(str(busy.value), store)
        assert position(store) == (-1, -1), "the refused indexer wrote nothing"
        assert second.store_lock.depth == 0
    assert second.sync().audit_seq == ledger.admin.audit_state().seq
    assert position(store) == _at_head(ledger)


def test_a_second_indexer_is_refused_while_one_follows(
    ledger: AnvilLedger, store: sa.Engine, open_engine: EngineOpener
) -> None:
    following, stop = _indexer(ledger, store), threading.Event()
    second = _indexer(ledger, _beside(store, open_engine))
    with ThreadPoolExecutor(1) as pool:
        done = pool.submit(following.follow, stop, poll_interval=0.3)
        try:
            wait_until(lambda: done.done() or position(store) == _at_head(ledger))
            before = snapshot_store(store)
            for _ in range(3):  # during a sync of the follower's, or between two
                with pytest.raises(IndexerBusy) as busy:
                    second.sync()
                _holder_named(str(busy.value), store)
            assert snapshot_store(store) == before
        finally:
            stop.set()
        done.result(timeout=10)  # stopped when asked, and raised nothing
    settle(ledger, workload(ledger, random.Random(6), 2))
    assert second.sync().audit_seq == ledger.admin.audit_state().seq
    assert position(store) == _at_head(ledger)


def test_catch_up_waits_for_the_indexer_that_holds_the_store(
    ledger: AnvilLedger, store: sa.Engine, open_engine: EngineOpener
) -> None:
    """A command that reads the store (``import``) beside ``serve``: it does not index, it
    waits until serve's indexer has indexed up to the head, then reads a current store."""
    following, stop = _indexer(ledger, store), threading.Event()
    reader = _indexer(ledger, _beside(store, open_engine))
    with ThreadPoolExecutor(1) as pool:
        with following.store_lock:  # taken before the follower has indexed anything
            done = pool.submit(following.follow, stop, poll_interval=0.3)
            try:
                cp = reader.catch_up(timeout=30)
                assert (cp.audit_seq, cp.block_number) == _at_head(ledger)
                settle(ledger, workload(ledger, random.Random(7), 2))
                cp = reader.catch_up(timeout=30)
                assert (cp.audit_seq, cp.block_number) == _at_head(ledger)
                assert reader.store_lock.depth == 0
            finally:
                stop.set()
        done.result(timeout=10)


def test_catch_up_gives_up_on_a_holder_that_does_not_index(
    ledger: AnvilLedger, store: sa.Engine, open_engine: EngineOpener
) -> None:
    stuck = _indexer(ledger, store)
    reader = _indexer(ledger, _beside(store, open_engine))
    with stuck.store_lock:
        with pytest.raises(IndexerBusy) as busy:
            reader.catch_up(timeout=0.5, poll=0.1)
        message = str(busy.value)
        _holder_named(message.split("; waited")[0], store)
    head = ledger.w3.eth.block_number
    assert (
        f"waited 0 s for it to index up to block {head}, but the store has no checkpoint yet"
        in (message)
    )
    assert position(store) == (-1, -1)


def test_the_lock_is_released_when_a_sync_fails_and_when_it_ends(
    ledger: AnvilLedger, store: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, other = _indexer(ledger, store), StoreLock(store)

    def broken() -> int:
        raise RuntimeError("the node went away")

    with monkeypatch.context() as patch:
        patch.setattr(first.source, "head", broken)
        with pytest.raises(RuntimeError, match="the node went away"):
            first.sync()
    assert first.store_lock.depth == 0
    with other:  # free again
        pass

    def interrupted() -> int:
        raise KeyboardInterrupt  # how `index --follow` is stopped

    with monkeypatch.context() as patch:
        patch.setattr(first.source, "head", interrupted)
        with pytest.raises(KeyboardInterrupt):
            first.follow(threading.Event(), poll_interval=0.01)
    with other:
        pass

    assert first.sync().audit_seq == ledger.admin.audit_state().seq
    assert first.store_lock.depth == 0
    with other, pytest.raises(IndexerBusy):
        first.sync()  # proves `other` really holds it, so the entries above meant free
    assert first.sync().block == ledger.w3.eth.block_number


def test_follow_reenters_its_own_lock_and_holds_it_between_syncs(
    ledger: AnvilLedger, store: sa.Engine
) -> None:
    indexer = _indexer(ledger, store)
    stop = threading.Event()
    original = indexer.source.head
    seen: list[tuple[int, bool]] = []

    def head() -> int:
        refused = False
        try:
            with StoreLock(store):
                pass
        except IndexerBusy:
            refused = True
        seen.append((indexer.store_lock.depth, refused))
        if len(seen) >= 3:
            stop.set()
        return original()

    indexer.source.head = head  # type: ignore[method-assign]
    indexer.follow(stop, poll_interval=0.01)  # returns: neither deadlocked nor refused itself
    assert len(seen) >= 3
    assert seen == [(2, True)] * len(seen), "held by follow and re-entered by each sync"
    assert indexer.store_lock.depth == 0
    with StoreLock(store):
        pass
    assert position(store) == _at_head(ledger)


def test_separate_stores_do_not_exclude_each_other(
    ledger: AnvilLedger, store: sa.Engine, store_factory: StoreFactory, open_engine: EngineOpener
) -> None:
    """Another SQLite file, or another schema of the same PostgreSQL database."""
    elsewhere = open_engine(store_factory())
    with _indexer(ledger, store).store_lock:
        assert _indexer(ledger, elsewhere).sync().audit_seq == ledger.admin.audit_state().seq


def test_in_memory_stores_take_no_lock(
    ledger: AnvilLedger, tmp_path: Path, open_engine: EngineOpener
) -> None:
    """``audit verify`` indexes into memory while the real indexer runs; two in-memory stores
    are two stores, and nothing else can reach either."""
    one, two = _memory_store(), _memory_store()
    first, second = _indexer(ledger, one), _indexer(ledger, two)
    with first.store_lock, StoreLock(one), second.store_lock:
        assert first.sync().audit_seq == second.sync().audit_seq == ledger.admin.audit_state().seq

    store = open_engine(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    real = _indexer(ledger, store)
    real.sync()
    with real.store_lock:  # the store's own indexer, mid-sync
        report = verify(ledger.w3, ledger.deployment, store)
    assert report.ok, [d.message for d in report.discrepancies]


def _cli(data_dir: Path, rpc: str, db: str, *extra: str) -> list[str]:
    script = Path(sys.executable).with_name("carbon-ledger")
    entry = [str(script)] if script.exists() else [sys.executable, "-m", "cli"]
    where = ["--data-dir", str(data_dir), "--rpc", rpc, "--db", db]
    return [*entry, "index", *where, "--confirmations", "0", *extra]


def test_a_second_index_command_exits_naming_the_one_that_follows(
    ledger: AnvilLedger, anvil_node: LocalNode, tmp_path: Path, open_engine: EngineOpener
) -> None:
    ledger.deployment.save(tmp_path / "deployment.json")
    database = tmp_path / "ledger.sqlite3"
    db = f"sqlite:///{database}"
    lock_file = Path(str(database) + LOCK_SUFFIX)
    # A child inherits an ignored SIGINT, and Python then installs no KeyboardInterrupt for
    # it: run as a background job of a non-interactive shell (as CI may run it), pytest ignores
    # SIGINT, and the follower would never stop. Spawn it with the default disposition.
    ignored = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        following = subprocess.Popen(
            _cli(tmp_path, anvil_node.url, db, "--follow", "--poll", "0.1"),
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        signal.signal(signal.SIGINT, ignored)
    try:
        wait_until(
            lambda: (
                following.poll() is not None
                or (lock_file.exists() and f'"pid": {following.pid}' in lock_file.read_text())
            )
        )
        assert following.poll() is None, following.communicate()[1]
        second = subprocess.run(
            _cli(tmp_path, anvil_node.url, db), cwd=REPO, capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 2, second.stderr
        assert second.stderr.startswith(
            f"carbon-ledger: error: another indexer (pid {following.pid} on host "
            f"{socket.gethostname()}, since "
        ), second.stderr
        assert f"is writing the store {database}; stop it or index into another --db" in (
            second.stderr
        )
        assert "Traceback" not in second.stderr
    finally:
        following.send_signal(signal.SIGINT)
        try:
            _, err = following.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            following.kill()
            _, err = following.communicate()
            pytest.fail(f"the follower did not stop within 60 s of SIGINT: {err}")
    assert following.returncode == 0, err
    assert lock_file.read_text() == "", "the holder's name goes with its lock"
    engine = open_engine(db)
    assert position(engine) == _at_head(ledger)
    assert _indexer(ledger, engine).sync().events == 0  # free once the follower stopped
