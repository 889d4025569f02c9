"""The pages' reads of the query store: every list is keyset-paginated on an indexed key, so a
page costs the same on a store with millions of ranges as on the demo's.

Indexes relied on (``chain.store.schema``): batches by id and by (program, namespace, first
serial); serial ranges by (batch, first serial) and by (holder, batch, first serial);
retirements by id, batch and holder; events by seq and by (batch, seq).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api.pages import views as v
from chain.domain import RangeState
from chain.events import event_specs
from chain.store import schema as s

T = TypeVar("T")

b, p, pr, r, ret, e = s.batches, s.projects, s.programs, s.serial_ranges, s.retirements, s.events


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a keyset-paginated list; ``more`` says whether another follows."""

    items: list[T]
    more: bool


def _page(rows: Sequence[T], limit: int) -> Page[T]:
    return Page(list(rows[:limit]), len(rows) > limit)


# ------------------------------------------------------------------ status


@dataclass(frozen=True)
class LedgerStatus:
    chain_id: int | None
    contract: str | None
    genesis_hash: str | None
    deploy_block: int | None
    block: int | None
    audit_seq: int
    audit_head: str | None
    paused: bool
    updated_at: int | None


def ledger_status(conn: Connection) -> LedgerStatus:
    info = conn.execute(sa.select(s.chain_info)).mappings().first()
    cp = conn.execute(sa.select(s.checkpoint)).mappings().first()
    return LedgerStatus(
        chain_id=_opt(info, "chain_id"),
        contract=info["contract_address"] if info else None,
        genesis_hash=info["genesis_hash"] if info else None,
        deploy_block=_opt(info, "deploy_block"),
        block=_opt(cp, "block_number"),
        audit_seq=int(cp["audit_seq"]) if cp else 0,
        audit_head=cp["audit_head"] if cp else None,
        paused=bool(cp["paused"]) if cp else False,
        updated_at=_opt(cp, "updated_at"),
    )


def _opt(row: Mapping[Any, Any] | None, key: str) -> int | None:
    return None if row is None or row[key] is None else int(row[key])


def programs(conn: Connection) -> list[str]:
    return [str(c) for c in conn.execute(sa.select(pr.c.code).order_by(pr.c.id)).scalars()]


# ------------------------------------------------------------------ batches

_BATCH_COLUMNS = (
    b,
    pr.c.code.label("program"),
    p.c.project_id,
    p.c.name.label("project_name"),
    p.c.country,
    p.c.methodology,
    p.c.project_type,
)


def _batch_select() -> sa.Select[Any]:
    return (
        sa.select(*_BATCH_COLUMNS)
        .join(pr, pr.c.id == b.c.program_id)
        .join(p, p.c.key == b.c.project_key)
    )


def _batch(row: Mapping[Any, Any]) -> v.Batch:
    return v.Batch(
        id=int(row["id"]),
        program=str(row["program"]),
        project=v.Project(
            key=str(row["project_key"]),
            program=str(row["program"]),
            project_id=str(row["project_id"]),
            name=str(row["project_name"]),
            country=str(row["country"]),
            methodology=str(row["methodology"]),
            project_type=str(row["project_type"]),
        ),
        namespace=str(row["namespace"]),
        first_serial=int(row["first_serial"]),
        last_serial=int(row["last_serial"]),
        quantity=int(row["quantity"]),
        recipient=str(row["recipient"]),
        vintage_start=v.to_date(row["vintage_start"]),
        vintage_end=v.to_date(row["vintage_end"]),
        labels=v.label_names(int(row["labels"])),
        metadata_hash=str(row["metadata_hash"]),
        registry_reference=str(row["registry_reference"]),
        frozen=bool(row["frozen"]),
        tonnes=v.Tonnes(
            int(row["quantity"]),
            int(row["retired"]),
            int(row["detokenised"]),
            int(row["cancelled"]),
        ),
        bridged_by=str(row["bridged_by"]),
        seq=int(row["seq"]),
        block_number=int(row["block_number"]),
        tx_hash=str(row["tx_hash"]),
    )


