"""Tonnes by state, in total and by programme, vintage year, country and project type.

Each breakdown is one ``GROUP BY`` over ``batches`` (whose spent totals the indexer keeps),
so the cost is one scan of the batches table whatever the number of ranges.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api.reads._common import JsonInt, Model, snapshot
from chain.store import schema as s

b, p, pr = s.batches, s.programs, s.projects


class Tonnes(Model):
    batches: int
    bridged: JsonInt
    held: JsonInt
    retired: JsonInt
    detokenised: JsonInt
    cancelled: JsonInt


class TonnesBy(Tonnes):
    key: str


class TonnesByYear(Tonnes):
    year: int
    """Vintage year: the year of the batches' vintage start."""


class Stats(Model):
    totals: Tonnes
    by_program: list[TonnesBy]
    by_vintage_year: list[TonnesByYear]
    by_country: list[TonnesBy]
    by_project_type: list[TonnesBy]


def _sums() -> list[sa.ColumnElement[Any]]:
    return [
        sa.func.count(b.c.id),
        sa.func.coalesce(sa.func.sum(b.c.quantity), 0),
        sa.func.coalesce(
            sa.func.sum(b.c.quantity - b.c.retired - b.c.detokenised - b.c.cancelled), 0
        ),
        sa.func.coalesce(sa.func.sum(b.c.retired), 0),
        sa.func.coalesce(sa.func.sum(b.c.detokenised), 0),
        sa.func.coalesce(sa.func.sum(b.c.cancelled), 0),
    ]


def _tonnes(values: Any) -> dict[str, int]:
    # SUM of BIGINT is NUMERIC on PostgreSQL: back to int.
    names = ("batches", "bridged", "held", "retired", "detokenised", "cancelled")
    return {name: int(v) for name, v in zip(names, values, strict=True)}


def ledger_stats(conn: Connection) -> Stats:
    """Tonnes bridged, held, retired, detokenised and cancelled, in total and by group."""
    snapshot(conn)
    joined = b.join(p, p.c.id == b.c.program_id).join(pr, pr.c.key == b.c.project_key)

    def by(key: sa.ColumnElement[Any]) -> list[tuple[Any, dict[str, int]]]:
        query = sa.select(key, *_sums()).select_from(joined).group_by(key).order_by(key)
        return [(row[0], _tonnes(row[1:])) for row in conn.execute(query)]

    totals = _tonnes(conn.execute(sa.select(*_sums())).one())
    year = (b.c.vintage_start // 10000).label("year")
    return Stats(
        totals=Tonnes(**totals),
        by_program=[TonnesBy(key=k, **v) for k, v in by(p.c.code)],
        by_vintage_year=[TonnesByYear(year=int(k), **v) for k, v in by(year)],
        by_country=[TonnesBy(key=k, **v) for k, v in by(pr.c.country)],
        by_project_type=[TonnesBy(key=k, **v) for k, v in by(pr.c.project_type)],
    )
