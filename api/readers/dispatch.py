"""The main process's acceptor: each new connection goes to a read worker or stays here."""

from __future__ import annotations

import asyncio
import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable

import uvicorn

from api.readers._handoff import adopt, send_connection
from api.readers.routing import first_request, is_read

log = logging.getLogger("carbon_ledger.api.readers")

PEEK_BYTES = 8192
"""A request line longer than this is not a read's; the main process answers it."""
FIRST_BYTES_TIMEOUT_S = 5.0
"""A connection that has sent no request line by then is left to the main process (whose
keep-alive timeout closes it)."""
_RECHECK_S = 0.005  # a request line split across packets: look again shortly


class Dispatcher:
    """Accepts on ``listener`` (a bound, listening socket) on a thread of its own. A connection
    whose first request is a read goes to the next worker channel (round robin); any other, and
    a read no worker can take then (all gone, or the next one's channel full), to ``keep`` (the
    main process). ``counts`` (``handed``) tallies them by ``worker`` and ``main``."""

    def __init__(
        self,
        listener: socket.socket,
        channels: list[socket.socket],
        keep: Callable[[socket.socket], None],
        counts: dict[str, int] | None = None,
    ) -> None:
        self.listener = listener
        self.channels = list(channels)
        for channel in self.channels:
            channel.setblocking(False)  # a stuck worker must not stop the accepting
        self.keep = keep
        self.handed = counts if counts is not None else {}
        self.handed.update(worker=0, main=0)
        self._next = -1  # the channel the last read went to
        self._selector = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(target=self._run, name="api-dispatch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._wake_w.send(b"x")
        self._thread.join(5)
        for key in list(self._selector.get_map().values()):
            if key.fileobj not in (self.listener, self._wake_r):
                key.fileobj.close()  # type: ignore[union-attr]
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def _run(self) -> None:
        self.listener.setblocking(False)
        self._selector.register(self.listener, selectors.EVENT_READ, None)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        accepted: dict[socket.socket, float] = {}  # not routed yet -> when accepted
        later: list[socket.socket] = []  # request line incomplete: look again shortly
        while not self._stop.is_set():
            for conn in later:
                self._selector.register(conn, selectors.EVENT_READ, None)
            timeout = _RECHECK_S if later else (1.0 if accepted else None)
            later = []
            for key, _ in self._selector.select(timeout):
                if key.fileobj is self.listener:
                    self._accept(accepted)
                elif key.fileobj is not self._wake_r:
                    self._route(key.fileobj, accepted, later)  # type: ignore[arg-type]
            silent = time.monotonic() - FIRST_BYTES_TIMEOUT_S
            for conn in [c for c, at in accepted.items() if at < silent and c not in later]:
                self._selector.unregister(conn)
                del accepted[conn]
                self._give(conn, read=False)

    def _accept(self, accepted: dict[socket.socket, float]) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of descriptors, a reset before accept: keep serving
                log.warning("accept failed: %s", exc)
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._selector.register(conn, selectors.EVENT_READ, None)
            accepted[conn] = time.monotonic()

    def _route(
        self, conn: socket.socket, accepted: dict[socket.socket, float], later: list[socket.socket]
    ) -> None:
        self._selector.unregister(conn)
        try:
            peeked = conn.recv(PEEK_BYTES, socket.MSG_PEEK)
        except OSError:
            peeked = b""
        if not peeked:  # closed before a request
            del accepted[conn]
            conn.close()
            return
        request = first_request(peeked)
        if request is None and len(peeked) < PEEK_BYTES and b"\r\n" not in peeked:
            # The rest of the line is on its way. The peeked bytes keep the socket readable,
            # so it is not watched again until after a pause (rather than spin on it).
            later.append(conn)
            return
        del accepted[conn]
        self._give(conn, read=request is not None and is_read(*request))

    def _give(self, conn: socket.socket, *, read: bool) -> None:
        while read and self.channels:
            self._next = (self._next + 1) % len(self.channels)
            try:
                send_connection(self.channels[self._next], conn)
            except BlockingIOError:
                break  # that worker is behind by a full channel: this one stays here
            except OSError as exc:
                # That worker is gone (its end of the channel closed): it gets no more.
                log.error(
                    "a read worker stopped taking connections (%s); %d left",
                    exc,
                    len(self.channels) - 1,
                )
                self.channels.pop(self._next)
                self._next -= 1
                continue
            conn.close()
            self.handed["worker"] += 1
            return
        conn.setblocking(True)
        self.handed["main"] += 1
        self.keep(conn)


def keep_in(
    loop: asyncio.AbstractEventLoop, server: uvicorn.Server
) -> Callable[[socket.socket], None]:
    """A ``keep`` that has ``server``, running on ``loop``, serve the connection."""

    def keep(conn: socket.socket) -> None:
        loop.call_soon_threadsafe(adopt, loop, server, conn)

    return keep
