"""What routes share, as FastAPI dependencies: the running services and store connections.

``Services`` is built once by ``serve`` (or a test) and hung on ``app.state``; routes never
open engines or nodes themselves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.engine import Connection, Engine
from web3 import Web3

from api.journal import Journal, writer_engine
from api.mirror import Mirror
from api.problems import Problem
from api.settings import Settings
from chain.deployment import Deployment

if TYPE_CHECKING:
    from api.custody import Custody
    from api.submission.gates import Gates
    from api.submission.node import Node
    from api.submission.pipeline import Pipeline
    from api.writes.views import Views


@dataclass
class IndexerStatus:
    """How far the indexer running beside the API has got; written by its thread."""

    head: int | None = None
    """The chain head it last saw (``None`` before its first look)."""
    block: int | None = None
    """The last block committed to the store."""
    events_per_s: float = 0.0
    error: str | None = None
    """Why it stopped, if it did."""
    updated_at: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def lag(self) -> int | None:
        """Blocks behind head, or ``None`` when not known yet."""
        if self.head is None or self.block is None:
            return None
        return max(0, self.head - self.block)


@dataclass
class Ledger:
    """The chain side of a server that writes: the node, the deployment, and who signs."""

    w3: Web3
    deployment: Deployment
    node: Node
    pipeline: Pipeline
    custody: Custody
    gates: Gates
    views: Views

    @property
    def contract(self) -> str:
        return self.deployment.address.lower()


@dataclass
class Services:
    """The long-lived parts of a running server."""

    settings: Settings
    engine: Engine
    """The query store (migrated), shared by the indexer, the API tables and reads."""
    indexer: IndexerStatus = field(default_factory=IndexerStatus)
    ledger: Ledger | None = None
    """``None`` for a read-only server: writes answer 503."""
    journal: Journal = field(init=False)
    """Group commit for the API's own tables (``api.journal``)."""
    mirror: Mirror = field(init=False)
    """How far the store holds the chain; writes wait on it to answer (``api.mirror``)."""
    connections: dict[str, int] = field(default_factory=dict)
    """Connections accepted, by who serves them (``worker``, ``main``), when read workers run."""
    principals: dict[str, tuple[Any, float]] = field(default_factory=dict, repr=False)
    """Recently authenticated keys by secret hash (``api.auth.lookup``)."""

    def __post_init__(self) -> None:
        self.journal = Journal(writer_engine(self.engine))
        self.mirror = Mirror(self.engine)

    def start(self) -> None:
        """Settle what a previous run left in flight, then start following the chain."""
        if self.ledger is not None:
            self.ledger.pipeline.start()

    def close(self) -> None:
        if self.ledger is not None:
            self.ledger.pipeline.stop()
        self.mirror.close()
        self.journal.close()


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def read_connection(services: ServicesDep) -> Iterator[Connection]:
    """A connection for one request's reads, returned to the pool afterwards."""
    with services.engine.connect() as conn:
        yield conn


ReadConnection = Annotated[Connection, Depends(read_connection)]


def get_ledger(services: ServicesDep) -> Ledger:
    if services.ledger is None:
        raise Problem(503, "read-only", "Read-only server", "this server has no ledger to write to")
    return services.ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
