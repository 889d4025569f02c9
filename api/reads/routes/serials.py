"""``GET /v1/serials/{program}/{serial}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import ReadConnection
from api.reads._common import NOT_FOUND
from api.reads.routes._params import page_size
from api.reads.serials import SerialStatus, lookup_serial, resolve_serial

router = APIRouter(tags=["serials"])


@router.get("/serials/{program}/{serial:path}", response_model=SerialStatus, responses=NOT_FOUND)
def serial(
    conn: ReadConnection,
    program: Annotated[
        str, Path(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="programme code, e.g. VCS or GS")
    ],
    serial: Annotated[
        str,
        Path(
            min_length=1,
            max_length=512,
            description="a registry serial string (URL-encoded), or a single serial number",
        ),
    ],
    namespace: Annotated[
        str | None,
        Query(max_length=512, description="with a single serial number: its namespace"),
    ] = None,
    limit: Annotated[int, page_size(1000)] = 100,
    history_limit: Annotated[int, page_size(1000)] = 200,
) -> SerialStatus:
    """The serial's (or the registry block's) batch, status, holder, holding ranges,
    retirements and event history. A malformed serial is a 422 with the parser's reason; a
    serial that is not bridged, a 404."""
    query = resolve_serial(program, serial, namespace)
    return lookup_serial(conn, query, limit=limit, history_limit=history_limit)
