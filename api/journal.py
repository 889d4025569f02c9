"""Group commit for the API's own tables: many requests' small writes share one transaction.

Every write the API makes (audit log entries, idempotency records, submission states) is a
*job*, a function of a connection, handed to the one ``Journal`` thread. It takes every job
waiting, runs them in one transaction, commits once, and only then resolves the jobs' futures:
a caller that awaited its job knows the row is durable. Under load hundreds of requests share a
commit, so the store's one-writer-at-a-time (SQLite) never becomes the API's limit, and jobs
run in the order they were submitted, which the hash-chained audit log relies on.

A job that raises rolls the group back; each of its jobs then runs again alone, so only the
failing one gets its exception. Jobs may keep what they learnt in ``memo(conn)`` (the audit
log's tail), which a rollback clears.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from chain.errors import CarbonLedgerError
from chain.store import engine as store_engine

T = TypeVar("T")
Job = Callable[[Connection], Any]
log = logging.getLogger("carbon_ledger.api.journal")

MAX_GROUP = 500
"""Jobs per transaction at most, so one commit never holds the write lock for long."""


class JournalClosed(CarbonLedgerError, RuntimeError):
    """The journal was closed (the server is stopping): the write was not taken."""


_MEMO = "carbon_ledger_journal_memo"


def memo(conn: Connection) -> dict[str, Any]:
    """Scratch a job may keep across the journal's transactions (cleared on a rollback); a
    fresh dict for a job run outside the journal."""
    found: dict[str, Any] = conn.info.get(_MEMO, {})
    return found


def writer_engine(engine: Engine) -> Engine:
    """An engine for a thread that writes, beside readers and other writers.

    On SQLite, transactions begin ``IMMEDIATE``: a writer that read first would otherwise find
    its snapshot stale when another writer committed meanwhile, and fail at once with
    "database is locked" instead of waiting its turn (the busy timeout only covers waiting for
    the lock, not upgrading a read snapshot). Other backends are returned as they are."""
    if store_engine.sqlite_file(engine.url) is None:
        return engine
    writer = store_engine.create_store_engine(engine.url.render_as_string(hide_password=False))
    sa.event.remove(writer, "begin", store_engine._sqlite_begin)
    sa.event.listen(writer, "begin", _begin_immediate)
    return writer


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Waiters:
    """Futures of event loops, resolved a batch per loop: one wake-up of the loop for a whole
    group commit instead of one per request (``call_soon_threadsafe`` writes to the loop's
    self-pipe every time, which under load cost the event loop more than the requests' own
    work there)."""

    def __init__(self) -> None:
        self._by_loop: dict[
            asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]
        ] = {}

    def add(
        self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], ok: bool, value: Any
    ) -> None:
        self._by_loop.setdefault(loop, []).append((future, ok, value))

    def deliver(self) -> None:
        for loop, items in self._by_loop.items():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(_resolve, items)
        self._by_loop.clear()


def _resolve(items: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in items:
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


Waiter = Future[Any] | tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]]


class Journal:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: queue.SimpleQueue[tuple[Job, Waiter] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._memo: dict[str, Any] = {}
        self.commits = 0
        self.jobs = 0

    def submit(self, job: Callable[[Connection], T]) -> Future[T]:
        """Queue ``job``; the future resolves once its transaction has committed."""
        future: Future[T] = Future()
        self._put(job, future)
        return future

    def _put(self, job: Job, waiter: Waiter) -> None:
        with self._lock:
            if self._closed:
                raise JournalClosed("the journal is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="journal", daemon=True)
                self._thread.start()
            self._queue.put((job, waiter))

    def run_sync(self, job: Callable[[Connection], T]) -> T:
        return self.submit(job).result()

    async def run(self, job: Callable[[Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._put(job, (loop, future))
        return await future

    def close(self) -> None:
        """Finish the queued jobs, then stop the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
            self._queue.put(None)
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            if item is None:
                break
            group = [item]
            while len(group) < MAX_GROUP:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                group.append(nxt)
            self._commit(group)

    def _commit(self, group: list[tuple[Job, Waiter]]) -> None:
        started = time.perf_counter()
        try:
            results = self._transaction([job for job, _ in group])
        except Exception as exc:
            if len(group) == 1:
                self._settle(group, [(False, exc)])
                return
            for item in group:  # find the failing job: each alone, in order
                self._commit([item])
            return
        self.commits += 1
        self.jobs += len(group)
        log.debug(
            "committed %d jobs in %.1f ms", len(group), (time.perf_counter() - started) * 1000
        )
        self._settle(group, [(True, value) for value in results])

    @staticmethod
    def _settle(group: list[tuple[Job, Waiter]], outcomes: list[tuple[bool, Any]]) -> None:
        waiters = Waiters()
        for (_, waiter), (ok, value) in zip(group, outcomes, strict=True):
            if isinstance(waiter, tuple):
                waiters.add(*waiter, ok, value)
            elif ok:
                waiter.set_result(value)
            else:
                waiter.set_exception(value)
        waiters.deliver()

    def _transaction(self, jobs: list[Job]) -> list[Any]:
        try:
            with self.engine.begin() as conn:
                conn.info[_MEMO] = self._memo
                try:
                    return [job(conn) for job in jobs]
                finally:
                    del conn.info[_MEMO]
        except BaseException:
            self._memo.clear()  # what jobs learnt in the rolled-back transaction is void
            raise
