"""``GET /v1/retirements`` and ``GET /v1/retirements/{id}`` (its certificate is served by
the pages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import ReadConnection
from api.reads._common import MAX_SQL_INT, NOT_FOUND, PROBLEMS
from api.reads.retirements import (
    RetirementDetail,
    RetirementFilters,
    RetirementPage,
    get_retirement,
    list_retirements,
)
from api.reads.routes._params import Cursor, Id, OptionalAddress, next_link, page_size

router = APIRouter(tags=["retirements"])


@router.get("/retirements", response_model=RetirementPage, responses=PROBLEMS)
def retirements(
    request: Request,
    conn: ReadConnection,
    batch_id: Annotated[int | None, Query(ge=1, le=MAX_SQL_INT)] = None,
    holder: OptionalAddress = None,
    beneficiary: Annotated[
        str | None, Query(min_length=1, max_length=1000, description="exact beneficiary")
    ] = None,
    limit: Annotated[int, page_size(500)] = 50,
    cursor: Cursor = None,
) -> RetirementPage:
    """Retirements in id order, filtered; cursor-paginated."""
    filters = RetirementFilters(batch_id, holder, beneficiary)
    page = list_retirements(conn, filters, limit=limit, cursor=cursor)
    page.next = next_link(request, cursor=page.next_cursor)
    return page


@router.get("/retirements/{id}", response_model=RetirementDetail, responses=NOT_FOUND)
def retirement(conn: ReadConnection, id: Id) -> RetirementDetail:
    """One retirement: holder, batch, exact serials, beneficiary, purpose, jurisdiction,
    consumption period, and where to find and check it on the chain."""
    return get_retirement(conn, id)
