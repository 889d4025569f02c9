"""The dashboard's figures: tonnes by fate per programme, vintage year, country and project type
(the read API's ``ledger_stats``), and over time (block height; month of retirement), all read
through the read API's query layer. They aggregate whole tables, so they are computed once per
state of the store (its checkpoint) and kept until the indexer moves it on.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.engine import Connection, Engine

from api.reads import queries as reads
from api.reads.queries import TonneTotals as Totals

TIMELINE_POINTS = 60
"""Buckets of block height in the time series: enough for a trend, few enough to read."""


@dataclass(frozen=True)
class Point:
    block: int
    """The last block of the bucket."""
    tonnes: Totals
    """Cumulative exact tonnes up to and including that block."""


@dataclass(frozen=True)
class Stats:
    total: Totals
    batches: int
    retirements: int
    by_program: list[tuple[str, Totals]]
    by_vintage: list[tuple[str, Totals]]
    by_country: list[tuple[str, Totals]]
    by_project_type: list[tuple[str, Totals]]
    timeline: list[Point]
    retired_by_month: list[tuple[str, Decimal]]
    """(``YYYY-MM`` of the retirement date, exact tonnes), oldest first."""
    pools: list[tuple[int, str, str, int]]
    """(pool id, name, symbol, tonnes held) by pool id."""
    programmes: list[reads.ProgrammeBuffer]
    """Each programme's unit and buffer pool (the read API's ``programme_buffers``)."""


def _tonnes(x: reads.Tonnes) -> Totals:
    """Exact tonnes (``chain.units``: each programme's serials times its unit), never the
    serial counts, which mix units across programmes."""
    return x.tonnes


def compute(conn: Connection) -> Stats:
    figures = reads.ledger_stats(conn)
    return Stats(
        total=_tonnes(figures.totals),
        batches=figures.totals.batches,
        retirements=reads.retirement_count(conn),
        by_program=[(x.key, _tonnes(x)) for x in figures.by_program],
        by_vintage=[(str(x.year), _tonnes(x)) for x in figures.by_vintage_year],
        by_country=_largest([(x.key, _tonnes(x)) for x in figures.by_country]),
        by_project_type=_largest([(x.key, _tonnes(x)) for x in figures.by_project_type]),
        timeline=[Point(*x) for x in reads.tonnes_over_blocks(conn, TIMELINE_POINTS)],
        retired_by_month=reads.retired_by_month(conn),
        pools=[(p.pool_id, p.name, p.symbol, int(p.tonnes)) for p in figures.pooled.by_pool],
        programmes=reads.programme_buffers(conn),
    )


_FATES = ("bridged", "held", "retired", "detokenised", "cancelled")
OTHERS = "\0others"
"""Label of the bucket that sums the categories past the largest few (translated on display)."""


def _largest(rows: list[tuple[str, Totals]], keep: int = 12) -> list[tuple[str, Totals]]:
    """The ``keep`` largest categories by tonnes bridged, and the rest summed as one."""
    rows = sorted(rows, key=lambda kv: (-kv[1].bridged, kv[0]))
    if len(rows) <= keep + 1:
        return rows
    rest = rows[keep:]
    summed = Totals(**{f: sum((getattr(t, f) for _, t in rest), Decimal(0)) for f in _FATES})
    return [*rows[:keep], (OTHERS, summed)]


_cache: weakref.WeakKeyDictionary[Engine, tuple[tuple[object, ...], Stats]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def current(conn: Connection) -> Stats:
    """The figures for the store's current checkpoint, computed at most once per checkpoint."""
    status = reads.ledger_status(conn)
    key = () if status.block is None else (status.audit_seq, status.block, status.audit_head)
    with _lock:
        cached = _cache.get(conn.engine)
    if cached is not None and cached[0] == key and key:
        return cached[1]
    stats = compute(conn)
    with _lock:
        _cache[conn.engine] = (key, stats)
    return stats
