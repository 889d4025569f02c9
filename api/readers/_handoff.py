"""Moving accepted connections between processes, and into a running uvicorn server."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable

import uvicorn

log = logging.getLogger("carbon_ledger.api.readers")

_MAX_FDS = 64  # per message received


def send_connection(channel: socket.socket, conn: socket.socket) -> None:
    """Pass ``conn`` over the Unix socket ``channel`` (the caller then closes its copy)."""
    socket.send_fds(channel, [b"c"], [conn.fileno()])


def protocol_factory(server: uvicorn.Server) -> Callable[[], asyncio.Protocol]:
    """What ``server`` makes of each connection it accepts (after its startup): the same
    protocol, bound to the same server state, for connections accepted elsewhere."""
    config = server.config

    def create() -> asyncio.Protocol:
        return config.http_protocol_class(  # type: ignore[call-arg]
            config=config, server_state=server.server_state, app_state=server.lifespan.state
        )

    return create


def adopt(loop: asyncio.AbstractEventLoop, server: uvicorn.Server, conn: socket.socket) -> None:
    """Serve ``conn`` in ``server`` (call on ``loop``'s thread)."""
    conn.setblocking(False)
    task = loop.create_task(loop.connect_accepted_socket(protocol_factory(server), conn))
    task.add_done_callback(_log_failure)


def receive_connections(
    loop: asyncio.AbstractEventLoop, server: uvicorn.Server, channel: socket.socket
) -> None:
    """Adopt every connection that arrives on ``channel``; stop the server when it closes
    (the main process is gone)."""
    channel.setblocking(False)

    def ready() -> None:
        try:
            data, fds, _, _ = socket.recv_fds(channel, 64, _MAX_FDS)
        except BlockingIOError:
            return
        except OSError:
            data, fds = b"", []
        if not data:
            loop.remove_reader(channel.fileno())
            server.should_exit = True
            return
        for fd in fds:
            adopt(loop, server, socket.socket(fileno=fd))

    loop.add_reader(channel.fileno(), ready)


async def start_serving(server: uvicorn.Server, sockets: list[socket.socket]) -> asyncio.Task[None]:
    """Start ``server`` on ``sockets`` (none: it only adopts) and return its task once it has
    started, or has ended while starting."""
    serving = asyncio.create_task(server.serve(sockets=sockets))
    while not server.started and not serving.done():
        await asyncio.sleep(0.01)
    return serving


def _log_failure(task: asyncio.Task[object]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("a handed-over connection could not be served: %s", task.exception())
