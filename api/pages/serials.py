"""``/serials?q=``: any registry serial, in any supported format, or a single serial number with
its namespace, resolved to its batch, status, holder and full history.

Without a programme the serial is tried against every registry's format; a string that more
than one format reads (the Gold Standard export also lists CDM units) is looked up under each.
Each reading is then looked up exactly as ``GET /v1/serials/...`` does (``lookup_serial``), so
the page and the API agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Connection

from api.deps import ReadConnection
from api.pages.batches import DIGITS, MAX_ID
from api.pages.i18n import Translator, choose
from api.pages.render import PageRoute, render
from api.pages.views import EventView, shown
from api.problems import Problem
from api.reads import queries as reads
from chain import registries
from chain.errors import CarbonLedgerError
from chain.registries import SerialFormatError, UnknownRegistry
from chain.registries._grammar import PLACEHOLDER

router = APIRouter(route_class=PageRoute)

HISTORY = 200
RANGES = 100


@dataclass(frozen=True)
class Wanted:
    """Serials asked about: ``first..last`` of ``namespace`` under ``program``."""

    program: str
    namespace: str
    first: int
    last: int


@dataclass(frozen=True)
class Found:
    wanted: Wanted
    status: reads.SerialStatus
    history: list[EventView]
    """``status.history``, with each event's parts pulled out for display."""


class Unresolved(CarbonLedgerError):
    """The input names no serials: a catalog key, its fields, and each format's reason."""

    def __init__(self, message: str, reasons: dict[str, str] | None = None, **fields: str) -> None:
        super().__init__(message)
        self.message = message
        self.reasons = reasons or {}
        self.fields = fields


def _constant_namespaces(program: str) -> set[str]:
    """Namespaces of ``program`` that need no part of a serial (Verra's registry-wide one)."""
    try:
        adapters = registries.adapters_for(program)
    except UnknownRegistry:
        return set()
    spaces = {a.namespace for a in adapters if a.program == program}
    return {n for n in spaces if not PLACEHOLDER.search(n)}


def resolve(
    text: str, program: str | None, namespace: str | None, known: list[str]
) -> list[Wanted]:
    """Every reading of the input; raises :class:`Unresolved` when there is none."""
    programs = [program] if program else known
    if DIGITS.fullmatch(text):
        number = int(text)
        if number > MAX_ID:
            raise Unresolved("serials.too_large")
        if namespace:
            return [Wanted(p, namespace, number, number) for p in programs]
        found = [
            Wanted(p, n, number, number) for p in programs for n in sorted(_constant_namespaces(p))
        ]
        if not found:
            raise Unresolved("serials.needs_namespace")
        return found
    keys = [program] if program else list(registries.registries())
    readings: dict[tuple[str, str, int, int], Wanted] = {}
    reasons: dict[str, str] = {}
    for key in keys:
        try:
            parsed = registries.parse(key, text)
        except (SerialFormatError, UnknownRegistry) as exc:
            reasons[key.upper()] = getattr(exc, "reason", str(exc))
            continue
        wanted = Wanted(parsed.program, parsed.namespace, parsed.first, parsed.last)
        readings[(wanted.program, wanted.namespace, wanted.first, wanted.last)] = wanted
    if not readings:
        raise Unresolved("serials.bad_serial", reasons)
    return list(readings.values())


def look_up(conn: Connection, wanted: Wanted) -> Found | None:
    query = reads.SerialQuery(wanted.program, wanted.namespace, wanted.first, wanted.last)
    try:
        status = reads.lookup_serial(conn, query, limit=RANGES, history_limit=HISTORY)
    except Problem as exc:
        if exc.status == 404:
            return None  # none of these serials is bridged
        raise
    history = [shown(e) for e in status.history]
    return Found(wanted, status, history)


@router.get("/serials", response_class=HTMLResponse)
def serial_page(
    request: Request,
    conn: ReadConnection,
    q_: Annotated[str | None, Query(alias="q", max_length=400)] = None,
    program: Annotated[str | None, Query(max_length=32)] = None,
    namespace: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    t = Translator(choose(request)[0])
    text = (q_ or "").strip()
    known = reads.program_list(conn)
    program = (program or "").strip().upper() or None
    namespace = (namespace or "").strip() or None
    context: dict[str, Any] = {
        "title": t("serials.title"),
        "query": text,
        "program": program,
        "namespace": namespace,
        "programs": known,
        "results": [],
        "problem": None,
        "reasons": {},
    }
    if not text:
        return render(request, "serials.html", **context)
    try:
        wanted = resolve(text, program, namespace, known)
    except Unresolved as exc:
        problem = t(exc.message, **exc.fields)
        return render(
            request,
            "serials.html",
            status=400,
            **{**context, "problem": problem, "reasons": exc.reasons},
        )
    results = [found for w in wanted if (found := look_up(conn, w))]
    if not results:
        problem = t("serials.not_bridged")
        return render(request, "serials.html", status=404, **{**context, "problem": problem})
    return render(request, "serials.html", **{**context, "results": results})