def batch(conn: Connection, batch_id: int) -> v.Batch | None:
    row = conn.execute(_batch_select().where(b.c.id == batch_id)).mappings().first()
    return None if row is None else _batch(row)


def batches_by_id(conn: Connection, ids: set[int]) -> dict[int, v.Batch]:
    if not ids:
        return {}
    rows = conn.execute(_batch_select().where(b.c.id.in_(sorted(ids)))).mappings()
    return {int(row["id"]): _batch(row) for row in rows}


def batches(
    conn: Connection, *, program: str | None, after: int | None, limit: int
) -> Page[v.Batch]:
    """Batches after batch ``after``: all in id order, or one programme's in serial order
    (namespace, first serial), the order its index keeps, so no page sorts the programme."""
    query = _batch_select().limit(limit + 1)
    if not program:
        query = query.order_by(b.c.id)
        if after is not None:
            query = query.where(b.c.id > after)
        return _page([_batch(row) for row in conn.execute(query).mappings()], limit)
    program_id = conn.execute(sa.select(pr.c.id).where(pr.c.code == program)).scalar()
    query = query.where(b.c.program_id == program_id).order_by(b.c.namespace, b.c.first_serial)
    if after is not None:
        last = conn.execute(
            sa.select(b.c.namespace, b.c.first_serial).where(b.c.id == after)
        ).first()
        if last is None:
            return Page([], False)
        query = query.where(
            sa.tuple_(b.c.namespace, b.c.first_serial)
            > sa.tuple_(sa.literal(last.namespace), sa.literal(last.first_serial))
        )
    return _page([_batch(row) for row in conn.execute(query).mappings()], limit)


def _range(row: Mapping[Any, Any]) -> v.Range:
    return v.Range(
        batch_id=int(row["batch_id"]),
        first_serial=int(row["first_serial"]),
        last_serial=int(row["last_serial"]),
        holder=str(row["holder"]),
        state=v.state_name(int(row["state"])),
        seq=int(row["seq"]),
    )


def batch_ranges(
    conn: Connection, batch_id: int, *, after: int | None, limit: int
) -> Page[v.Range]:
    """The holding ranges tiling a batch, in serial order, after first serial ``after``."""
    query = sa.select(r).where(r.c.batch_id == batch_id).order_by(r.c.first_serial)
    if after is not None:
        query = query.where(r.c.first_serial > after)
    rows = conn.execute(query.limit(limit + 1)).mappings()
    return _page([_range(row) for row in rows], limit)


# ------------------------------------------------------------------ retirements


def retirement_from_row(row: Mapping[Any, Any]) -> v.Retirement:
    return v.Retirement(
        id=int(row["id"]),
        batch_id=int(row["batch_id"]),
        holder=str(row["holder"]),
        first_serial=int(row["first_serial"]),
        last_serial=int(row["last_serial"]),
        quantity=int(row["quantity"]),
        beneficiary=str(row["beneficiary"]),
        purpose=v.purpose_name(int(row["purpose"])),
        jurisdiction=str(row["jurisdiction"]),
        consumption_start=v.to_date(row["consumption_start"]),
        consumption_end=v.to_date(row["consumption_end"]),
        note=str(row["note"]),
        retired_on=v.to_date(row["retired_on"]),
        mirrored=bool(row["mirrored"]),
        actor=str(row["actor"]),
        seq=int(row["seq"]),
        block_number=int(row["block_number"]),
        tx_hash=str(row["tx_hash"]),
    )


def retirement(conn: Connection, retirement_id: int) -> v.Retirement | None:
    row = conn.execute(sa.select(ret).where(ret.c.id == retirement_id)).mappings().first()
    return None if row is None else retirement_from_row(row)


