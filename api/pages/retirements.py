"""``/retirements/{id}``: the retirement certificate as a page, with links to its printable,
PDF and JSON forms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from api.certificates import model
from api.deps import ReadConnection
from api.pages.batches import MAX_ID
from api.pages.i18n import Translator, choose
from api.pages.render import PageError, PageRoute, render

router = APIRouter(route_class=PageRoute)


@router.get("/retirements/{retirement_id}", response_class=HTMLResponse)
def retirement_page(
    request: Request,
    conn: ReadConnection,
    retirement_id: Annotated[int, Path(ge=0, le=MAX_ID)],
) -> HTMLResponse:
    certificate = model.load(conn, retirement_id)
    if certificate is None:
        raise PageError(404, "error.no_retirement", id=retirement_id)
    t = Translator(choose(request)[0])
    return render(
        request,
        "retirement.html",
        title=t("certificate.title", id=certificate.id),
        cert=certificate,
    )
