"""``GET /v1/requests/{id}``: where a write stands (the status URL of a 202). Once
``confirmed``, its ``result`` is the write's 201 body, a pool write's with the registry serials
of its ranges added as its 201 added them (``api.writes._pool_serials``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from api import tables
from api.auth import Principal, require
from api.deps import ServicesDep
from api.problems import not_found
from api.roles import ROLES
from api.writes._pool_serials import RANGE_KINDS, with_registry_serials
from api.writes.common import PROBLEMS
from api.writes.models import RequestStatus
from chain.store import schema as s

router = APIRouter(tags=["requests"])
Anyone = Annotated[Principal, Depends(require(*ROLES))]
OVERSEERS = ("admin", "auditor")


@router.get(
    "/v1/requests/{request_id}",
    response_model=RequestStatus,
    responses=PROBLEMS | {404: {"description": "no such request (or not yours)"}},
    summary="A write's state: accepted, submitted, confirmed (with the response) or failed",
)
async def request_status(
    request_id: str, services: ServicesDep, principal: Anyone
) -> RequestStatus:
    def read() -> tuple[dict[str, Any] | None, int]:
        with services.engine.connect() as conn:
            row = conn.execute(
                sa.select(tables.submissions).where(tables.submissions.c.id == request_id)
            ).first()
            mirrored = conn.execute(sa.select(s.checkpoint.c.block_number)).scalar()
        return None if row is None else row._asdict(), -1 if mirrored is None else int(mirrored)

    row, mirrored = await run_in_threadpool(read)
    # Someone else's request is as invisible as one that does not exist.
    if row is None or (row["key_id"] != principal.key_id and principal.role not in OVERSEERS):
        raise not_found(f"request {request_id}")
    state = row["state"]
    if state == "confirmed" and row["block_number"] is not None and row["block_number"] > mirrored:
        state = "indexing"  # its result's URLs would not read yet
    result = row["result"]
    if state == "confirmed" and result is not None and row["kind"] in RANGE_KINDS:
        # The store holds its block: the result names the registry serials its 201 named.
        result = await run_in_threadpool(with_registry_serials, services.engine, result)
    return RequestStatus(
        id=row["id"],
        kind=row["kind"],
        status=state,
        tx_hash=row["tx_hash"],
        block_number=row["block_number"],
        attempts=row["attempts"],
        created_at=_time(row["created_at"]),
        updated_at=_time(row["updated_at"]),
        result=result,
        error=row["error"],
    )


def _time(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
