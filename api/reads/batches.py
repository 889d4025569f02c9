"""Batches: the list with its filters (and the pages' list by programme in serial order), one
batch in full, and a batch's holding ranges."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from api.problems import not_found
from api.reads._common import (
    ExactTonnes,
    JsonInt,
    Model,
    Page,
    decode_cursor,
    keyset_page,
    ledger_batch,
    registry_serial,
    snapshot,
)
from api.reads.buffers import Reversal, reversals_of
from chain.domain import (
    LABEL_BITS,
    LabelName,
    Project,
    RangeState,
    StateName,
    int_to_date,
    label_names,
    state_name,
)
from chain.registries import LedgerBatch
from chain.store import schema as s
from chain.units import Unit, grams_tonnes

b, p, pr, r = s.batches, s.programs, s.projects, s.serial_ranges


class Totals(Model):
    """Tonnes of a batch (or a group of batches) by state; bridged = the sum of the others."""

    bridged: JsonInt
    held: JsonInt
    retired: JsonInt
    detokenised: JsonInt
    cancelled: JsonInt


def totals(bridged: int, retired: int, detokenised: int, cancelled: int) -> Totals:
    """``Totals`` from what the store keeps: held follows by conservation."""
    held = bridged - retired - detokenised - cancelled
    return Totals(
        bridged=bridged, held=held, retired=retired, detokenised=detokenised, cancelled=cancelled
    )


class TonneTotals(Model):
    """``Totals`` in exact tonnes (serials times the programme's unit, ``chain.units``)."""

    bridged: ExactTonnes
    held: ExactTonnes
    retired: ExactTonnes
    detokenised: ExactTonnes
    cancelled: ExactTonnes


def tonne_totals(unit: Unit, t: Totals) -> TonneTotals:
    """``t`` (serial counts of one programme's batches) in tonnes of ``unit``."""
    return TonneTotals(**{k: unit.tonnes(v) for k, v in t.model_dump().items()})


def grams_totals(grams: dict[str, int]) -> TonneTotals:
    """Tonnes from sums already in grams (across programmes of different units)."""
    return TonneTotals(**{k: grams_tonnes(v) for k, v in grams.items()})


class StateTonnes(Model):
    """Tonnes by state (of an account, or of the serials asked about)."""

    held: JsonInt
    retired: JsonInt
    detokenised: JsonInt
    cancelled: JsonInt


class BatchSummary(Model):
    id: int
    program: str
    project: Project
    namespace: str
    first_serial: JsonInt
    last_serial: JsonInt
    quantity: JsonInt
    vintage_start: dt.date | None
    vintage_end: dt.date | None
    vintage_year: int
    """The year of ``vintage_start``: what the ``vintage`` filter and the stats group by."""
    labels: list[LabelName]
    registry_reference: str
    registry_serial: str | None
    """The whole batch as its registry writes a serial; ``null`` where the stored reference
    and namespace give none (docs/API-READS.md)."""
    frozen: bool
    totals: Totals
    """Serial counts by state: tonnes where the programme's unit is a tonne (``tonnes``)."""
    unit_grams: int
    """Grams of CO2e one serial of the batch's programme is (1,000,000: a tonne; 1,000: a kg)."""
    tonnes: TonneTotals
    """``totals`` in exact tonnes, whatever the programme's unit."""


class BatchPage(Page[BatchSummary]):
    pass


class HoldingRange(Model):
    """One holding range of a batch: ``first_serial..last_serial``, its holder and state. For a
    spent range the holder is the account that spent it."""

    first_serial: JsonInt
    last_serial: JsonInt
    quantity: JsonInt
    holder: str
    state: StateName
    seq: int
    """The audit ``seq`` of the event that last shaped this range."""
    registry_serial: str | None = None
    """The range as its registry writes a serial (``null`` where the batch has none)."""


class RangePage(Page[HoldingRange]):
    pass


class Batch(BatchSummary):
    """A batch with every stored field (what its page shows)."""

    recipient: str
    bridged_by: str
    metadata_hash: str
    seq: int
    block_number: int
    tx_hash: str


class BatchDetail(Batch):
    range_count: int
    conserved: bool
    """Whether the holding ranges tile the batch and their states add up to ``totals``
    (bridged = held + retired + detokenised + cancelled); always true on a sound store."""
    ranges: RangePage
    """The first page of holding ranges; ``GET /v1/batches/{id}/ranges`` pages on."""
    reversals: list[Reversal]
    """Buffer credits cancelled to make good a reversal of this batch (``BufferReversed``),
    oldest first (the first 100)."""


@dataclass(frozen=True)
class BatchFilters:
    """Filters of ``GET /v1/batches``; every one given must hold (labels: all of them)."""

    program: str | None = None
    vintage: int | None = None
    country: str | None = None
    project: str | None = None
    labels: Sequence[LabelName] = field(default_factory=tuple)
    holder: str | None = None

    def scope(self) -> dict[str, Any]:
        out = asdict(self)
        out["labels"] = sorted(set(self.labels))
        return {"list": "batches", **out}


PROJECT_COLUMNS = (
    p.c.code.label("program_code"),
    pr.c.project_id.label("registry_project_id"),
    pr.c.name.label("project_name"),
    pr.c.country,
    p.c.unit_grams,
)
"""The programme code and project columns a query joined with ``join_project`` can select."""


def join_project(query: sa.Select[Any]) -> sa.Select[Any]:
    """``query`` (which must select from ``batches``) joined with its programme and project."""
    return query.join(p, p.c.id == b.c.program_id).join(pr, pr.c.key == b.c.project_key)


def select_batches() -> sa.Select[Any]:
    """Batches with their programme code and project (rows for ``summary``)."""
    return join_project(sa.select(b, *PROJECT_COLUMNS, pr.c.methodology, pr.c.project_type))


def _summary_fields(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "program": row.program_code,
        "project": Project(
            project_id=row.registry_project_id,
            name=row.project_name,
            country=row.country,
            methodology=row.methodology,
            project_type=row.project_type,
        ),
        "namespace": row.namespace,
        "first_serial": row.first_serial,
        "last_serial": row.last_serial,
        "quantity": row.quantity,
        "vintage_start": int_to_date(row.vintage_start),
        "vintage_end": int_to_date(row.vintage_end),
        "vintage_year": row.vintage_start // 10000,
        "labels": label_names(row.labels),
        "registry_reference": row.registry_reference,
        "registry_serial": registry_serial(ledger_batch(row), row.first_serial, row.last_serial),
        "frozen": row.frozen,
        "totals": (t := totals(row.quantity, row.retired, row.detokenised, row.cancelled)),
        "unit_grams": row.unit_grams,
        "tonnes": tonne_totals(Unit(row.unit_grams), t),
    }


def _batch_fields(row: Row[Any]) -> dict[str, Any]:
    return {
        **_summary_fields(row),
        "recipient": row.recipient,
        "bridged_by": row.bridged_by,
        "metadata_hash": row.metadata_hash,
        "seq": row.seq,
        "block_number": row.block_number,
        "tx_hash": row.tx_hash,
    }


def summary(row: Row[Any]) -> BatchSummary:
    """A ``BatchSummary`` from a row of ``select_batches()``."""
    return BatchSummary(**_summary_fields(row))


def _where(query: sa.Select[Any], f: BatchFilters) -> sa.Select[Any]:
    if f.program is not None:
        query = query.where(p.c.code == f.program.upper())
    if f.vintage is not None:
        # A range on vintage_start, so its index serves the filter.
        query = query.where(b.c.vintage_start.between(f.vintage * 10000, f.vintage * 10000 + 9999))
    if f.country is not None:
        query = query.where(sa.func.lower(pr.c.country) == f.country.lower())
    if f.project is not None:
        query = query.where(pr.c.project_id == f.project)
    bits = 0
    for name in f.labels:
        bits |= LABEL_BITS[name]
    if bits:
        query = query.where(b.c.labels.op("&")(bits) == bits)
    if f.holder is not None:
        live = sa.select(r.c.batch_id).where(
            r.c.holder == f.holder.lower(), r.c.state == int(RangeState.HELD)
        )
        query = query.where(b.c.id.in_(live))
    return query


def list_batches(
    conn: Connection,
    filters: BatchFilters | None = None,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> BatchPage:
    """Batches matching ``filters`` in id order, ``limit`` per page (keyset pagination:
    each page is an index range scan, however deep). A bad cursor is a 422 ``Problem``."""
    f = filters or BatchFilters()
    after = decode_cursor(cursor, f.scope(), 1)
    query = _where(select_batches(), f)
    if after is not None:
        query = query.where(b.c.id > after[0])
    rows = conn.execute(query.order_by(b.c.id).limit(limit + 1)).all()
    page, following = keyset_page(rows, limit, f.scope(), lambda row: [row.id])
    return BatchPage(items=[summary(row) for row in page], next_cursor=following)


def batches_by_program(
    conn: Connection, program: str | None, *, after: int | None = None, limit: int = 50
) -> BatchPage:
    """Batches after batch ``after``: all in id order, or one programme's (by exact code) in
    serial order (namespace, first serial), the order its index keeps, so no page sorts the
    programme. What the pages list: their links page on with the last batch's id."""
    scope = {"list": "batches-by-program", "program": program}
    query = select_batches().limit(limit + 1)
    if not program:
        query = query.order_by(b.c.id)
        if after is not None:
            query = query.where(b.c.id > after)
    else:
        program_id = conn.execute(sa.select(p.c.id).where(p.c.code == program)).scalar()
        query = query.where(b.c.program_id == program_id)
        query = query.order_by(b.c.namespace, b.c.first_serial)
        if after is not None:
            last = conn.execute(
                sa.select(b.c.namespace, b.c.first_serial).where(b.c.id == after)
            ).first()
            if last is None:
                return BatchPage(items=[], next_cursor=None)
            query = query.where(
                sa.tuple_(b.c.namespace, b.c.first_serial)
                > sa.tuple_(sa.literal(last.namespace), sa.literal(last.first_serial))
            )
    rows = conn.execute(query).all()
    page, following = keyset_page(rows, limit, scope, lambda row: [row.id])
    return BatchPage(items=[summary(row) for row in page], next_cursor=following)


def find_batch(conn: Connection, batch_id: int) -> Batch | None:
    """One batch with every stored field, or ``None``: no ranges read, no conservation check."""
    row = conn.execute(select_batches().where(b.c.id == batch_id)).first()
    return None if row is None else Batch(**_batch_fields(row))


def batch_ranges(
    conn: Connection, batch_id: int, *, limit: int = 100, cursor: str | None = None
) -> RangePage:
    """The holding ranges of ``batch_id`` in serial order; a 404 ``Problem`` for a batch that
    does not exist."""
    if conn.execute(sa.select(b.c.id).where(b.c.id == batch_id)).first() is None:
        raise not_found(f"batch {batch_id}")
    after = decode_cursor(cursor, _ranges_scope(batch_id), 1)
    return ranges_after(conn, batch_id, after=None if after is None else after[0], limit=limit)


def _ranges_scope(batch_id: int) -> dict[str, Any]:
    return {"list": "ranges", "batch": batch_id}


def ranges_after(
    conn: Connection, batch_id: int, *, after: int | None = None, limit: int = 100
) -> RangePage:
    """The holding ranges of ``batch_id`` that start after serial ``after``, in serial order
    (nothing for a batch that does not exist); ``next_cursor`` continues for the JSON API."""
    query = sa.select(r).where(r.c.batch_id == batch_id)
    if after is not None:
        query = query.where(r.c.first_serial > after)
    rows = conn.execute(query.order_by(r.c.first_serial).limit(limit + 1)).all()
    scope = _ranges_scope(batch_id)
    page, following = keyset_page(rows, limit, scope, lambda row: [row.first_serial])
    batch = _ledger_batch(conn, batch_id) if page else None
    return RangePage(items=[holding_range(row, batch) for row in page], next_cursor=following)


_LEDGER_BATCH = join_project(
    sa.select(
        p.c.code.label("program_code"),
        pr.c.project_id.label("registry_project_id"),
        b.c.namespace,
        b.c.first_serial,
        b.c.last_serial,
        b.c.registry_reference,
    )
).where(b.c.id == sa.bindparam("batch"))


def _ledger_batch(conn: Connection, batch_id: int) -> LedgerBatch | None:
    row = conn.execute(_LEDGER_BATCH, {"batch": batch_id}).first()
    return None if row is None else ledger_batch(row)


def holding_range(row: Row[Any], batch: LedgerBatch | None = None) -> HoldingRange:
    """A ``HoldingRange`` from a ``serial_ranges`` row; with its ``batch``, the range's
    registry serial too."""
    first, last = row.first_serial, row.last_serial
    return HoldingRange(
        first_serial=first,
        last_serial=last,
        quantity=last - first + 1,
        holder=row.holder,
        state=state_name(row.state),
        seq=row.seq,
        registry_serial=None if batch is None else registry_serial(batch, first, last),
    )


def get_batch(conn: Connection, batch_id: int, *, ranges: int = 100) -> BatchDetail:
    """One batch with every stored field, its first ``ranges`` holding ranges and the
    conservation check; a 404 ``Problem`` if it does not exist."""
    snapshot(conn)
    row = conn.execute(select_batches().where(b.c.id == batch_id)).first()
    if row is None:
        raise not_found(f"batch {batch_id}")
    conserved, count = _conserved(conn, row)
    return BatchDetail(
        **_batch_fields(row),
        range_count=count,
        conserved=conserved,
        ranges=batch_ranges(conn, batch_id, limit=ranges),
        reversals=reversals_of(conn, batch_id),
    )


def _conserved(conn: Connection, batch: Row[Any]) -> tuple[bool, int]:
    """Whether the ranges tile ``batch`` and agree with its totals, and how many there are.

    Two scans of the batch's ranges (a primary-key prefix): sums per state, and the ranges
    that do not start right after their predecessor. No such range, the first starting at
    the batch's first serial and the last ending at its last: the ranges tile the batch."""
    stats = conn.execute(
        sa.select(
            r.c.state,
            sa.func.count(),
            sa.func.sum(r.c.last_serial - r.c.first_serial + 1),
            sa.func.min(r.c.first_serial),
            sa.func.max(r.c.last_serial),
        )
        .where(r.c.batch_id == batch.id)
        .group_by(r.c.state)
    ).all()
    by_state = {int(st): int(total) for st, _n, total, _lo, _hi in stats}
    count = sum(int(n) for _st, n, _t, _lo, _hi in stats)
    covered = sum(by_state.values())
    lowest = min((int(lo) for *_x, lo, _hi in stats), default=None)
    highest = max((int(hi) for *_x, hi in stats), default=None)
    gaps = _gaps(conn, batch.id) if count > 1 else 0
    expected = {
        int(RangeState.RETIRED): batch.retired,
        int(RangeState.DETOKENISED): batch.detokenised,
        int(RangeState.CANCELLED): batch.cancelled,
    }
    ok = (
        covered == batch.quantity
        and lowest == batch.first_serial
        and highest == batch.last_serial
        and gaps == 0
        and all(by_state.get(k, 0) == v for k, v in expected.items())
        and set(by_state) <= {int(RangeState.HELD), *expected}
    )
    return ok, count


def _gaps(conn: Connection, batch_id: int) -> int:
    """Ranges of the batch that do not start right after the previous one ends."""
    previous = sa.func.lag(r.c.last_serial).over(order_by=r.c.first_serial)
    inner = (
        sa.select(r.c.first_serial, previous.label("previous"))
        .where(r.c.batch_id == batch_id)
        .subquery()
    )
    return int(
        conn.execute(
            sa.select(sa.func.count()).where(
                inner.c.previous.is_not(None), inner.c.first_serial != inner.c.previous + 1
            )
        ).scalar_one()
    )
