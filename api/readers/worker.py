"""A read worker process: uvicorn over the read-only app, fed connections by the dispatcher."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import socket
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import TypeVar

import anyio.to_thread
import uvicorn

from api import logs
from api._heap import freeze_startup_heap
from api.app import create_app
from api.deps import Services
from api.readers._handoff import receive_connections, start_serving
from api.readers.routing import ReadsOnly
from api.settings import Settings
from chain.store.engine import create_store_engine

T = TypeVar("T")


@dataclass(frozen=True)
class WorkerJob:
    settings: Settings
    store: str
    """The store's URL (migrated by the main process before any worker starts)."""
    primary: str
    """The main process's private Unix socket, for requests that are not reads."""


def start_workers(job: WorkerJob, count: int) -> tuple[list[BaseProcess], list[socket.socket]]:
    """``count`` workers, each with the channel its connections arrive on; returns the
    processes and the main process's ends of the channels."""
    spawn = multiprocessing.get_context("spawn")  # no fork of a process with threads
    processes: list[BaseProcess] = []
    channels: list[socket.socket] = []
    for i in range(count):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        process = spawn.Process(target=run, args=(job, theirs), name=f"api-reads-{i + 1}")
        process.start()
        theirs.close()
        processes.append(process)
        channels.append(ours)
    return processes, channels


def stop_workers(processes: list[BaseProcess], channels: list[socket.socket]) -> None:
    for channel in channels:
        channel.close()  # a worker whose channel closes finishes its requests and exits
    for process in processes:
        process.join(10)
        if process.is_alive():
            process.terminate()
            process.join(5)


def _run_sync_inline() -> None:
    """Run FastAPI's sync routes and dependencies on the event loop, not on worker threads.

    In this process the loop has nothing else to do, and every hand-off to a thread and back
    is two context switches, each a wait for a CPU on a busy machine: measured under full
    write load (``bench/api.py``), a serial lookup's p50 fell from 4.9 to 1.3 ms. A read
    worker serves its requests one at a time; more workers serve more at once."""

    async def inline(func: Callable[..., T], *args: object, **_: object) -> T:
        return func(*args)

    anyio.to_thread.run_sync = inline


def run(job: WorkerJob, channel: socket.socket) -> None:
    """The worker's main: serve what arrives on ``channel`` until it closes or a signal."""
    settings = job.settings
    _run_sync_inline()
    logs.configure(settings.log_level, settings.log_format)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per forwarded request
    services = Services(settings, create_store_engine(job.store))
    app = ReadsOnly(create_app(services), job.primary)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", **logs.UVICORN_OPTIONS))
    freeze_startup_heap()

    async def serve() -> None:
        serving = await start_serving(server, [])
        if server.started:
            receive_connections(asyncio.get_running_loop(), server, channel)
        await serving

    try:
        asyncio.run(serve())
    finally:
        services.close()
