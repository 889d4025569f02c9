"""``/batches`` (the list, by programme) and ``/batches/{id}``: a batch's metadata and labels,
its holding ranges and holders, its retirements and its history."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import ReadConnection
from api.pages.i18n import Translator, choose
from api.pages.render import PageError, PageRoute, render
from api.pages.views import shown_page
from api.reads import queries as q

router = APIRouter(route_class=PageRoute)

MAX_ID = 2**63 - 1
"""Largest integer the store holds: a larger id or cursor is a 400, not a driver overflow."""
DIGITS = re.compile(r"[0-9]{1,20}")
"""ASCII digits only: ``str.isdigit`` also accepts ``"²"``, which ``int`` refuses."""
Cursor = Annotated[int | None, Query(ge=0, le=MAX_ID)]
PAGE = 50
RANGES = 100

REGISTRY_PROJECT_PAGES = {
    "VCS": "https://registry.verra.org/app/projectDetail/VCS/{project_id}",
    "GS": "https://registry.goldstandard.org/projects/details/{project_id}",
}
"""The registries' public project pages; other programmes show the reference as text."""


def registry_link(program: str, project_id: str) -> str | None:
    page = REGISTRY_PROJECT_PAGES.get(program)
    return page.format(project_id=project_id) if page and project_id.isdigit() else None


@router.get("/batches", response_class=HTMLResponse)
def batch_list(
    request: Request,
    conn: ReadConnection,
    program: Annotated[str | None, Query(max_length=32)] = None,
    after: Cursor = None,
) -> HTMLResponse:
    programs = q.program_list(conn)
    chosen = program or None
    if chosen is not None and chosen not in programs:
        raise PageError(400, "error.unknown_program", program=chosen)
    page = q.batches_by_program(conn, chosen, after=after, limit=PAGE)
    t = Translator(choose(request)[0])
    return render(
        request,
        "batches.html",
        title=t("batches.title"),
        programs=programs,
        program=chosen,
        page=page,
        after=after,
    )


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(
    request: Request,
    conn: ReadConnection,
    batch_id: Annotated[int, Path(ge=0, le=MAX_ID)],
    ranges_after: Cursor = None,
    history_after: Cursor = None,
    retirements_before: Cursor = None,
) -> HTMLResponse:
    batch = q.find_batch(conn, batch_id)
    if batch is None:
        raise PageError(404, "error.no_batch", id=batch_id)
    t = Translator(choose(request)[0])
    return render(
        request,
        "batch.html",
        title=t("batch.title", id=batch.id),
        batch=batch,
        registry_url=registry_link(batch.program, batch.project.project_id),
        reversals=q.reversals_of(conn, batch_id),
        ranges=q.ranges_after(conn, batch_id, after=ranges_after, limit=RANGES),
        ranges_after=ranges_after,
        history=shown_page(
            conn,
            q.events_between(
                conn, batch_id=batch_id, after=history_after, limit=PAGE, newest_first=False
            ),
        ),
        history_after=history_after,
        retirements=q.latest_retirements(
            conn, batch_id=batch_id, before=retirements_before, limit=PAGE
        ),
    )
