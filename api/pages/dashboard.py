"""``/``: the ledger at a glance: tonnes by fate and dimension, over time, the latest events and
retirements, and how current and how verified the mirror is."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import ReadConnection, ServicesDep
from api.pages import charts, stats
from api.pages.i18n import Translator, choose
from api.pages.render import PageRoute, render
from api.pages.verification import last_verification
from api.pages.views import shown_events
from api.reads import queries as q
from api.reads.queries import TonneTotals as Totals
from chain.indexer import halt

router = APIRouter(route_class=PageRoute)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, conn: ReadConnection, services: ServicesDep) -> HTMLResponse:
    figures = stats.current(conn)
    lang = choose(request)[0]
    t = Translator(lang)

    def named(rows: list[tuple[str, Totals]]) -> list[tuple[str, Totals]]:
        return [(t("chart.others") if k == stats.OTHERS else k, x) for k, x in rows]

    dimensions = [
        ("program", named(figures.by_program)),
        ("vintage", named(figures.by_vintage)),
        ("country", named(figures.by_country)),
        ("project_type", named(figures.by_project_type)),
    ]
    bars = [
        (key, rows, charts.stacked_bars(rows, t("dashboard.by_" + key), t, lang))
        for key, rows in dimensions
    ]
    with services.indexer.lock:
        indexer = {
            "head": services.indexer.head,
            "block": services.indexer.block,
            "lag": services.indexer.lag,
            "error": services.indexer.error,
        }
    stopped = halt.read(conn)  # what the indexer recorded in the store, whoever runs it
    return render(
        request,
        "dashboard.html",
        title=t("dashboard.title"),
        stats=figures,
        bars=bars,
        timeline=charts.timeline(figures.timeline, t("dashboard.timeline"), t, lang),
        timeline_rows=[(str(point.block), point.tonnes) for point in figures.timeline],
        months=charts.columns(figures.retired_by_month, t("dashboard.by_month"), t, lang),
        ledger=q.ledger_status(conn),
        programmes=figures.programmes,
        indexer=indexer,
        halt=stopped,
        verification=last_verification(services),
        events=shown_events(conn, q.events_between(conn, limit=10).items),
        retirements=q.latest_retirements(conn, limit=10).items,
    )
