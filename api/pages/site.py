"""The language switch and the stylesheet."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse

from api.pages import i18n
from api.pages.render import PageRoute, remember_language

router = APIRouter(route_class=PageRoute)


def local_path(target: str | None) -> str:
    """``target`` if it is a path on this site, else ``/``: the switch is no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/lang")
def switch_language(
    to: Annotated[str, Query(max_length=16)],
    next_: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> RedirectResponse:
    """Remember the language in a cookie and go back to the page (303, so a reload is a GET)."""
    response = RedirectResponse(local_path(next_), status_code=303)
    lang = i18n.normalise(to)
    if lang is not None:
        remember_language(response, lang)
    return response
