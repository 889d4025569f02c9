"""The main process's side: the port, the dispatcher, the workers and the private socket."""

from __future__ import annotations

import asyncio
import shutil
import socket
import tempfile
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from api import logs
from api.readers._handoff import start_serving
from api.readers.dispatch import Dispatcher, keep_in
from api.readers.routing import ForwardedClient
from api.readers.worker import WorkerJob, start_workers, stop_workers
from api.settings import Settings
from chain.errors import ConfigurationError


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host`` (a name, IPv4 or IPv6 address) and ``port``."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise ConfigurationError(f"cannot listen on {host}:{port}: {exc}") from exc


def serve_with_readers(
    app: ASGIApp, settings: Settings, store: str, workers: int, counts: dict[str, int]
) -> None:
    """Serve ``app`` with ``workers`` read workers beside it: the dispatcher accepts on the
    port; this process serves what the workers do not, and what they forward over a private
    Unix socket. ``counts`` tallies where connections went."""
    listener = listen(settings.host, settings.port)
    private = Path(tempfile.mkdtemp(prefix="carbon-ledger-api-"))  # 0700: ours alone
    primary = private / "main.sock"
    forwarded = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    forwarded.bind(str(primary))
    forwarded.listen(512)
    processes, channels = start_workers(WorkerJob(settings, store, str(primary)), workers)
    server = uvicorn.Server(uvicorn.Config(ForwardedClient(app), **logs.UVICORN_OPTIONS))

    async def main() -> None:
        serving = await start_serving(server, [forwarded])
        dispatcher = Dispatcher(
            listener, channels, keep_in(asyncio.get_running_loop(), server), counts
        )
        dispatcher.start()
        try:
            while not serving.done() and not server.should_exit:
                await asyncio.wait({serving}, timeout=0.2)
        finally:
            dispatcher.close()  # no new connections while uvicorn shuts down
        await serving

    try:
        asyncio.run(main())
    finally:
        stop_workers(processes, channels)
        listener.close()
        forwarded.close()
        shutil.rmtree(private, ignore_errors=True)
