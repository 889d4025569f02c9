"""Verify a query store on its own, when no node is at hand: what can be proven from the
mirrored events alone.

1. The audit chain: the stored raw topics and data of every event, in ``seq`` order, fold to
   each row's ``audit_head`` and to the checkpoint's head, without a gap (docs/AUDIT.md).
2. The decoded columns: each row's name, batch and fields are what its raw bytes decode to.
3. Holdings: the events replayed (``chain.replay``, the contract's tiling) must equal the
   stored ranges and batch totals, with bridged = held + retired + detokenised + cancelled.
4. The spent records: every retirement, detokenisation and cancellation row is exactly what
   its event says, and per batch they add up to the batch's totals.

What this cannot prove is that the events are the chain's: a store rewritten consistently
from its first event on passes. ``chain.verify`` (with a node) closes that gap by comparing
the head with the contract's ``auditHead``.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from api.reads._common import MAX_SQL_INT, snapshot
from api.reads._records import compare_records
from chain.audit import NO_HEAD, fold, genesis, predecessor_head, split_topics
from chain.domain import RangeState
from chain.events import decode_log
from chain.replay import HoldingsReplay
from chain.store import schema as s
from chain.verify import Discrepancy, VerificationReport

LIMIT = 50
"""Discrepancies reported at most (the first one says where to look)."""


class _Findings(list[Discrepancy]):
    def add(
        self, kind: str, block: int | None, event: str | None, field: str, message: str
    ) -> None:
        if len(self) < LIMIT:
            self.append(Discrepancy(kind, block, event, field, message))


def _normal(value: Any) -> Any:
    """A decoded value as the store's JSON holds it (the indexer's encoding)."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_SQL_INT:
        return str(value)
    return value


def verify_store_only(engine: Engine) -> VerificationReport:
    """Checks 1-4 above on one consistent snapshot of the store."""
    found = _Findings()
    try:
        return _verify(engine, found)
    except (sa.exc.DBAPIError, LookupError, TypeError, ValueError) as exc:
        # A value the checks cannot even read (a blob turned text, fields that are no event's)
        # is itself a finding, not a server failure.
        found.add("store", None, None, "row", f"the store cannot be read as a mirror: {exc}")
        return VerificationReport(
            ok=False,
            audit_seq=0,
            audit_head="0x" + NO_HEAD.hex(),
            block=0,
            events=0,
            batches=0,
            discrepancies=list(found),
        )


def _verify(engine: Engine, found: _Findings) -> VerificationReport:
    with engine.connect() as conn:
        snapshot(conn)
        cp = conn.execute(sa.select(s.checkpoint)).first()
        seq, head, replay = _replay_events(conn, found)
        if cp is None:
            found.add("store", None, "checkpoint", "row", "the store has no checkpoint")
        elif (cp.audit_seq, cp.audit_head) != (seq, "0x" + head.hex()):
            found.add(
                "audit",
                cp.block_number,
                "checkpoint",
                "audit_head" if cp.audit_seq == seq else "audit_seq",
                f"the events fold to seq {seq}, head 0x{head.hex()}; the checkpoint says "
                f"seq {cp.audit_seq}, head {cp.audit_head}",
            )
        for v in replay.violations:
            found.add("holdings", v.block, v.event, v.field, f"seq {v.seq}: {v}")
        _compare_ranges(conn, replay, found)
        _compare_batches(conn, replay, found)
        _compare_spent(conn, found)
        compare_records(conn, found.add)
    return VerificationReport(
        ok=not found,
        audit_seq=seq,
        audit_head="0x" + head.hex(),
        block=cp.block_number if cp is not None else 0,
        events=seq,
        batches=len(replay.batches),
        discrepancies=list(found),
        store_block=cp.block_number if cp is not None else None,
    )


def _replay_events(conn: Connection, found: _Findings) -> tuple[int, bytes, HoldingsReplay]:
    info = conn.execute(sa.select(s.chain_info)).first()
    if info is None:
        found.add("store", None, "chain_info", "row", "the store names no ledger to start from")
        head = NO_HEAD
    else:  # the trail starts at its ledger's genesis head
        head = genesis(int(info.chain_id), str(info.contract_address))
    seq, replay = 0, HoldingsReplay()
    rows = conn.execution_options(yield_per=5000).execute(
        sa.select(s.events).order_by(s.events.c.seq)
    )
    for row in rows:
        where = (row.block_number, row.name)
        if row.seq != seq + 1:
            found.add("audit", *where, "seq", f"expected seq {seq + 1}, found {row.seq}")
        topics = split_topics(bytes(row.topics))
        if row.seq == 1 and info is not None and (before := predecessor_head(topics)):
            # A successor ledger: its genesis folds in the predecessor's final head.
            head = genesis(int(info.chain_id), str(info.contract_address), before)
        seq, head = row.seq, fold(head, topics, bytes(row.data))
        if row.audit_head != "0x" + head.hex():
            found.add(
                "audit",
                *where,
                "audit_head",
                f"seq {row.seq}: stored {row.audit_head}, the log folds to 0x{head.hex()}",
            )
        decoded = decode_log(
            {
                "topics": list(topics),
                "data": bytes(row.data),
                "blockNumber": row.block_number,
                "blockHash": row.block_hash,
                "transactionHash": row.tx_hash,
                "transactionIndex": row.tx_index,
                "logIndex": row.log_index,
            }
        )
        if decoded is None or decoded.seq != row.seq:
            found.add("event", *where, "topics", f"seq {row.seq}: the raw log is no ledger event")
            continue
        f = decoded.fields
        batch_id = f.get("batchId") or (f.get("retirement") or {}).get("batchId")
        stored = {"name": row.name, "batch_id": row.batch_id, "fields": row.fields}
        actual = {"name": decoded.name, "batch_id": batch_id, "fields": _normal(f)}
        for column, value in actual.items():
            if stored[column] != value:
                found.add(
                    "event",
                    *where,
                    column,
                    f"seq {row.seq}: stored {stored[column]!r}, the raw log decodes to {value!r}",
                )
        replay.apply(decoded)
    return seq, head, replay


