"""What routes share, as FastAPI dependencies: the running services and store connections.

``Services`` is built once by ``serve`` (or a test) and hung on ``app.state``; routes never
open engines or nodes themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Connection, Engine

from api.settings import Settings


@dataclass
class Services:
    """The long-lived parts of a running server."""

    settings: Settings
    engine: Engine
    """The query store (migrated), shared by the indexer, the API tables and reads."""


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def read_connection(services: ServicesDep) -> Iterator[Connection]:
    """A connection for one request's reads, returned to the pool afterwards."""
    with services.engine.connect() as conn:
        yield conn


ReadConnection = Annotated[Connection, Depends(read_connection)]
