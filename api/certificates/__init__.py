"""``GET /v1/retirements/{id}/certificate``: a retirement certificate as printable HTML, JSON or
PDF (``Accept``, or ``?format=`` for links), in the reader's language (``?lang=``, the page
switch's cookie, or ``Accept-Language``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from api.certificates import model
from api.certificates.negotiate import MEDIA_TYPES, negotiate
from api.certificates.pdf import html_to_pdf
from api.deps import ReadConnection
from api.pages.batches import MAX_ID
from api.pages.render import error_page, render
from api.problems import Problem, not_found

router = APIRouter(tags=["retirements"])

VARY = "Accept, Accept-Language, Cookie"


@router.get(
    "/v1/retirements/{retirement_id}/certificate",
    response_model=model.Certificate,
    responses={
        200: {
            "description": "The certificate, in the form the client accepts",
            "content": {"text/html": {}, "application/pdf": {}},
        },
        404: {"description": "No such retirement"},
        406: {"description": "Accept names none of JSON, HTML and PDF"},
    },
)
def certificate(
    request: Request,
    conn: ReadConnection,
    retirement_id: Annotated[int, Path(ge=0, le=MAX_ID)],
    format_: Annotated[Literal["json", "html", "pdf"] | None, Query(alias="format")] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    form = format_ or negotiate(accept)
    if form is None:
        raise Problem(
            406,
            "not-acceptable",
            "Not acceptable",
            "a certificate is served as " + ", ".join(MEDIA_TYPES.values()),
        )
    found = model.load(conn, retirement_id)
    if found is None:
        if form == "html":
            return error_page(request, 404, "error.no_retirement", id=retirement_id)
        raise not_found(f"retirement {retirement_id}")
    if form == "json":
        response: Response = JSONResponse(found.model_dump(mode="json"))
    else:
        page = render(request, "certificate.html", cert=found, printable=True)
        if form == "html":
            response = page
        else:
            response = Response(
                html_to_pdf(bytes(page.body).decode()),
                media_type="application/pdf",
                headers={
                    "Content-Disposition": f'inline; filename="retirement-{found.id}.pdf"',
                    "Content-Language": page.headers["Content-Language"],
                },
            )
            for name, value in page.headers.items():
                if name.lower() == "set-cookie":
                    response.headers.append(name, value)
    response.headers["Vary"] = VARY
    return response
