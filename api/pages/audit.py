"""``/audit``: the mirrored audit trail, newest first, filtered by kind of event and batch and
paginated on ``seq``; the store's audit position; the last verification, or a new one on
``?verify=1`` (the verifier reuses its result while the store has not moved, and runs one at a
time, so the button cannot be used to load the server)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import ReadConnection, ServicesDep
from api.pages.batches import DIGITS, MAX_ID, PAGE, Cursor
from api.pages.i18n import Translator, choose
from api.pages.render import PageError, PageRoute, render
from api.pages.verification import last_verification, verify_now
from api.pages.views import shown_events
from api.reads import queries as q

router = APIRouter(route_class=PageRoute)


def _batch_filter(text: str | None) -> int | None:
    """The batch filter; an empty field (the form sends ``batch=``) means all batches."""
    if not text or not text.strip():
        return None
    if not DIGITS.fullmatch(text.strip()) or int(text) > MAX_ID:
        raise PageError(400, "error.bad_parameters", names="batch")
    return int(text)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    conn: ReadConnection,
    services: ServicesDep,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    batch: Annotated[str | None, Query(max_length=20)] = None,
    before: Cursor = None,
    after: Cursor = None,
    verify: bool = False,
) -> HTMLResponse:
    kind = kind or None
    batch_id = _batch_filter(batch)
    if kind is not None and kind not in q.AUDITED_EVENTS:
        raise PageError(400, "error.unknown_event", kind=kind)
    # ``after`` pages back towards newer events: read them oldest first, show newest first.
    if after is not None and before is None:
        page = q.events_between(
            conn, name=kind, batch_id=batch_id, after=after, limit=PAGE, newest_first=False
        )
        items = list(reversed(page.items))
        newer, older = page.more, True
    else:
        page = q.events_between(conn, name=kind, batch_id=batch_id, before=before, limit=PAGE)
        items = page.items
        newer, older = before is not None, page.more
    t = Translator(choose(request)[0])
    return render(
        request,
        "audit.html",
        title=t("audit.title"),
        events=shown_events(conn, items),
        kinds=q.AUDITED_EVENTS,
        kind=kind,
        batch=batch_id,
        newer=newer and bool(items),
        older=older and bool(items),
        ledger=q.ledger_status(conn),
        verification=verify_now(services) if verify else last_verification(services),
    )