def _store_ranges(conn: Connection) -> Iterator[tuple[int, list[tuple[int, int, str, int]]]]:
    r = s.serial_ranges
    rows = conn.execution_options(yield_per=5000).execute(
        sa.select(r.c.batch_id, r.c.first_serial, r.c.last_serial, r.c.holder, r.c.state).order_by(
            r.c.batch_id, r.c.first_serial
        )
    )
    for batch_id, group in groupby(rows, key=lambda row: int(row.batch_id)):
        yield batch_id, [(x.first_serial, x.last_serial, x.holder, x.state) for x in group]


def _compare_ranges(conn: Connection, replay: HoldingsReplay, found: _Findings) -> None:
    seen = set()
    for batch_id, stored in _store_ranges(conn):
        seen.add(batch_id)
        replayed = replay.batches.get(batch_id)
        if replayed is None:
            found.add(
                "store",
                None,
                "serial_ranges",
                "batch_id",
                f"ranges of batch {batch_id}, which no event bridged",
            )
            continue
        want = [(x.first, x.last, x.holder, int(x.state)) for x in replayed.ranges]
        if stored != want:
            i = next(
                (i for i, (a, c) in enumerate(zip(want, stored, strict=False)) if a != c),
                min(len(want), len(stored)),
            )
            found.add(
                "store",
                None,
                "serial_ranges",
                "holder/state",
                f"batch {batch_id}: range #{i} is {stored[i] if i < len(stored) else None}, "
                f"the events give {want[i] if i < len(want) else None}",
            )
    for batch_id in sorted(set(replay.batches) - seen):
        found.add("store", None, "serial_ranges", "row", f"batch {batch_id} has no ranges")


def _compare_batches(conn: Connection, replay: HoldingsReplay, found: _Findings) -> None:
    b = s.batches
    rows = conn.execution_options(yield_per=5000).execute(sa.select(b).order_by(b.c.id))
    seen = set()
    for row in rows:
        seen.add(row.id)
        replayed = replay.batches.get(row.id)
        if replayed is None:
            found.add(
                "store",
                row.block_number,
                "batches",
                "row",
                f"batch {row.id}, which no event bridged",
            )
            continue
        totals = replayed.totals()
        want = {
            "first_serial": replayed.first_serial,
            "last_serial": replayed.last_serial,
            "quantity": replayed.quantity,
            "retired": totals[RangeState.RETIRED],
            "detokenised": totals[RangeState.DETOKENISED],
            "cancelled": totals[RangeState.CANCELLED],
        }
        for column, value in want.items():
            if getattr(row, column) != value:
                found.add(
                    "conservation",
                    row.block_number,
                    "batches",
                    column,
                    f"batch {row.id}: stored {getattr(row, column)}, the events give {value}",
                )
                break
        if sum(totals.values()) != replayed.quantity:
            found.add(
                "conservation",
                row.block_number,
                "batches",
                "held",
                f"batch {row.id}: ranges cover {sum(totals.values())} of {replayed.quantity}",
            )
    for batch_id in sorted(set(replay.batches) - seen):
        found.add("store", None, "batches", "row", f"batch {batch_id} is missing")


def _compare_spent(conn: Connection, found: _Findings) -> None:
    b = s.batches
    for table, column in (
        (s.retirements, b.c.retired),
        (s.detokenisations, b.c.detokenised),
        (s.cancellations, b.c.cancelled),
    ):
        sums = (
            sa.select(table.c.batch_id, sa.func.sum(table.c.quantity).label("total"))
            .group_by(table.c.batch_id)
            .subquery()
        )
        total = sa.func.coalesce(sums.c.total, 0)
        query = (
            sa.select(b.c.id, b.c.block_number, column, total)
            .select_from(b.outerjoin(sums, sums.c.batch_id == b.c.id))
            .where(column != total)
            .order_by(b.c.id)
            .limit(LIMIT)
        )
        for batch_id, block, expected, recorded in conn.execute(query):
            found.add(
                "store",
                block,
                table.name,
                "quantity",
                f"batch {batch_id}: {table.name} add up to {recorded}, its total is {expected}",
            )
