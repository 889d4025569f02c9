"""SIGTERM for ``serve``: a stop like Ctrl-C, through every ``finally``.

Its default action ends the process on the spot. uvicorn shuts down gracefully on SIGTERM and
then raises it again with the handler it found, so with the default one ``serve`` died right
after uvicorn, before its own clean-up: the indexer process wrote into a closed pipe
(tracebacks), and the local chain it started lived on.

Here a SIGTERM outside the event loop (starting, or cleaning up) raises ``SystemExit``, so
every ``finally`` runs and the exit code is 143. Inside the loop uvicorn's own handler holds
SIGTERM (from the loop's first step on), so what reaches this one there is the SIGTERM uvicorn
hands back after its graceful shutdown: raising would end uvicorn's task with an exception
nobody collects (a logged traceback), so it is noted, and the server returns, cleans up and
exits 143.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class Sigterm:
    """``with Sigterm().installed() as sigterm:`` around a server's life, then
    ``return sigterm.exit_code(0)``."""

    def __init__(self) -> None:
        self.received = False

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.received = True
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop: starting or cleaning up
            raise SystemExit(128 + signum) from None

    def exit_code(self, code: int) -> int:
        return 128 + signal.SIGTERM if self.received else code

    @contextlib.contextmanager
    def installed(self) -> Iterator[Sigterm]:
        if threading.current_thread() is not threading.main_thread():
            yield self  # only the main thread sets handlers; a server in a thread stops by code
            return
        previous = signal.signal(signal.SIGTERM, self._handle)
        try:
            yield self
        finally:
            signal.signal(signal.SIGTERM, previous)
