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
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from chain.store import engine as store_engine

T = TypeVar("T")
Job = Callable[[Connection], Any]
log = logging.getLogger("carbon_ledger.api.journal")

MAX_GROUP = 500
"""Jobs per transaction at most, so one commit never holds the write lock for long."""


class JournalClosed(RuntimeError):
    pass


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
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return engine
    writer = store_engine.create_store_engine(engine.url.render_as_string(hide_password=False))
    sa.event.remove(writer, "begin", store_engine._sqlite_begin)
    sa.event.listen(writer, "begin", _begin_immediate)
    return writer


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Journal:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: queue.SimpleQueue[tuple[Job, Future[Any]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._memo: dict[str, Any] = {}
        self.commits = 0
        self.jobs = 0

    def submit(self, job: Callable[[Connection], T]) -> Future[T]:
        """Queue ``job``; the future resolves once its transaction has committed."""
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise JournalClosed("the journal is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="journal", daemon=True)
                self._thread.start()
            self._queue.put((job, future))
        return future

    def run_sync(self, job: Callable[[Connection], T]) -> T:
        return self.submit(job).result()

    async def run(self, job: Callable[[Connection], T]) -> T:
        return await asyncio.wrap_future(self.submit(job))

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

    def _commit(self, group: list[tuple[Job, Future[Any]]]) -> None:
        started = time.perf_counter()
        try:
            results = self._transaction([job for job, _ in group])
        except Exception as exc:
            if len(group) == 1:
                group[0][1].set_exception(exc)
                return
            for item in group:  # find the failing job: each alone, in order
                self._commit([item])
            return
        self.commits += 1
        self.jobs += len(group)
        log.debug(
            "committed %d jobs in %.1f ms", len(group), (time.perf_counter() - started) * 1000
        )
        for value, (_, future) in zip(results, group, strict=True):
            future.set_result(value)

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
