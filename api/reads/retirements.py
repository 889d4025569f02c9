"""Retirements: one in full (what a certificate shows, with its verification data), and the
list with its filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from api.problems import not_found
from api.reads._common import (
    ExactTonnes,
    JsonInt,
    Model,
    Page,
    SerialSpan,
    decode_cursor,
    keyset_page,
    ledger_batch,
    registry_serial,
)
from api.reads.batches import PROJECT_COLUMNS, join_project
from chain.domain import LabelName, PurposeName, int_to_date, label_names, purpose_name
from chain.store import schema as s
from chain.units import Unit

t, b, e = s.retirements, s.batches, s.events


def certificate_url(retirement_id: int) -> str:
    """Where the retirement's certificate is served (HTML, JSON or PDF by ``Accept``)."""
    return f"/v1/retirements/{retirement_id}/certificate"


class ConsumptionPeriod(Model):
    start: dt.date | None
    end: dt.date | None


class Retirement(Model):
    id: int
    batch_id: int
    program: str
    project_id: str
    project_name: str
    country: str
    vintage_start: dt.date | None
    vintage_end: dt.date | None
    holder: str
    first_serial: JsonInt
    last_serial: JsonInt
    quantity: JsonInt
    """Serials retired (units of the programme: tonnes, or kg for a kg programme)."""
    unit_grams: int
    """Grams of CO2e one serial of the programme is (``chain.units``)."""
    tonnes: ExactTonnes
    """``quantity`` in exact tonnes: what the certificate states."""
    serial_ranges: list[SerialSpan]
    """The exact serials retired (one contiguous range on this ledger)."""
    beneficiary: str
    purpose: PurposeName
    jurisdiction: str | None
    consumption_period: ConsumptionPeriod | None
    note: str
    retired_on: dt.date | None
    mirrored: bool
    """A retirement replayed from the registry's own records (dated by the registry)."""
    labels: list[LabelName] | None
    """The batch labels the retirement relied on, fixed by the ledger from then on (``None``
    for a retirement indexed before the ledger recorded them)."""
    actor: str
    tx_hash: str
    block_number: int
    seq: int
    """The audit sequence number of the ``CreditsRetired`` event."""
    certificate_url: str


class Verification(Model):
    """What an auditor needs to find the retirement on the chain and check the trail."""

    chain_id: int | None
    contract: str | None
    tx_hash: str
    block_number: int
    block_hash: str | None
    log_index: int | None
    audit_seq: int
    audit_head: str | None
    """The rolling audit hash right after this retirement's event."""


class RetirementDetail(Retirement):
    verification: Verification


class RetirementPage(Page[Retirement]):
    pass


@dataclass(frozen=True)
class RetirementFilters:
    batch_id: int | None = None
    holder: str | None = None
    beneficiary: str | None = None
    """Exact, case-sensitive match on the beneficiary as recorded."""

    def scope(self) -> dict[str, Any]:
        return {"list": "retirements", **asdict(self)}


def _select() -> sa.Select[Any]:
    query = sa.select(
        t,
        *PROJECT_COLUMNS,
        b.c.vintage_start,
        b.c.vintage_end,
        b.c.namespace,
        b.c.first_serial.label("batch_first"),
        b.c.last_serial.label("batch_last"),
        b.c.registry_reference,
    )
    return join_project(query.join(b, b.c.id == t.c.batch_id))


def _fields(row: Row[Any]) -> dict[str, Any]:
    period = None
    if row.consumption_start or row.consumption_end:
        period = ConsumptionPeriod(
            start=int_to_date(row.consumption_start), end=int_to_date(row.consumption_end)
        )
    return {
        "id": row.id,
        "batch_id": row.batch_id,
        "program": row.program_code,
        "project_id": row.registry_project_id,
        "project_name": row.project_name,
        "country": row.country,
        "vintage_start": int_to_date(row.vintage_start),
        "vintage_end": int_to_date(row.vintage_end),
        "holder": row.holder,
        "first_serial": row.first_serial,
        "last_serial": row.last_serial,
        "quantity": row.quantity,
        "unit_grams": row.unit_grams,
        "tonnes": Unit(row.unit_grams).tonnes(row.quantity),
        "serial_ranges": [
            SerialSpan(
                first_serial=row.first_serial,
                last_serial=row.last_serial,
                quantity=row.quantity,
                registry_serial=registry_serial(
                    ledger_batch(row), row.first_serial, row.last_serial
                ),
            )
        ],
        "beneficiary": row.beneficiary,
        "purpose": purpose_name(row.purpose),
        "jurisdiction": row.jurisdiction or None,
        "consumption_period": period,
        "note": row.note,
        "retired_on": int_to_date(row.retired_on),
        "mirrored": row.mirrored,
        "labels": None if row.labels is None else label_names(int(row.labels)),
        "actor": row.actor,
        "tx_hash": row.tx_hash,
        "block_number": row.block_number,
        "seq": row.seq,
        "certificate_url": certificate_url(row.id),
    }


