"""The mirrored audit trail: every audited event with where it sits in the chain, its raw
bytes (enough to recompute the rolling hash, docs/AUDIT.md) and its decoded fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from api.reads._common import Model, Page, json_int, keyset_page
from chain.events import event_specs
from chain.store import schema as s

e = s.events

BATCH_WIDE = ("LabelsUpdated", "BatchFreezeChanged")
"""Batch events without a serial range: they concern every serial of the batch."""


class Event(Model):
    seq: int
    name: str
    block_number: int
    block_hash: str
    tx_hash: str
    tx_index: int
    log_index: int
    audit_head: str
    """The rolling audit hash after this event."""
    batch_id: int | None
    fields: dict[str, Any]
    """Decoded fields by ABI name; integers from 2^53 on are decimal strings, bytes are hex."""
    topics: list[str]
    """The four raw topics (selector, seq, two indexed fields), hex."""
    data: str
    """The raw log data, hex."""


class EventPage(Model):
    items: list[Event]
    next_after_seq: int | None
    """Pass as ``after_seq`` for the next page; ``null`` on the last page."""
    next: str | None = None


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return json_int(value)
    return value


def event(row: Row[Any]) -> Event:
    """An ``Event`` from a full row of ``events``."""
    topics = bytes(row.topics)
    return Event(
        seq=row.seq,
        name=row.name,
        block_number=row.block_number,
        block_hash=row.block_hash,
        tx_hash=row.tx_hash,
        tx_index=row.tx_index,
        log_index=row.log_index,
        audit_head=row.audit_head,
        batch_id=row.batch_id,
        fields=_json_safe(row.fields),
        topics=["0x" + topics[i : i + 32].hex() for i in range(0, len(topics), 32)],
        data="0x" + bytes(row.data).hex(),
    )


def list_events(
    conn: Connection, *, after_seq: int = 0, batch_id: int | None = None, limit: int = 100
) -> EventPage:
    """Events with ``seq > after_seq`` in ``seq`` order (of one batch, if given: through the
    ``(batch_id, seq)`` index; otherwise the primary key)."""
    query = sa.select(e).where(e.c.seq > after_seq)
    if batch_id is not None:
        query = query.where(e.c.batch_id == batch_id)
    rows = conn.execute(query.order_by(e.c.seq).limit(limit + 1)).all()
    items = [event(row) for row in rows[:limit]]
    return EventPage(items=items, next_after_seq=items[-1].seq if len(rows) > limit else None)


AUDITED_EVENTS = tuple(sorted(spec.name for spec in event_specs("ICarbonLedgerEvents").values()))
"""Every kind of audited event the contract emits, from its events interface, so a new kind is
listed the day the contract gains it."""


def events_between(
    conn: Connection,
    *,
    name: str | None = None,
    batch_id: int | None = None,
    before: int | None = None,
    after: int | None = None,
    limit: int = 100,
    newest_first: bool = True,
) -> Page[Event]:
    """Events of one kind and/or batch with ``after < seq < before`` (either may be left
    open), newest or oldest first: what the pages list (their links page on with a ``seq``)."""
    query = sa.select(e)
    if name:
        query = query.where(e.c.name == name)
    if batch_id is not None:
        query = query.where(e.c.batch_id == batch_id)
    if before is not None:
        query = query.where(e.c.seq < before)
    if after is not None:
        query = query.where(e.c.seq > after)
    order = e.c.seq.desc() if newest_first else e.c.seq
    rows = conn.execute(query.order_by(order).limit(limit + 1)).all()
    scope = {"list": "events", "name": name, "batch": batch_id, "newest_first": newest_first}
    page, following = keyset_page(rows, limit, scope, lambda row: [row.seq])
    return Page[Event](items=[event(row) for row in page], next_cursor=following)


def _serial(path: tuple[str, ...]) -> sa.ColumnElement[Any]:
    # Text first, then BIGINT: a JSON path cast straight to INTEGER is 32-bit on PostgreSQL.
    return sa.cast(e.c.fields[path].as_string(), sa.BigInteger)


_param = sa.bindparam
_low = sa.func.coalesce(
    _serial(("firstSerial",)),
    _serial(("retirement", "firstSerial")),
    _serial(("issuance", "firstSerial")),
)
_high = sa.func.coalesce(
    _serial(("lastSerial",)),
    _serial(("retirement", "lastSerial")),
    _serial(("issuance", "lastSerial")),
)
HISTORY = (
    sa.select(e)
    .where(
        e.c.batch_id.in_(_param("batches", expanding=True)),
        sa.or_(e.c.name.in_(BATCH_WIDE), sa.and_(_low <= _param("last"), _high >= _param("first"))),
    )
    .order_by(e.c.seq)
    .limit(_param("limit"))
)
"""Built once: the JSON paths make it costly to build and to key for SQLAlchemy's cache."""


def serial_history(
    conn: Connection, batch_ids: Sequence[int], first: int, last: int, *, limit: int
) -> tuple[list[Event], bool]:
    """The events of ``batch_ids`` that touch any serial of ``first..last``, in ``seq`` order:
    those whose serial range overlaps it, and the batch-wide ones (labels, freezes). Returns
    at most ``limit`` and whether there were more. The batch's events come from the
    ``(batch_id, seq)`` index; the overlap test on their fields runs in SQL."""
    if not batch_ids:
        return [], False
    params = {"batches": list(batch_ids), "first": first, "last": last, "limit": limit + 1}
    rows = conn.execute(HISTORY, params).all()
    return [event(row) for row in rows[:limit]], len(rows) > limit
