"""``GET /v1/batches``, ``GET /v1/batches/{id}`` and ``GET /v1/batches/{id}/ranges``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request

from api.deps import ReadConnection
from api.reads._common import NOT_FOUND, PROBLEMS
from api.reads.batches import (
    BatchDetail,
    BatchFilters,
    BatchPage,
    RangePage,
    batch_ranges,
    get_batch,
    list_batches,
)
from api.reads.routes._params import Cursor, Id, OptionalAddress, next_link, page_size
from chain.domain import LabelName

router = APIRouter(tags=["batches"])


@router.get("/batches", response_model=BatchPage, responses=PROBLEMS)
def batches(
    request: Request,
    conn: ReadConnection,
    program: Annotated[
        str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="programme code, e.g. VCS")
    ] = None,
    vintage: Annotated[
        int | None, Query(ge=1000, le=9999, description="vintage year (of the vintage start)")
    ] = None,
    country: Annotated[
        str | None, Query(min_length=1, max_length=200, description="country, any case")
    ] = None,
    project: Annotated[
        str | None, Query(min_length=1, max_length=200, description="registry project id")
    ] = None,
    label: Annotated[
        list[LabelName] | None, Query(description="labels the batch must all carry (repeatable)")
    ] = None,
    holder: OptionalAddress = None,
    limit: Annotated[int, page_size(500)] = 50,
    cursor: Cursor = None,
) -> BatchPage:
    """Bridged batches in id order, filtered; cursor-paginated."""
    filters = BatchFilters(program, vintage, country, project, tuple(label or ()), holder)
    page = list_batches(conn, filters, limit=limit, cursor=cursor)
    page.next = next_link(request, cursor=page.next_cursor)
    return page


@router.get("/batches/{id}", response_model=BatchDetail, responses=NOT_FOUND)
def batch(
    request: Request, conn: ReadConnection, id: Id, ranges: Annotated[int, page_size(500)] = 100
) -> BatchDetail:
    """One batch: all its metadata, labels, totals with the conservation check, and the first
    page of its holding ranges (``ranges`` per page)."""
    detail = get_batch(conn, id, ranges=ranges)
    if detail.ranges.next_cursor is not None:
        query = urlencode({"cursor": detail.ranges.next_cursor, "limit": ranges})
        detail.ranges.next = f"{request.url.path}/ranges?{query}"
    return detail


@router.get("/batches/{id}/ranges", response_model=RangePage, responses=NOT_FOUND)
def ranges(
    request: Request,
    conn: ReadConnection,
    id: Id,
    limit: Annotated[int, page_size(1000)] = 100,
    cursor: Cursor = None,
) -> RangePage:
    """The batch's holding ranges in serial order with holder and state; cursor-paginated."""
    page = batch_ranges(conn, id, limit=limit, cursor=cursor)
    page.next = next_link(request, cursor=page.next_cursor)
    return page
