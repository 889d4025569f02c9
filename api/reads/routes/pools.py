"""``GET /v1/pools``, ``/v1/pools/{id}``, its ``composition``, ``ranges`` and ``activity``, and
``GET /v1/accounts/{address}/pool-units``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from api.deps import ReadConnection
from api.reads._common import NOT_FOUND, PROBLEMS
from api.reads.pools import (
    AccountPoolUnits,
    CompositionBy,
    PoolActivityPage,
    PoolComposition,
    PoolList,
    PoolOut,
    PoolRangePage,
    account_pool_units,
    get_pool,
    list_pools,
    pool_activity,
    pool_composition,
    pool_ranges,
)
from api.reads.routes._params import Address, Cursor, next_link, page_size

router = APIRouter(tags=["pools"])

PoolId = Annotated[int, Path(ge=1, le=2**32 - 1, description="a pool id (1 to 2^32-1)")]


@router.get("/pools", response_model=PoolList)
def pools(conn: ReadConnection) -> PoolList:
    """Every pool by id: name, symbol, token, supply (= tonnes held) and holders."""
    return list_pools(conn)


@router.get("/pools/{id}", response_model=PoolOut, responses=NOT_FOUND)
def pool(conn: ReadConnection, id: PoolId) -> PoolOut:
    """One pool: its rules in codes and in words, lists, token address, supply, tonnes held,
    ranges, batches and largest holders."""
    return get_pool(conn, id)


@router.get("/pools/{id}/composition", response_model=PoolComposition, responses=NOT_FOUND)
def composition(
    conn: ReadConnection,
    id: PoolId,
    by: Annotated[CompositionBy, Query(description="the attribute to group by")] = "programme",
) -> PoolComposition:
    """The tonnes the pool holds by programme, vintage year, country or project type."""
    return pool_composition(conn, id, by)


@router.get("/pools/{id}/ranges", response_model=PoolRangePage, responses=NOT_FOUND)
def ranges(
    request: Request,
    conn: ReadConnection,
    id: PoolId,
    limit: Annotated[int, page_size(1000)] = 100,
    cursor: Cursor = None,
) -> PoolRangePage:
    """The serial ranges the pool holds in redeem order (oldest vintage start, then lowest
    batch id, then lowest serial), each with its registry serial; cursor-paginated."""
    page = pool_ranges(conn, id, limit=limit, cursor=cursor)
    page.next = next_link(request, cursor=page.next_cursor)
    return page


@router.get("/pools/{id}/activity", response_model=PoolActivityPage, responses=NOT_FOUND)
def activity(
    request: Request,
    conn: ReadConnection,
    id: PoolId,
    limit: Annotated[int, page_size(500)] = 50,
    cursor: Cursor = None,
) -> PoolActivityPage:
    """Deposits, redemptions, retirements and unit transfers, newest first, each with the
    exact serials it moved."""
    page = pool_activity(conn, id, limit=limit, cursor=cursor)
    page.next = next_link(request, cursor=page.next_cursor)
    return page


@router.get("/accounts/{address}/pool-units", response_model=AccountPoolUnits, responses=PROBLEMS)
def pool_units(conn: ReadConnection, address: Address) -> AccountPoolUnits:
    """The account's unit balance in every pool where it holds units (empty if none)."""
    return account_pool_units(conn, address)
