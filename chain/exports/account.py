"""An account's holdings and retirements as CSV (the account page's download buttons)."""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chain.domain import RangeState, int_to_date, label_names, purpose_name
from chain.exports.csvsafe import ExportTable
from chain.store import schema as s

HOLDINGS_FIELDS: Final = (
    "account",
    "batch_id",
    "program",
    "project_id",
    "project_name",
    "country",
    "namespace",
    "vintage_start",
    "vintage_end",
    "labels",
    "first_serial",
    "last_serial",
    "quantity",
)
RETIREMENTS_FIELDS: Final = (
    "retirement_id",
    "account",
    "batch_id",
    "program",
    "project_id",
    "project_name",
    "namespace",
    "first_serial",
    "last_serial",
    "quantity",
    "beneficiary",
    "purpose",
    "jurisdiction",
    "consumption_start",
    "consumption_end",
    "retired_on",
    "labels",
    "note",
    "mirrored",
    "tx_hash",
)

b, p, g = s.batches, s.projects, s.programs


def _iso(value: int | None) -> str | None:
    date = int_to_date(value)
    return None if date is None else date.isoformat()


def holdings_table(conn: Connection, address: str) -> ExportTable:
    """Every range ``address`` holds live, in batch and serial order."""
    r = s.serial_ranges
    address = address.lower()
    query = (
        sa.select(
            r.c.batch_id,
            r.c.first_serial,
            r.c.last_serial,
            b.c.namespace,
            b.c.vintage_start,
            b.c.vintage_end,
            b.c.labels,
            g.c.code,
            p.c.project_id,
            p.c.name,
            p.c.country,
        )
        .join(b, b.c.id == r.c.batch_id)
        .join(g, g.c.id == b.c.program_id)
        .join(p, p.c.key == b.c.project_key)
        .where(r.c.holder == address, r.c.state == int(RangeState.HELD))
        .order_by(r.c.batch_id, r.c.first_serial)
    )
    table = ExportTable("holdings", HOLDINGS_FIELDS)
    for row in conn.execute(query):
        table.add(
            account=address,
            batch_id=int(row.batch_id),
            program=str(row.code),
            project_id=str(row.project_id),
            project_name=str(row.name),
            country=str(row.country) or None,
            namespace=str(row.namespace),
            vintage_start=_iso(int(row.vintage_start)),
            vintage_end=_iso(int(row.vintage_end)),
            labels=" ".join(label_names(int(row.labels))) or None,
            first_serial=int(row.first_serial),
            last_serial=int(row.last_serial),
            quantity=int(row.last_serial) - int(row.first_serial) + 1,
        )
    return table


def retirements_table(conn: Connection, address: str) -> ExportTable:
    """Every retirement ``address`` made, in id order."""
    t = s.retirements
    address = address.lower()
    query = (
        sa.select(
            t, b.c.namespace, b.c.labels.label("batch_labels"), g.c.code, p.c.project_id, p.c.name
        )
        .join(b, b.c.id == t.c.batch_id)
        .join(g, g.c.id == b.c.program_id)
        .join(p, p.c.key == b.c.project_key)
        .where(t.c.holder == address)
        .order_by(t.c.id)
    )
    table = ExportTable("retirements", RETIREMENTS_FIELDS)
    for row in conn.execute(query):
        labels = int(row.batch_labels) if row.labels is None else int(row.labels)
        table.add(
            retirement_id=int(row.id),
            account=address,
            batch_id=int(row.batch_id),
            program=str(row.code),
            project_id=str(row.project_id),
            project_name=str(row.name),
            namespace=str(row.namespace),
            first_serial=int(row.first_serial),
            last_serial=int(row.last_serial),
            quantity=int(row.quantity),
            beneficiary=str(row.beneficiary) or None,
            purpose=purpose_name(int(row.purpose)),
            jurisdiction=str(row.jurisdiction) or None,
            consumption_start=_iso(int(row.consumption_start)),
            consumption_end=_iso(int(row.consumption_end)),
            retired_on=_iso(int(row.retired_on)),
            labels=" ".join(label_names(labels)) or None,
            note=str(row.note) or None,
            mirrored=bool(row.mirrored),
            tx_hash=str(row.tx_hash),
        )
    return table
