"""Read your writes: a write answers once the query store holds the block of its transaction.

The chain confirms a transaction before the indexer has mirrored it into the store that every
read (batches, holdings, certificates) comes from. ``Mirror`` knows the highest block the store
holds and lets a write wait for its block without polling the database itself: waiters are
futures keyed by block, woken together when the store reaches it (one event-loop wake-up per
loop, ``api.journal.Waiters``).

Two things move it on. ``serve``'s relay thread calls ``advance`` with each commit its
indexer process reports (the fast path: a write is answered as soon as its block is in).
While writes wait and no report has come for ``QUIET_S``, one thread reads the store's
checkpoint every ``POLL_S`` for all of them, so a store filled by another indexer (``index
--follow`` beside the API, or a restart before the first report) releases its writes too.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import threading
import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.journal import Waiters
from chain.store import schema as s

log = logging.getLogger("carbon_ledger.api.mirror")

POLL_S = 0.1
"""How often the store's checkpoint is read while writes wait and the relay is quiet."""
QUIET_S = 1.0
"""Without a report from the indexer for this long, waiting writes poll the store."""


class Mirror:
    """The block the store holds, and the writes waiting for a later one."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._cond = threading.Condition()
        self._block = -1
        self._relayed_at = float("-inf")
        self._order = itertools.count()  # ties in the heap: never compare the futures
        self._waiting: list[tuple[int, int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._poller: threading.Thread | None = None
        self._closed = False

    @property
    def block(self) -> int:
        """The highest block the store is known to hold (-1: none known yet)."""
        return self._block

    def advance(self, block: int) -> None:
        """The indexer reports that the store holds ``block`` (and all before it): wake the
        writes waiting for it. Called from any thread."""
        self._relayed_at = time.monotonic()
        self._move_to(block)

    def _move_to(self, block: int) -> None:
        waiters = Waiters()
        with self._cond:
            if block <= self._block:
                return
            self._block = block
            while self._waiting and self._waiting[0][0] <= block:
                _, _, loop, future = heapq.heappop(self._waiting)
                waiters.add(loop, future, True, None)
        waiters.deliver()

    async def reached(self, block: int, timeout: float) -> bool:
        """Wait until the store holds ``block``; whether it does within ``timeout`` seconds."""
        if block <= self._block:
            return True
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._cond:
            if block <= self._block:
                return True
            if not self._waiting:
                self._cond.notify()  # the poller sleeps while no write waits
            heapq.heappush(self._waiting, (block, next(self._order), loop, future))
            self._start_poller()
        try:
            await asyncio.wait_for(future, max(0.0, timeout))
            return True
        except TimeoutError:
            with self._cond:
                self._waiting = [w for w in self._waiting if w[3] is not future]
                heapq.heapify(self._waiting)
            # One last look at the store itself, in case nothing told us it got there.
            return block <= await asyncio.to_thread(self._read_store)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._poller is not None:
            self._poller.join(timeout=5)

    def _start_poller(self) -> None:
        if self._poller is None and not self._closed:
            self._poller = threading.Thread(target=self._poll, name="mirror-poll", daemon=True)
            self._poller.start()

    def _poll(self) -> None:
        while True:
            with self._cond:
                while not self._closed and not self._waiting:
                    self._cond.wait()
                if self._closed:
                    return
            if time.monotonic() - self._relayed_at > QUIET_S:
                self._move_to(self._read_store())
            with self._cond:
                if not self._closed:
                    self._cond.wait(POLL_S)

    def _read_store(self) -> int:
        """The store's checkpoint block (-1 if it cannot be read: a read says why)."""
        try:
            with self._engine.connect() as conn:
                block = conn.execute(sa.select(s.checkpoint.c.block_number)).scalar_one_or_none()
        except sa.exc.SQLAlchemyError as exc:
            log.warning("cannot read the store's checkpoint: %s", exc)
            return -1
        if block is not None and int(block) > self._block:
            return int(block)
        return self._block
