"""Tonnes by state, in total and by programme, vintage year, country and project type, the
tonnes each pool holds; and, for
the dashboard, over time (block height, month of retirement).

Each breakdown is one ``GROUP BY`` over ``batches`` (whose spent totals the indexer keeps),
so the cost is one scan of the batches table whatever the number of ranges; the series over
time are one ``GROUP BY`` over each table of spent tonnes. SQL sums serials per programme unit
and Python multiplies: grams reach (2^32-1)^2 a batch, past a 64-bit SQL integer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api.reads._common import JsonInt, Model, snapshot
from api.reads.batches import TonneTotals, grams_totals, totals
from chain.store import pools as store_pools
from chain.store import schema as s
from chain.units import grams_tonnes

b, p, pr = s.batches, s.programs, s.projects


class Tonnes(Model):
    """Serial counts by state (``bridged`` … ``cancelled``: tonnes where every programme counts
    whole tonnes) and ``tonnes``, the same in exact tonnes whatever each programme's unit."""

    batches: int
    bridged: JsonInt
    held: JsonInt
    retired: JsonInt
    detokenised: JsonInt
    cancelled: JsonInt
    tonnes: TonneTotals


class TonnesBy(Tonnes):
    key: str


class TonnesByYear(Tonnes):
    year: int
    """Vintage year: the year of the batches' vintage start."""


class PooledTonnes(Model):
    """A pool and the tonnes it holds (= its unit supply)."""

    pool_id: int
    name: str
    symbol: str
    tonnes: JsonInt


class Pooled(Model):
    pools: int
    tonnes: JsonInt
    """Held tonnes that pools hold (part of ``totals.held``)."""
    by_pool: list[PooledTonnes]


class Stats(Model):
    totals: Tonnes
    by_program: list[TonnesBy]
    by_vintage_year: list[TonnesByYear]
    by_country: list[TonnesBy]
    by_project_type: list[TonnesBy]
    pooled: Pooled


_FATES = ("bridged", "held", "retired", "detokenised", "cancelled")


def _sums() -> list[sa.ColumnElement[Any]]:
    """The programme's unit, the batch count and the serial counts by fate: grouped by unit
    too, for ``_fold`` to turn into grams outside SQL."""
    held = b.c.quantity - b.c.retired - b.c.detokenised - b.c.cancelled
    counts = (b.c.quantity, held, b.c.retired, b.c.detokenised, b.c.cancelled)
    return [
        p.c.unit_grams,
        sa.func.count(b.c.id),
        *(sa.func.coalesce(sa.func.sum(c), 0) for c in counts),
    ]


def _fold(rows: Any) -> dict[Any, dict[str, Any]]:
    """``(key, unit, batches, counts...)`` rows, one per key and unit, as ``Tonnes`` fields by
    key (in the rows' order). Grams are serials times unit in Python: up to (2^32-1)^2 a
    batch, past a 64-bit SQL integer (PostgreSQL would refuse it, SQLite round it)."""
    acc: dict[Any, list[int]] = {}
    for key, unit, *values in rows:
        counts = [int(v) for v in values]  # SUM of BIGINT is NUMERIC on PostgreSQL
        into = acc.setdefault(key, [0] * 11)
        for i, n in enumerate(counts):
            into[i] += n
        for i, n in enumerate(counts[1:]):
            into[6 + i] += n * int(unit)
    return {key: _tonnes(values) for key, values in acc.items()}


def _tonnes(counts: list[int]) -> dict[str, Any]:
    grams = dict(zip(_FATES, counts[6:], strict=True))
    return {
        "batches": counts[0],
        **dict(zip(_FATES, counts[1:6], strict=True)),
        "tonnes": grams_totals(grams),
    }


