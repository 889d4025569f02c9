"""Group commit for the API's own tables: many requests' small writes share one transaction.

Every write the API makes (audit log entries, idempotency records, submission states) is a
*job*, a function of a connection, handed to the one ``Journal`` thread. It takes every job
waiting, runs each inside its own savepoint (a failing job is rolled back alone and gets its
exception), commits once, and only then resolves the jobs' futures: a caller that awaited its
job knows the row is durable. Under load hundreds of requests share a commit, so the store's
one-writer-at-a-time (SQLite) never becomes the API's limit, and jobs run in the order they
were submitted, which the hash-chained audit log relies on.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Engine

T = TypeVar("T")
Job = Callable[[Connection], Any]
log = logging.getLogger("carbon_ledger.api.journal")

MAX_GROUP = 500
"""Jobs per transaction at most, so one commit never holds the write lock for long."""


class JournalClosed(RuntimeError):
    pass


class Journal:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: queue.SimpleQueue[tuple[Job, Future[Any]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
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
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self.engine.begin() as conn:
                for job, _ in group:
                    savepoint = conn.begin_nested()
                    try:
                        result = job(conn)
                    except Exception as exc:
                        savepoint.rollback()
                        outcomes.append((False, exc))
                    else:
                        savepoint.commit()
                        outcomes.append((True, result))
        except Exception as exc:
            log.exception("journal commit of %d jobs failed", len(group))
            for _, future in group:
                future.set_exception(exc)
            return
        self.commits += 1
        self.jobs += len(group)
        for (ok, value), (_, future) in zip(outcomes, group, strict=True):
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
