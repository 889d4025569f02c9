"""Liveness and readiness for orchestrators and load balancers.

``/healthz`` answers while the process can serve at all; ``/readyz`` only once the indexer
beside the API has caught up with the chain (within ``settings.ready_lag_blocks``), has not
recorded a halt in the store (``chain.indexer.halt``: named with the event that caused it), and
the store answers, so a fresh replica takes no reads it would answer from a stale mirror.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import ServicesDep
from api.problems import Problem
from chain.indexer import halt

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    ready: bool
    head: int | None
    """The chain head the indexer last saw."""
    block: int | None
    """The last block in the store."""
    lag: int | None
    """Blocks the store is behind head."""


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"description": "Not ready: the indexer is behind or the store is down"}},
)
def readyz(services: ServicesDep) -> Readiness:
    status = services.indexer
    with status.lock:
        head, block, lag, error = status.head, status.block, status.lag, status.error
    try:
        with services.engine.connect() as conn:
            stopped = halt.read(conn)
    except sa.exc.SQLAlchemyError as exc:
        raise Problem(503, "not-ready", "Not ready", f"the store is unreachable: {exc}") from exc
    if stopped is not None:
        raise Problem(
            503, "not-ready", "Not ready", stopped.describe(), indexer_error=stopped.as_json()
        )
    if error is not None:
        raise Problem(503, "not-ready", "Not ready", f"the indexer stopped: {error}")
    if lag is None:
        raise Problem(503, "not-ready", "Not ready", "the indexer has not reached the chain yet")
    if lag > services.settings.ready_lag_blocks:
        raise Problem(
            503,
            "not-ready",
            "Not ready",
            f"the indexer is {lag} blocks behind head {head}",
            head=head,
            block=block,
            lag=lag,
        )
    return Readiness(ready=True, head=head, block=block, lag=lag)
