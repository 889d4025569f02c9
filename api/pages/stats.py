"""The dashboard's figures: tonnes by fate per programme, vintage year, country and project type
(the read API's ``ledger_stats``), and over time (block height; month of retirement). They
aggregate whole tables, so they are computed once per state of the store (its checkpoint) and
kept until the indexer moves it on.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from api.pages.views import Tonnes
from api.reads import queries as reads
from chain.store import schema as s

b = s.batches

TIMELINE_POINTS = 60
"""Buckets of block height in the time series: enough for a trend, few enough to read."""


@dataclass(frozen=True)
class Point:
    block: int
    """The last block of the bucket."""
    tonnes: Tonnes
    """Cumulative up to and including that block."""


@dataclass(frozen=True)
class Stats:
    total: Tonnes
    batches: int
    retirements: int
    by_program: list[tuple[str, Tonnes]]
    by_vintage: list[tuple[str, Tonnes]]
    by_country: list[tuple[str, Tonnes]]
    by_project_type: list[tuple[str, Tonnes]]
    timeline: list[Point]
    retired_by_month: list[tuple[str, int]]
    """(``YYYY-MM`` of the retirement date, tonnes), oldest first."""


def _tonnes(x: reads.Tonnes) -> Tonnes:
    return Tonnes(int(x.bridged), int(x.retired), int(x.detokenised), int(x.cancelled))


def _timeline(conn: Connection, first: int, last: int) -> list[Point]:
    """Cumulative tonnes by fate at ``TIMELINE_POINTS`` evenly spaced block heights."""
    width = max(1, -(-(last - first + 1) // TIMELINE_POINTS))
    per_bucket: dict[int, list[int]] = {}
    sources = (
        (0, b, b.c.quantity),
        (1, s.retirements, s.retirements.c.quantity),
        (2, s.detokenisations, s.detokenisations.c.quantity),
        (3, s.cancellations, s.cancellations.c.quantity),
    )
    for column, table, quantity in sources:
        bucket = (table.c.block_number - first) // width
        query = sa.select(bucket, sa.func.sum(quantity)).group_by(bucket)
        for index, tonnes in conn.execute(query):
            per_bucket.setdefault(int(index), [0, 0, 0, 0])[column] += int(tonnes)
    points, running = [], [0, 0, 0, 0]
    for index in sorted(per_bucket):
        running = [a + b for a, b in zip(running, per_bucket[index], strict=True)]
        end = min(last, first + (index + 1) * width - 1)
        points.append(Point(end, Tonnes(*running)))
    return points


def compute(conn: Connection) -> Stats:
    figures = reads.ledger_stats(conn)
    cp = conn.execute(sa.select(s.checkpoint.c.block_number)).scalar()
    start = conn.execute(sa.select(s.chain_info.c.deploy_block)).scalar()
    month = s.retirements.c.retired_on // 100
    months = conn.execute(
        sa.select(month, sa.func.sum(s.retirements.c.quantity))
        .where(s.retirements.c.retired_on > 0)
        .group_by(month)
        .order_by(month)
    )
    return Stats(
        total=_tonnes(figures.totals),
        batches=figures.totals.batches,
        retirements=int(
            conn.execute(sa.select(sa.func.count()).select_from(s.retirements)).scalar() or 0
        ),
        by_program=[(x.key, _tonnes(x)) for x in figures.by_program],
        by_vintage=[(str(x.year), _tonnes(x)) for x in figures.by_vintage_year],
        by_country=_largest([(x.key, _tonnes(x)) for x in figures.by_country]),
        by_project_type=_largest([(x.key, _tonnes(x)) for x in figures.by_project_type]),
        timeline=[] if cp is None else _timeline(conn, int(start or 0), int(cp)),
        retired_by_month=[(f"{int(m) // 100:04d}-{int(m) % 100:02d}", int(t)) for m, t in months],
    )


_FATES = ("bridged", "retired", "detokenised", "cancelled")
OTHERS = "\0others"
"""Label of the bucket that sums the categories past the largest few (translated on display)."""


def _largest(rows: list[tuple[str, Tonnes]], keep: int = 12) -> list[tuple[str, Tonnes]]:
    """The ``keep`` largest categories by tonnes bridged, and the rest summed as one."""
    rows = sorted(rows, key=lambda kv: (-kv[1].bridged, kv[0]))
    if len(rows) <= keep + 1:
        return rows
    rest = rows[keep:]
    summed = Tonnes(*(sum(getattr(t, f) for _, t in rest) for f in _FATES))
    return [*rows[:keep], (OTHERS, summed)]


_cache: weakref.WeakKeyDictionary[Engine, tuple[tuple[object, ...], Stats]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def current(conn: Connection) -> Stats:
    """The figures for the store's current checkpoint, computed at most once per checkpoint."""
    cp = conn.execute(
        sa.select(s.checkpoint.c.audit_seq, s.checkpoint.c.block_number, s.checkpoint.c.audit_head)
    ).first()
    key = tuple(cp) if cp is not None else ()
    with _lock:
        cached = _cache.get(conn.engine)
    if cached is not None and cached[0] == key and key:
        return cached[1]
    stats = compute(conn)
    with _lock:
        _cache[conn.engine] = (key, stats)
    return stats
