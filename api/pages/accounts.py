"""``/accounts/{address}``: what an account holds, batch by batch with the exact serial ranges,
its pool units, what it has retired, and its allowlist and freeze flags."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import ReadConnection
from api.pages.batches import MAX_ID, PAGE, RANGES, Cursor
from api.pages.i18n import Translator, choose
from api.pages.render import PageError, PageRoute, render
from api.reads import queries as q

router = APIRouter(route_class=PageRoute)

ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
RANGE_CURSOR = re.compile(r"(\d{1,19})-(\d{1,19})")


def parse_address(text: str) -> str:
    if not ADDRESS.fullmatch(text.strip()):
        raise PageError(400, "error.bad_address", address=text)
    return text.strip().lower()


def _range_cursor(text: str | None) -> tuple[int, int] | None:
    """``"<batch>-<first serial>"``: the last range of the previous page."""
    if not text:
        return None
    match = RANGE_CURSOR.fullmatch(text)
    if match is None or max(int(match[1]), int(match[2])) > MAX_ID:
        raise PageError(400, "error.bad_parameters", names="after")
    return int(match[1]), int(match[2])


@router.get("/accounts/{address}", response_class=HTMLResponse)
def account_page(
    request: Request,
    conn: ReadConnection,
    address: Annotated[str, Path(max_length=64)],
    after: Annotated[str | None, Query(max_length=48)] = None,
    retirements_before: Cursor = None,
) -> HTMLResponse:
    account = parse_address(address)
    holdings = q.holdings_after(conn, account, _range_cursor(after), limit=RANGES)
    tonnes = q.account_tonnes(conn, account)
    spent = q.latest_retirements(conn, holder=account, before=retirements_before, limit=PAGE)
    units = q.account_pool_units(conn, account).items
    if (
        holdings.account is None
        and not any(dict(tonnes).values())
        and not spent.items
        and not units
    ):
        raise PageError(404, "error.no_account", address=account)
    t = Translator(choose(request)[0])
    return render(
        request,
        "account.html",
        title=t("account.title", address=account),
        holdings=holdings,
        tonnes=tonnes,
        after=after,
        retirements=spent,
        pool_units=units,
    )
