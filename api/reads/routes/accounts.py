"""``GET /v1/accounts/{address}/holdings``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from api.deps import ReadConnection
from api.reads._common import PROBLEMS
from api.reads.holdings import Holdings, account_holdings
from api.reads.routes._params import Address, Cursor, next_link, page_size

router = APIRouter(tags=["accounts"])


@router.get("/accounts/{address}/holdings", response_model=Holdings, responses=PROBLEMS)
def holdings(
    request: Request,
    conn: ReadConnection,
    address: Address,
    limit: Annotated[int, page_size(1000)] = 100,
    cursor: Cursor = None,
) -> Holdings:
    """The account's live (held) serial ranges, grouped by batch, ``limit`` ranges a page.
    An account that holds nothing gets an empty list, not a 404: any address can receive."""
    page = account_holdings(conn, address, limit=limit, cursor=cursor)
    page.next = next_link(request, cursor=page.next_cursor)
    return page
