"""One request at a time per holding: requests that read state another one is about to change.

A transfer or retirement picks serials and range hints from the holder's current holdings, and
a signed request is checked against its signer's current nonce. A second such request on the
same holding (holder and batch) or from the same signer, computed while the first is in flight,
would read what the first is about to change. So it waits until the first settles; bridgings
need no gate (their hints come from the part book, which sees in-flight bridgings).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Hashable
from concurrent.futures import Future

from api.problems import Problem


class Gates:
    def __init__(self) -> None:
        self._last: dict[Hashable, Future[None]] = {}
        self._lock = threading.Lock()

    async def enter(self, key: Hashable, timeout: float) -> Future[None]:
        """Wait for the request before this one on ``key``; returns this one's ticket, to be
        passed to ``leave`` once it has settled (or failed before sending)."""
        ticket: Future[None] = Future()
        with self._lock:
            previous = self._last.get(key)
            self._last[key] = ticket
        if previous is not None and not previous.done():
            try:
                await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(previous)), timeout)
            except TimeoutError:
                self.leave(key, ticket)
                raise Problem(
                    409,
                    "pending",
                    "Earlier request pending",
                    "an earlier request on the same holding or signer has not settled yet; "
                    "retry once it has",
                    headers={"Retry-After": "1"},
                ) from None
        return ticket

    def leave(self, key: Hashable, ticket: Future[None]) -> None:
        if not ticket.done():
            ticket.set_result(None)
        with self._lock:
            if self._last.get(key) is ticket:
                del self._last[key]
