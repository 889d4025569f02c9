"""``/pools`` and ``/pools/{id}``: the pools (issue 15), and one pool with its rules in words,
its lists, supply and holders, its composition as charts and tables, the ranges it holds in
redeem order (with registry serials) and its recent activity with the exact serials moved."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import ReadConnection
from api.pages import charts
from api.pages.i18n import Translator, choose
from api.pages.render import PageError, PageRoute, render
from api.problems import Problem
from api.reads import queries as q

router = APIRouter(route_class=PageRoute)

MAX_POOL = 2**32 - 1
RANGES = 100
ACTIVITY = 20
RULE_PHRASES = (
    "programmes",
    "vintage_from",
    "vintage_to",
    "labels",
    "only.country",
    "except.country",
    "only.project_type",
    "except.project_type",
    "only.methodology",
    "except.methodology",
    "nothing",
)
"""The sentences of ``q.rule_words``, each ``pool.rule.<phrase>`` in the catalogs."""


@router.get("/pools", response_class=HTMLResponse)
def pools_page(request: Request, conn: ReadConnection) -> HTMLResponse:
    t = Translator(choose(request)[0])
    pools = q.list_pools(conn).items
    return render(
        request,
        "pools.html",
        title=t("pools.title"),
        pools=pools,
        tonnes=sum(int(p.supply) for p in pools),
    )


def rules_in_words(t: Translator, rules: q.PoolOut) -> list[str]:
    phrases = {key: t("pool.rule." + key) for key in RULE_PHRASES}
    labels: dict[str, str] = {n: t("label." + n) for n in rules.rules.labels_required}
    return q.rule_words(rules.rules, phrases, labels)


@router.get("/pools/{pool_id}", response_class=HTMLResponse)
def pool_page(
    request: Request,
    conn: ReadConnection,
    pool_id: Annotated[int, Path(ge=0, le=MAX_POOL)],
    ranges: Annotated[str | None, Query(max_length=512)] = None,
    activity: Annotated[str | None, Query(max_length=512)] = None,
) -> HTMLResponse:
    lang = choose(request)[0]
    t = Translator(lang)
    try:
        pool = q.get_pool(conn, pool_id)
        held = q.pool_ranges(conn, pool_id, limit=RANGES, cursor=ranges)
        moves = q.pool_activity(conn, pool_id, limit=ACTIVITY, cursor=activity)
    except Problem as exc:
        if exc.status == 404:
            raise PageError(404, "error.no_pool", id=pool_id) from None
        raise PageError(400, "error.bad_parameters", names="ranges, activity") from None
    composition = []
    for by in q.COMPOSITION_BY:
        rows = [
            (item.key, int(item.tonnes)) for item in q.pool_composition(conn, pool_id, by).items
        ]
        caption = t("pool.by_" + by)
        composition.append((by, rows, charts.shares(rows, caption, t, lang)))
    return render(
        request,
        "pool.html",
        title=t("pool.title", name=pool.name),
        pool=pool,
        words=rules_in_words(t, pool),
        composition=composition,
        ranges=held,
        ranges_cursor=ranges,
        activity=moves,
        activity_cursor=activity,
    )
