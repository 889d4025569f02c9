"""``GET /v1/events``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import ReadConnection
from api.reads._common import MAX_SQL_INT, PROBLEMS
from api.reads.events import EventPage, list_events
from api.reads.routes._params import next_link, page_size

router = APIRouter(tags=["audit"])


@router.get("/events", response_model=EventPage, responses=PROBLEMS)
def events(
    request: Request,
    conn: ReadConnection,
    after_seq: Annotated[int, Query(ge=0, le=MAX_SQL_INT, description="events after this")] = 0,
    batch_id: Annotated[int | None, Query(ge=1, le=MAX_SQL_INT)] = None,
    limit: Annotated[int, page_size(1000)] = 100,
) -> EventPage:
    """The mirrored audit trail in ``seq`` order: block, transaction, log index, rolling
    hash, raw topics and data, decoded fields."""
    page = list_events(conn, after_seq=after_seq, batch_id=batch_id, limit=limit)
    page.next = next_link(request, after_seq=page.next_after_seq)
    return page
