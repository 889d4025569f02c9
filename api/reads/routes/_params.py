"""Parameters and helpers the read routes share."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request

from api.reads._common import ADDRESS_PATTERN, MAX_SQL_INT

Id = Annotated[int, Path(ge=1, le=MAX_SQL_INT, description="a positive integer id")]
Address = Annotated[
    str, Path(pattern=ADDRESS_PATTERN, description="an account address, 0x and 40 hex digits")
]
OptionalAddress = Annotated[
    str | None, Query(pattern=ADDRESS_PATTERN, description="an account address")
]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` of the previous page; omit for the first"),
]


def page_size(maximum: int) -> Any:
    """``Query`` metadata of a ``limit`` parameter: 1..``maximum``, else a 422."""
    return Query(ge=1, le=maximum, description=f"items per page (1-{maximum})")


def next_link(request: Request, **params: str | int | None) -> str | None:
    """The request's own path and query with ``params`` replaced, or ``None`` if a value is
    ``None`` (there is no next page)."""
    if any(v is None for v in params.values()):
        return None
    url = request.url.include_query_params(**params)
    return f"{url.path}?{url.query}"