def grams_by(
    conn: Connection,
    key: sa.ColumnElement[Any],
    table: sa.Table,
    *where: sa.ColumnElement[bool],
) -> dict[Any, int]:
    """Grams of ``table``'s ``quantity`` (serial ranges with a ``batch_id``, or ``batches``)
    by ``key``, over the rows ``where`` admits: serials summed per key and programme unit in
    SQL, times the unit in Python (exact past 2^63 g)."""
    joined = (
        table.join(p, p.c.id == table.c.program_id)
        if table is b
        else table.join(b, b.c.id == table.c.batch_id).join(p, p.c.id == b.c.program_id)
    )
    query = (
        sa.select(key, p.c.unit_grams, sa.func.sum(table.c.quantity))
        .select_from(joined)
        .where(*where)
        .group_by(key, p.c.unit_grams)
    )
    out: dict[Any, int] = {}
    for k, unit, serials in conn.execute(query):
        out[k] = out.get(k, 0) + int(serials) * int(unit)
    return out


def ledger_stats(conn: Connection) -> Stats:
    """Tonnes bridged, held, retired, detokenised and cancelled, in total and by group."""
    snapshot(conn)
    joined = b.join(p, p.c.id == b.c.program_id).join(pr, pr.c.key == b.c.project_key)

    def by(key: sa.ColumnElement[Any]) -> list[tuple[Any, dict[str, Any]]]:
        query = (
            sa.select(key, *_sums()).select_from(joined).group_by(key, p.c.unit_grams).order_by(key)
        )
        return list(_fold(conn.execute(query)).items())

    everything = sa.select(sa.literal(0), *_sums()).select_from(joined).group_by(p.c.unit_grams)
    totals = _fold(conn.execute(everything)).get(0, _tonnes([0] * 11))
    year = (b.c.vintage_start // 10000).label("year")
    return Stats(
        totals=Tonnes(**totals),
        by_program=[TonnesBy(key=k, **v) for k, v in by(p.c.code)],
        by_vintage_year=[TonnesByYear(year=int(k), **v) for k, v in by(year)],
        by_country=[TonnesBy(key=k, **v) for k, v in by(pr.c.country)],
        by_project_type=[TonnesBy(key=k, **v) for k, v in by(pr.c.project_type)],
        pooled=pooled(conn),
    )


def pooled(conn: Connection) -> Pooled:
    """Pools and the tonnes each holds, by pool id."""
    rows = [
        PooledTonnes(pool_id=p.pool_id, name=p.name, symbol=p.symbol, tonnes=p.supply)
        for p in store_pools.list_pools(conn)
    ]
    return Pooled(pools=len(rows), tonnes=sum(r.tonnes for r in rows), by_pool=rows)


def tonnes_over_blocks(conn: Connection, points: int) -> list[tuple[int, TonneTotals]]:
    """Cumulative tonnes by fate at up to ``points`` evenly spaced block heights from the
    deploy block to the checkpoint: (last block of the bucket, exact tonnes up to and including
    it). Nothing before the store has a checkpoint."""
    last = conn.execute(sa.select(s.checkpoint.c.block_number)).scalar()
    if last is None:
        return []
    first = int(conn.execute(sa.select(s.chain_info.c.deploy_block)).scalar() or 0)
    width = max(1, -(-(int(last) - first + 1) // points))
    per_bucket: dict[int, list[int]] = {}
    sources = (b, s.retirements, s.detokenisations, s.cancellations)
    for column, table in enumerate(sources):
        bucket = (table.c.block_number - first) // width
        for index, amount in grams_by(conn, bucket, table).items():
            per_bucket.setdefault(int(index), [0, 0, 0, 0])[column] += amount
    out, running = [], [0, 0, 0, 0]
    for index in sorted(per_bucket):
        running = [x + y for x, y in zip(running, per_bucket[index], strict=True)]
        bridged, retired, detokenised, cancelled = running
        grams = totals(bridged, retired, detokenised, cancelled).model_dump()
        out.append((min(int(last), first + (index + 1) * width - 1), grams_totals(grams)))
    return out


def retired_by_month(conn: Connection) -> list[tuple[str, Decimal]]:
    """(``YYYY-MM`` of the retirement date, exact tonnes), oldest first; undated ones left
    out."""
    month = s.retirements.c.retired_on // 100
    grams = grams_by(conn, month, s.retirements, s.retirements.c.retired_on > 0)
    return [
        (f"{int(m) // 100:04d}-{int(m) % 100:02d}", grams_tonnes(g))
        for m, g in sorted(grams.items())
    ]


def retirement_count(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(s.retirements)).scalar() or 0)