def retirements(
    conn: Connection,
    *,
    batch_id: int | None = None,
    holder: str | None = None,
    before: int | None = None,
    limit: int,
) -> Page[v.Retirement]:
    """Retirements newest first (by id), of one batch or holder, before id ``before``."""
    query = sa.select(ret).order_by(ret.c.id.desc()).limit(limit + 1)
    if batch_id is not None:
        query = query.where(ret.c.batch_id == batch_id)
    if holder is not None:
        query = query.where(ret.c.holder == holder)
    if before is not None:
        query = query.where(ret.c.id < before)
    return _page([retirement_from_row(row) for row in conn.execute(query).mappings()], limit)


# ------------------------------------------------------------------ accounts


@dataclass(frozen=True)
class Account:
    address: str
    allowed: bool | None
    """``None``: the ledger never set flags for this address."""
    frozen: bool | None
    by_state: dict[str, int]
    """Tonnes this address holds ranges of, by range state."""


def account(conn: Connection, address: str) -> Account:
    flags = conn.execute(sa.select(s.accounts).where(s.accounts.c.address == address))
    row = flags.mappings().first()
    tonnes = sa.func.sum(r.c.last_serial - r.c.first_serial + 1)
    totals = conn.execute(
        sa.select(r.c.state, tonnes).where(r.c.holder == address).group_by(r.c.state)
    )
    return Account(
        address=address,
        allowed=None if row is None else bool(row["allowed"]),
        frozen=None if row is None else bool(row["frozen"]),
        by_state={v.state_name(int(state)): int(total) for state, total in totals},
    )


def account_ranges(
    conn: Connection, address: str, *, after: tuple[int, int] | None, limit: int
) -> Page[v.Range]:
    """An account's live (held) ranges by (batch, first serial), after the key ``after``: what
    it retired is listed as retirements, with their certificates."""
    query = (
        sa.select(r)
        .where(r.c.holder == address, r.c.state == int(RangeState.HELD))
        .order_by(r.c.batch_id, r.c.first_serial)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(
            sa.tuple_(r.c.batch_id, r.c.first_serial)
            > sa.tuple_(sa.literal(after[0]), sa.literal(after[1]))
        )
    return _page([_range(row) for row in conn.execute(query).mappings()], limit)


# ------------------------------------------------------------------ events


def events(
    conn: Connection,
    *,
    name: str | None = None,
    batch_id: int | None = None,
    before: int | None = None,
    after: int | None = None,
    limit: int,
    newest_first: bool = True,
) -> Page[v.Event]:
    """Audited events, filtered; keyset on ``seq`` (``before`` and/or ``after``, exclusive)."""
    query = sa.select(
        e.c.seq,
        e.c.name,
        e.c.block_number,
        e.c.tx_hash,
        e.c.log_index,
        e.c.audit_head,
        e.c.batch_id,
        e.c.fields,
    )
    if name:
        query = query.where(e.c.name == name)
    if batch_id is not None:
        query = query.where(e.c.batch_id == batch_id)
    if before is not None:
        query = query.where(e.c.seq < before)
    if after is not None:
        query = query.where(e.c.seq > after)
    order = e.c.seq.desc() if newest_first else e.c.seq
    rows = conn.execute(query.order_by(order).limit(limit + 1)).mappings().all()
    wanted = (
        (row["fields"] or {}).get("programId") for row in rows if row["name"] in v.PROGRAM_EVENTS
    )
    codes = program_codes(conn, {int(x) for x in wanted if x is not None})
    return _page([v.event_from_row(row, codes) for row in rows], limit)


def program_codes(conn: Connection, ids: set[int]) -> dict[int, str]:
    """The codes of programmes ``ids`` (by primary key; nothing is read for none)."""
    if not ids:
        return {}
    rows = conn.execute(sa.select(pr.c.id, pr.c.code).where(pr.c.id.in_(sorted(ids))))
    return {int(row.id): str(row.code) for row in rows}


AUDITED_EVENTS = tuple(sorted(spec.name for spec in event_specs("ICarbonLedgerEvents").values()))
"""Every kind of audited event the contract emits (the audit page's filter), from its events
interface, so a new kind is listed the day the contract gains it."""