def get_retirement(conn: Connection, retirement_id: int) -> RetirementDetail:
    """One retirement with its verification data; a 404 ``Problem`` if there is none."""
    row = conn.execute(_select().where(t.c.id == retirement_id)).first()
    if row is None:
        raise not_found(f"retirement {retirement_id}")
    logged = conn.execute(
        sa.select(e.c.block_hash, e.c.log_index, e.c.audit_head).where(e.c.seq == row.seq)
    ).first()
    chain = conn.execute(
        sa.select(s.chain_info.c.chain_id, s.chain_info.c.contract_address)
    ).first()
    return RetirementDetail(
        **_fields(row),
        verification=Verification(
            chain_id=chain.chain_id if chain else None,
            contract=chain.contract_address if chain else None,
            tx_hash=row.tx_hash,
            block_number=row.block_number,
            block_hash=logged.block_hash if logged else None,
            log_index=logged.log_index if logged else None,
            audit_seq=row.seq,
            audit_head=logged.audit_head if logged else None,
        ),
    )


def list_retirements(
    conn: Connection,
    filters: RetirementFilters | None = None,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> RetirementPage:
    """Retirements matching ``filters`` in id order, keyset-paginated."""
    f = filters or RetirementFilters()
    after = decode_cursor(cursor, f.scope(), 1)
    query = _select()
    if f.batch_id is not None:
        query = query.where(t.c.batch_id == f.batch_id)
    if f.holder is not None:
        query = query.where(t.c.holder == f.holder.lower())
    if f.beneficiary is not None:
        query = query.where(t.c.beneficiary == f.beneficiary)
    if after is not None:
        query = query.where(t.c.id > after[0])
    rows = conn.execute(query.order_by(t.c.id).limit(limit + 1)).all()
    page, following = keyset_page(rows, limit, f.scope(), lambda row: [row.id])
    return RetirementPage(items=[Retirement(**_fields(row)) for row in page], next_cursor=following)


def retirements_touching(
    conn: Connection, batch_ids: list[int], first: int, last: int, *, limit: int
) -> tuple[list[Retirement], bool]:
    """Retirements of ``batch_ids`` whose serials overlap ``first..last``, in id order; at
    most ``limit``, and whether there were more."""
    if not batch_ids:
        return [], False
    query = (
        _select()
        .where(t.c.batch_id.in_(batch_ids), t.c.first_serial <= last, t.c.last_serial >= first)
        .order_by(t.c.id)
        .limit(limit + 1)
    )
    rows = conn.execute(query).all()
    return [Retirement(**_fields(row)) for row in rows[:limit]], len(rows) > limit


def latest_retirements(
    conn: Connection,
    *,
    batch_id: int | None = None,
    holder: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> RetirementPage:
    """Retirements newest first (by id), of one batch or holder (as stored: lower case), before
    id ``before``: what the pages list (their links page on with the last one's id)."""
    scope = {"list": "latest-retirements", "batch_id": batch_id, "holder": holder}
    query = _select().order_by(t.c.id.desc()).limit(limit + 1)
    if batch_id is not None:
        query = query.where(t.c.batch_id == batch_id)
    if holder is not None:
        query = query.where(t.c.holder == holder)
    if before is not None:
        query = query.where(t.c.id < before)
    rows = conn.execute(query).all()
    page, following = keyset_page(rows, limit, scope, lambda row: [row.id])
    return RetirementPage(items=[Retirement(**_fields(row)) for row in page], next_cursor=following)
