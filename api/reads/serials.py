"""Serial lookup: a registry serial string, or one serial number of a namespace, resolved to
its batch(es), holding ranges, status, holder, retirements and event history.

A registry serial usually names a block (``first..last``); a single serial is the block of
one. When the span's bridged serials all share one state and holder, ``status`` and
``holder`` say them; when they differ, both are ``null`` and ``states`` and ``ranges`` break
the span down.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from api.problems import Problem
from api.reads._common import (
    MAX_SQL_INT,
    ExactTonnes,
    JsonInt,
    Model,
    invalid,
    ledger_batch,
    registry_serial,
    snapshot,
)
from api.reads.batches import (
    BatchSummary,
    HoldingRange,
    StateTonnes,
    holding_range,
    select_batches,
    summary,
)
from api.reads.events import Event, serial_history
from api.reads.retirements import Retirement, retirements_touching
from chain import registries
from chain.domain import StateName, state_name
from chain.registries import SerialFormatError, UnknownRegistry
from chain.store import schema as s
from chain.units import Unit

b, p, r = s.batches, s.programs, s.serial_ranges


@dataclass(frozen=True)
class SerialQuery:
    """A span of serials to look up: ``first..last`` of ``namespace`` under ``program``."""

    program: str
    namespace: str
    first: int
    last: int
    scheme: str | None = None
    """The serial adapter that parsed the registry string (``None`` for a bare number)."""

    @property
    def quantity(self) -> int:
        return self.last - self.first + 1


def resolve_serial(program: str, serial: str, namespace: str | None = None) -> SerialQuery:
    """What ``GET /v1/serials/{program}/{serial}`` asks about. ``serial`` is a full registry
    serial string in ``program``'s format, or with ``namespace`` a single serial number;
    without it a bare number is accepted only where the programme has one registry-wide
    namespace (VCS). Anything else is a 422 ``Problem`` naming the field and, for a
    malformed registry serial, the parser's reason."""
    code = program.strip().upper()
    text = serial.strip()
    if namespace is not None:
        if not namespace.strip():
            raise invalid("query.namespace", "the namespace is empty")
        number = _number(text)
        return SerialQuery(code, namespace.strip(), number, number)
    try:
        adapters = registries.adapters_for(code)
    except UnknownRegistry:
        known = sorted({a.program for a in registries.DEFAULT.adapters()})
        raise invalid(
            "path.program",
            f"no serial format is known for programme {code!r} (known: {', '.join(known)}); "
            "give a single serial number with ?namespace=",
        ) from None
    if _digits(text):
        spaces = {a.namespace for a in adapters}
        if len(spaces) != 1 or "{" in next(iter(spaces)):  # a template: scoped per issuance
            raise invalid(
                "query.namespace",
                f"{code} numbers serials per namespace: give ?namespace= with a single serial "
                "number, or the full registry serial",
            )
        number = _number(text)
        return SerialQuery(code, spaces.pop(), number, number)
    try:
        parsed = registries.parse(code, serial)
    except SerialFormatError as exc:
        raise invalid("path.serial", exc.reason) from None
    return SerialQuery(parsed.program, parsed.namespace, parsed.first, parsed.last, parsed.scheme)


def _digits(text: str) -> bool:
    # ASCII only: str.isdigit() also accepts other scripts' digits, which int() would read.
    return text.isascii() and text.isdigit()


def _number(text: str) -> int:
    if not _digits(text) or int(text) > MAX_SQL_INT:
        raise invalid("path.serial", f"expected a serial number in 0..{MAX_SQL_INT}, got {text!r}")
    return int(text)


class RangeInBatch(HoldingRange):
    batch_id: int


class SerialStatus(Model):
    program: str
    namespace: str
    first_serial: JsonInt
    last_serial: JsonInt
    quantity: JsonInt
    """Serials asked about (1 for a single serial)."""
    scheme: str | None
    registry_serial: str | None
    """The serials asked about as their registry writes them, when they lie in one batch
    whose registry serial is known (``null`` otherwise)."""
    bridged: JsonInt
    """How many of them are bridged (less than ``quantity`` if only part of a block is)."""
    status: StateName | None
    holder: str | None
    """The holder (for spent serials: who spent them), if one account has them all."""
    batch_id: int | None
    """The batch, when the serials lie in one."""
    states: StateTonnes
    """Serials by state (tonnes where the programme counts tonnes)."""
    unit_grams: int
    """Grams of CO2e one serial of the programme is (``chain.units``)."""
    tonnes: ExactTonnes
    """``bridged`` in exact tonnes."""
    batches: list[BatchSummary]
    ranges: list[RangeInBatch]
    """The holding ranges that overlap the serials, in serial order (as stored: a range
    may extend beyond the serials asked about)."""
    ranges_truncated: bool
    retirements: list[Retirement]
    history: list[Event]
    """Every event that touched these serials, in ``seq`` order: bridging, moves,
    retirements, detokenisations, cancellations, and the batch's label and freeze changes."""
    history_truncated: bool


