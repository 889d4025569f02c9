"""An account's live holdings: its held ranges, grouped by batch, paginated by range."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api.reads._common import (
    ExactTonnes,
    JsonInt,
    Model,
    SerialSpan,
    decode_cursor,
    keyset_page,
    ledger_batch,
    registry_serial,
    snapshot,
)
from api.reads.batches import PROJECT_COLUMNS, join_project
from chain.domain import LabelName, RangeState, int_to_date, label_names, state_name
from chain.store import schema as s
from chain.units import Unit, grams_tonnes

b, r = s.batches, s.serial_ranges
HELD = int(RangeState.HELD)


class BatchHolding(Model):
    """What the account holds of one batch. ``held`` is its whole live balance in the batch;
    ``ranges`` are the ranges on this page (a batch whose ranges run past the end of a page
    continues on the next one)."""

    batch_id: int
    program: str
    project_id: str
    project_name: str
    namespace: str
    vintage_start: dt.date | None
    vintage_end: dt.date | None
    labels: list[LabelName]
    frozen: bool
    held: JsonInt
    """Serials held (tonnes where the programme's unit is a tonne)."""
    unit_grams: int
    """Grams of CO2e one serial of the batch's programme is (``chain.units``)."""
    held_tonnes: ExactTonnes
    """``held`` in exact tonnes."""
    ranges: list[SerialSpan]


class Account(Model):
    """The account's permissions as the ledger last set them (``null`` if never set)."""

    allowed: bool
    frozen: bool


class Holdings(Model):
    address: str
    account: Account | None
    items: list[BatchHolding]
    next_cursor: str | None
    next: str | None = None


_param = sa.bindparam
# Built once, so SQLAlchemy reuses their cache keys and compiled SQL on every page.
LIVE = (
    sa.select(r.c.batch_id, r.c.first_serial, r.c.last_serial)
    .where(r.c.holder == _param("holder"), r.c.state == HELD)
    .order_by(r.c.batch_id, r.c.first_serial)
    .limit(_param("limit"))
)
LIVE_AFTER = LIVE.where(
    sa.tuple_(r.c.batch_id, r.c.first_serial) > sa.tuple_(_param("batch"), _param("first"))
)
BATCHES = join_project(
    sa.select(
        b.c.id,
        b.c.namespace,
        b.c.first_serial,
        b.c.last_serial,
        b.c.registry_reference,
        b.c.vintage_start,
        b.c.vintage_end,
        b.c.labels,
        b.c.frozen,
        *PROJECT_COLUMNS,
    )
).where(b.c.id.in_(_param("batches", expanding=True)))
HELD_BY_BATCH = (
    sa.select(r.c.batch_id, sa.func.sum(r.c.last_serial - r.c.first_serial + 1))
    .where(
        r.c.holder == _param("holder"),
        r.c.batch_id.in_(_param("batches", expanding=True)),
        r.c.state == HELD,
    )
    .group_by(r.c.batch_id)
)
ACCOUNT = sa.select(s.accounts.c.allowed, s.accounts.c.frozen).where(
    s.accounts.c.address == _param("holder")
)


def account_holdings(
    conn: Connection, address: str, *, limit: int = 100, cursor: str | None = None
) -> Holdings:
    """The live (held) ranges of ``address`` (any case) in (batch, serial) order, ``limit``
    ranges per page, grouped by batch. Keyset pagination on the ``(holder, batch_id,
    first_serial)`` index: every page costs the same. An unknown account holds nothing."""
    after = decode_cursor(cursor, _scope(address.lower()), 2)
    return holdings_after(conn, address, None if after is None else (after[0], after[1]), limit)


def _scope(holder: str) -> dict[str, Any]:
    return {"list": "holdings", "holder": holder}


def holdings_after(
    conn: Connection, address: str, after: tuple[int, int] | None, limit: int = 100
) -> Holdings:
    """``account_holdings`` from the range after ``after`` = (batch id, first serial) on: the
    key the pages' links carry."""
    snapshot(conn)
    holder = address.lower()
    scope = _scope(holder)
    params: dict[str, Any] = {"holder": holder, "limit": limit + 1}
    if after is None:
        fetched = conn.execute(LIVE, params).all()
    else:
        fetched = conn.execute(LIVE_AFTER, {**params, "batch": after[0], "first": after[1]}).all()
    rows, following = keyset_page(
        fetched, limit, scope, lambda row: [row.batch_id, row.first_serial]
    )
    batch_ids = sorted({row.batch_id for row in rows})
    meta = {m.id: m for m in conn.execute(BATCHES, {"batches": batch_ids})} if rows else {}
    held = {
        int(batch): int(total)
        for batch, total in (
            conn.execute(HELD_BY_BATCH, {"holder": holder, "batches": batch_ids}) if rows else ()
        )
    }
    items = []
    for batch_id, group in groupby(rows, key=lambda row: row.batch_id):
        m = meta[batch_id]
        batch = ledger_batch(m)
        items.append(
            BatchHolding(
                batch_id=batch_id,
                program=m.program_code,
                project_id=m.registry_project_id,
                project_name=m.project_name,
                namespace=m.namespace,
                vintage_start=int_to_date(m.vintage_start),
                vintage_end=int_to_date(m.vintage_end),
                labels=label_names(m.labels),
                frozen=m.frozen,
                held=held[batch_id],
                unit_grams=m.unit_grams,
                held_tonnes=Unit(m.unit_grams).tonnes(held[batch_id]),
                ranges=[
                    SerialSpan(
                        first_serial=x.first_serial,
                        last_serial=x.last_serial,
                        quantity=x.last_serial - x.first_serial + 1,
                        registry_serial=registry_serial(batch, x.first_serial, x.last_serial),
                    )
                    for x in group
                ],
            )
        )
    account = conn.execute(ACCOUNT, {"holder": holder}).first()
    return Holdings(
        address=holder,
        account=Account(allowed=account.allowed, frozen=account.frozen) if account else None,
        items=items,
        next_cursor=following,
    )


def account_tonnes(conn: Connection, address: str) -> dict[str, Decimal]:
    """Exact tonnes (``chain.units``) of every range ``address`` (any case) holds or spent, by
    state: one scan of its ranges on the ``(holder, batch_id, first_serial)`` index, each
    range's serials times its programme's unit."""
    # Serials summed per state and unit in SQL, times the unit here: a range's grams reach
    # (2^32-1)^2, past a 64-bit SQL integer.
    serials = sa.func.sum(r.c.last_serial - r.c.first_serial + 1)
    unit = s.programs.c.unit_grams
    rows = conn.execute(
        sa.select(r.c.state, unit, serials)
        .select_from(
            r.join(s.batches, s.batches.c.id == r.c.batch_id).join(
                s.programs, s.programs.c.id == s.batches.c.program_id
            )
        )
        .where(r.c.holder == address.lower())
        .group_by(r.c.state, unit)
    )
    grams = dict.fromkeys(("held", "retired", "detokenised", "cancelled"), 0)
    for state, grams_per_serial, count in rows:
        grams[state_name(int(state))] += int(count) * int(grams_per_serial)
    return {state: grams_tonnes(total) for state, total in grams.items()}
