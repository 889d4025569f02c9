"""The demo's retirement lines: a retirement with the exact serials it retired, as the
registry writes them (the numbers where it has no serial). Shared by the buyers' summary
(``chain.demo``) and the pools' (``chain._demo_pools``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from chain import registries
from chain.domain import purpose_name
from chain.store import schema as s


def retirement_rows(conn: Connection, where: sa.ColumnElement[bool]) -> Sequence[Row[Any]]:
    """The retirements ``where`` selects, by id, with what their serial lines need."""
    b, r, p, j = s.batches, s.retirements, s.programs, s.projects
    return conn.execute(
        sa.select(
            r.c.id,
            r.c.beneficiary,
            r.c.quantity,
            r.c.purpose,
            r.c.first_serial,
            r.c.last_serial,
            p.c.code,
            b.c.namespace,
            b.c.first_serial.label("batch_first"),
            b.c.last_serial.label("batch_last"),
            b.c.registry_reference,
            j.c.project_id,
        )
        .join(b, b.c.id == r.c.batch_id)
        .join(p, p.c.id == b.c.program_id)
        .join(j, j.c.key == b.c.project_key)
        .where(where)
        .order_by(r.c.id)
    ).all()


def retirement_line(row: Row[Any]) -> str:
    """``retirement N: Q t for B (purpose): <registry serial of the retired range>``."""
    batch = registries.LedgerBatch(
        row.code,
        row.namespace,
        int(row.batch_first),
        int(row.batch_last),
        row.registry_reference,
        row.project_id,
    )
    serial = registries.shown_serial(batch, int(row.first_serial), int(row.last_serial))
    shown = serial or f"{row.code} {row.namespace} {row.first_serial}-{row.last_serial}"
    return (
        f"retirement {row.id}: {int(row.quantity):,} t for {row.beneficiary} "
        f"({purpose_name(int(row.purpose))}): {shown}"
    )