# Statements built once: SQLAlchemy then reuses their cache keys and compiled SQL, which on
# a lookup made of index seeks costs more than the seeks themselves.
_param = sa.bindparam
_same = (p.c.code == _param("program"), b.c.namespace == _param("namespace"))
BATCH_AT = (
    select_batches()
    .where(*_same, b.c.first_serial <= _param("first"))
    .order_by(b.c.first_serial.desc())
    .limit(1)
)
BATCHES_INSIDE = (
    select_batches()
    .where(*_same, b.c.first_serial > _param("first"), b.c.first_serial <= _param("last"))
    .order_by(b.c.first_serial)
    .limit(_param("limit"))
)
RANGE_AT = (
    sa.select(r)
    .where(r.c.batch_id == _param("batch"), r.c.first_serial <= _param("first"))
    .order_by(r.c.first_serial.desc())
    .limit(1)
)
_inside = (
    r.c.batch_id == _param("batch"),
    r.c.first_serial > _param("first"),
    r.c.first_serial <= _param("last"),
)
RANGES_INSIDE = sa.select(r).where(*_inside).order_by(r.c.first_serial).limit(_param("limit"))
_end = sa.case((r.c.last_serial < _param("last"), r.c.last_serial), else_=_param("last"))
TONNES_INSIDE = (
    sa.select(
        r.c.state,
        sa.func.sum(_end - r.c.first_serial + 1),
        sa.func.min(r.c.holder),
        sa.func.max(r.c.holder),
    )
    .where(*_inside)
    .group_by(r.c.state)
)


def lookup_serial(
    conn: Connection, query: SerialQuery, *, limit: int = 100, history_limit: int = 200
) -> SerialStatus:
    """Resolve ``query``; a 404 ``Problem`` when none of its serials is bridged.

    Every step is an index seek or an index range bounded by the span: the batch holding
    ``first`` (the greatest ``first_serial`` at or below it), batches starting inside the
    span, and the same two steps for holding ranges within each batch; then the history
    from the batch's events, and the retirements only if some serial is retired."""
    snapshot(conn)
    batch_rows = _batches(conn, query, limit)
    if not batch_rows:
        span = str(query.first) if query.quantity == 1 else f"{query.first}..{query.last}"
        raise Problem(
            404,
            "not-found",
            "Not found",
            f"{query.program} serial {span} of namespace {query.namespace} is not bridged",
        )
    spans: list[Row[Any]] = []
    states = dict.fromkeys(("held", "retired", "detokenised", "cancelled"), 0)
    holders: set[str] = set()
    truncated = False
    for batch in batch_rows:
        rows, more, tonnes = _in_batch(conn, batch.id, query, limit - len(spans))
        spans.extend(rows)
        truncated = truncated or more
        for name, total, low, high in tonnes:
            states[name] += total
            holders.update((low, high))
    ids = [int(batch.id) for batch in batch_rows]
    known = {int(batch.id): ledger_batch(batch) for batch in batch_rows}
    whole = None
    if len(ids) == 1:
        whole = registry_serial(known[ids[0]], query.first, query.last)
    used = [name for name, tonnes in states.items() if tonnes]
    history, history_more = serial_history(conn, ids, query.first, query.last, limit=history_limit)
    retired: list[Retirement] = []
    if states["retired"]:
        retired, _ = retirements_touching(conn, ids, query.first, query.last, limit=history_limit)
    return SerialStatus(
        program=query.program,
        namespace=query.namespace,
        first_serial=query.first,
        last_serial=query.last,
        quantity=query.quantity,
        scheme=query.scheme,
        registry_serial=whole,
        bridged=sum(states.values()),
        status=used[0] if len(used) == 1 else None,  # type: ignore[arg-type]
        holder=holders.pop() if len(holders) == 1 else None,
        batch_id=ids[0] if len(ids) == 1 else None,
        states=StateTonnes(**states),
        unit_grams=batch_rows[0].unit_grams,
        tonnes=Unit(batch_rows[0].unit_grams).tonnes(sum(states.values())),
        batches=[summary(batch) for batch in batch_rows],
        ranges=[
            RangeInBatch(
                batch_id=row.batch_id, **holding_range(row, known[row.batch_id]).model_dump()
            )
            for row in spans
        ],
        ranges_truncated=truncated,
        retirements=retired,
        history=history,
        history_truncated=history_more,
    )


def _batches(conn: Connection, q: SerialQuery, limit: int) -> list[Row[Any]]:
    """Bridged batches of the namespace overlapping ``q``, in serial order (at most ``limit``)."""
    where = {"program": q.program, "namespace": q.namespace, "first": q.first, "last": q.last}
    below = conn.execute(BATCH_AT, where).first()
    found = [below] if below is not None and below.last_serial >= q.first else []
    if q.last > q.first:
        found += conn.execute(BATCHES_INSIDE, {**where, "limit": limit}).all()
    return found[:limit]


def _in_batch(
    conn: Connection, batch_id: int, q: SerialQuery, limit: int
) -> tuple[list[Row[Any]], bool, list[tuple[str, int, str, str]]]:
    """The batch's ranges overlapping ``q`` (at most ``limit``, and whether there are more),
    and per state the tonnes of ``q`` in it with the least and greatest holder, over every
    overlapping range (not only those listed), clipped to ``q``.

    Index seeks only: the range holding ``q.first`` (the greatest start at or below it), then
    the ranges starting inside ``q``."""
    limit = max(limit, 0)
    where = {"batch": batch_id, "first": q.first, "last": q.last}
    containing = conn.execute(RANGE_AT, where).first()
    rows: list[Row[Any]] = []
    tonnes: list[tuple[str, int, str, str]] = []
    if containing is not None and containing.last_serial >= q.first:
        rows.append(containing)
        clipped = min(containing.last_serial, q.last) - q.first + 1
        tonnes.append((state_name(containing.state), clipped, containing.holder, containing.holder))
    if q.last > q.first:
        rows += conn.execute(RANGES_INSIDE, {**where, "limit": limit + 1}).all()
        totals = conn.execute(TONNES_INSIDE, where).all()
        tonnes += [(state_name(st), int(n), lo, hi) for st, n, lo, hi in totals]
    return rows[:limit], len(rows) > limit, tonnes
