"""Apply decoded ledger events to the store, in bulk, inside the caller's transaction.

``StoreWriter.apply`` takes one chunk of events in chain order, folds them into the audit
chain (refusing any gap in ``seq``), updates the derived tables through an in-memory cache of
the touched batches' holdings, and writes everything with a handful of bulk statements. The
caller commits the chunk and the checkpoint together, or rolls both back and calls ``forget``
so the cache never runs ahead of the database.

This module derives the rows; each store's bulk writer (``_bulk``) writes them, bypassing
SQLAlchemy's per-row parameter processing: rows are plain dicts or tuples of DBAPI-native
values (``fields`` is already JSON text, ``_fields_json``). The stored values are exactly those
``table.insert()`` would store.

``prepare`` and ``write`` split ``apply`` in two, so the indexer can derive the next chunk
while the database writes this one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chain.domain import HoldingRange, LinkStep, RangeState
from chain.errors import IndexerError, ReplayViolation, SequenceGap
from chain.events import LedgerEvent
from chain.indexer._bulk import PostgresBulk, SqliteBulk, upsert
from chain.indexer._fields_json import (
    MAX_SQL_INT,
    JsonTemplate,
    encoded,
    fields_json,
    json_template,
)
from chain.indexer._pools import POOL_EVENTS, PoolMirror, PoolRows, write_pool_rows
from chain.replay import BatchHoldings
from chain.store import schema as s
from chain.units import GRAMS_PER_TONNE, Unit

__all__ = [
    "AuditPosition",
    "PreparedChunk",
    "StoreWriter",
    "fields_json",
    "upsert",
]

_STATES = {int(state): state for state in RangeState}
_LABELS = {state: state.label for state in RangeState}
_HELD = RangeState.HELD


def _hex(value: Any) -> str:
    return "0x" + bytes(value).hex() if isinstance(value, bytes | bytearray) else str(value)


def _code(value: bytes) -> str:
    return bytes(value).rstrip(b"\0").decode("ascii", errors="replace")


def _serial(value: Any, what: str) -> int:
    number = int(value)
    if number > MAX_SQL_INT:
        raise IndexerError(f"{what} {number} is beyond what the store can hold (2^63 - 1)")
    return number


try:  # safe-pysha3 (from eth-tester[py-evm]) hashes 3x faster than eth_hash's pycryptodome
    from sha3 import keccak_256  # type: ignore[import-untyped, import-not-found, unused-ignore]

    def _fold(head: bytes, topics: bytes, data: bytes) -> bytes:
        """``chain.audit.fold`` on topics already joined: the same keccak of the same bytes."""
        return cast(bytes, keccak_256(head + topics + data).digest())

except ImportError:  # pragma: no cover - without it, the same hash through eth_hash
    from eth_hash.auto import keccak

    def _fold(head: bytes, topics: bytes, data: bytes) -> bytes:
        """``chain.audit.fold`` on topics already joined: the same keccak of the same bytes."""
        return keccak(head + topics + data)


@dataclass
class AuditPosition:
    seq: int
    head: bytes


@dataclass
class _Chunk:
    """Everything one ``apply`` will write."""

    events: list[tuple[Any, ...]] = field(default_factory=list)  # in EVENT_COLUMNS order
    inserts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    batch_updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Per batch: the stored ranges (by first serial) to delete, and the rows to insert (in
    # _RANGE_COLUMNS order; a stored range written anew is deleted and inserted).
    ranges: dict[int, tuple[set[int], dict[int, tuple[Any, ...]]]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    roles_granted: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    roles_revoked: set[tuple[str, str]] = field(default_factory=set)
    program_updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    paused: bool | None = None
    pools: PoolRows = field(default_factory=PoolRows)

    def insert(self, table: sa.Table, row: dict[str, Any]) -> None:
        self.inserts.setdefault(table.name, []).append(row)


@dataclass
class PreparedChunk:
    """One chunk's rows, derived and ready to write; ``position`` is the audit chain after it."""

    chunk: _Chunk
    position: AuditPosition
    paused: bool | None
    events: int


class StoreWriter:
    """Writes chunks of events; keeps the touched batches' holdings in memory between chunks."""

    def __init__(self) -> None:
        self._holdings: dict[int, BatchHoldings] = {}
        self._totals: dict[int, dict[str, int]] = {}
        self._pools = PoolMirror()

    def forget(self) -> None:
        """Drop the cache (after a rollback: the database is the truth again)."""
        self._holdings.clear()
        self._totals.clear()
        self._pools.forget()

    def apply(
        self, conn: Connection, events: Iterable[LedgerEvent], position: AuditPosition
    ) -> tuple[AuditPosition, bool | None]:
        """Write ``events`` (in chain order) after ``position``; returns the new audit position
        and the pause flag if an event changed it."""
        prepared = self.prepare(conn, events, position)
        self.write(conn, prepared)
        return prepared.position, prepared.paused

    def write(self, conn: Connection, prepared: PreparedChunk) -> None:
        """Write what ``prepare`` derived (in the caller's transaction)."""
        self._flush(conn, prepared.chunk)

    def prepare(
        self, conn: Connection, events: Iterable[LedgerEvent], position: AuditPosition
    ) -> PreparedChunk:
        """Fold ``events`` into the audit chain and derive every row they imply, advancing the
        holdings cache; ``conn`` only reads the batches the cache lacks. ``write`` stores the
        result; if that fails, call ``forget``."""
        chunk = _Chunk()
        seq, head = position.seq, position.head
        rows = chunk.events
        derive, moved = self._derive, self._moved
        pool_serials = self._pools.serials_moved
        templates: dict[bytes, JsonTemplate | None] = {}
        for event in events:
            if event.seq != seq + 1:
                raise SequenceGap(
                    f"audit sequence gap at block {event.block_number}: expected seq {seq + 1}, "
                    f"got {event.seq} ({event.name}); the node returned an incomplete log",
                    seq + 1,
                    event.seq,
                    event.block_number,
                    rows[-1][2] if rows else None,  # the block of the event before, if ours
                )
            seq, f, topics = event.seq, event.fields, event.topics
            joined = b"".join(topics)
            head = _fold(head, joined, event.data)
            if event.name == "SerialsMoved":  # two events in three: straight to their rows
                moved(conn, chunk, event, f)
                pool_serials(conn, chunk.pools, event)
                batch_id = f["batchId"]
            else:
                derive(conn, chunk, event)
                batch_id = f.get("batchId") or (f.get("retirement") or {}).get("batchId")
            kind = topics[0] if topics else b""
            if kind in templates:
                template = templates[kind]
            else:
                template = templates[kind] = json_template(kind)
            rows.append(
                (
                    seq,
                    event.name,
                    event.block_number,
                    event.block_hash,
                    event.tx_hash,
                    event.tx_index,
                    event.log_index,
                    joined,
                    event.data,
                    "0x" + head.hex(),
                    batch_id,
                    encoded(f, template),  # fields_json, its template looked up once
                )
            )
        return PreparedChunk(chunk, AuditPosition(seq, head), chunk.paused, len(rows))

    # ------------------------------------------------------------ deriving

    def _derive(self, conn: Connection, chunk: _Chunk, e: LedgerEvent) -> None:
        """The rows of any event but ``SerialsMoved``, which ``prepare`` hands to ``_moved``."""
        f = e.fields
        where = {"seq": e.seq, "block_number": e.block_number, "tx_hash": e.tx_hash}
        if e.name in POOL_EVENTS:
            self._pools.apply(conn, chunk.pools, e)
            return
        match e.name:
            case "ProgramRegistered":
                chunk.insert(
                    s.programs,
                    {
                        "id": f["programId"],
                        "code": _code(f["code"]),
                        "seq": e.seq,
                        "unit_grams": GRAMS_PER_TONNE,
                        "buffer_account": None,
                    },
                )
            case "ProgramUnitSet":
                unit = Unit.from_chain(int(f["unitGrams"]))
                chunk.program_updates.setdefault(f["programId"], {})["unit_grams"] = unit.grams
            case "ProgramBufferSet":
                chunk.program_updates.setdefault(f["programId"], {})["buffer_account"] = (
                    None if int(f["account"], 16) == 0 else f["account"]
                )
            case "ProjectRegistered":
                p = f["project"]
                chunk.insert(
                    s.projects,
                    {
                        "key": _hex(f["projectKey"]),
                        "program_id": f["programId"],
                        "project_id": p["projectId"],
                        "name": p["name"],
                        "country": p["country"],
                        "methodology": p["methodology"],
                        "project_type": p["projectType"],
                        "seq": e.seq,
                    },
                )
            case "ProjectLinkRecorded":
                # Proposals (step 0) and withdrawals (1) stay in the event log; links (2) stay.
                if f["step"] == LinkStep.LINKED:
                    chunk.insert(
                        s.project_links,
                        {
                            "project_key": _hex(f["projectKey"]),
                            "other_key": _hex(f["otherKey"]),
                            "group_id": f["groupId"],
                            "actor": f["actor"],
                            **where,
                        },
                    )
            case "BatchBridged":
                self._bridged(chunk, e, where)
            case "CreditsRetired":
                r = f["retirement"]
                first, last = (
                    _serial(r["firstSerial"], "serial"),
                    _serial(r["lastSerial"], "serial"),
                )
                chunk.insert(
                    s.retirements,
                    {
                        "id": f["retirementId"],
                        "batch_id": r["batchId"],
                        "holder": f["holder"],
                        "first_serial": first,
                        "last_serial": last,
                        "quantity": last - first + 1,
                        "beneficiary": r["beneficiary"],
                        "purpose": r["purpose"],
                        "jurisdiction": r["jurisdiction"],
                        "consumption_start": r["consumptionStart"],
                        "consumption_end": r["consumptionEnd"],
                        "note": r["note"],
                        "retired_on": f["retiredOn"],
                        "mirrored": f["mirrored"],
                        "actor": f["actor"],
                        "labels": f["labels"],
                        **where,
                    },
                )
            case "CreditsDetokenised" | "CreditsCancelled":
                first, last = (
                    _serial(f["firstSerial"], "serial"),
                    _serial(f["lastSerial"], "serial"),
                )
                row = {
                    "seq": e.seq,
                    "batch_id": f["batchId"],
                    "holder": f["holder"],
                    "first_serial": first,
                    "last_serial": last,
                    "quantity": last - first + 1,
                    "block_number": e.block_number,
                    "tx_hash": e.tx_hash,
                }
                if e.name == "CreditsDetokenised":
                    chunk.insert(
                        s.detokenisations, {**row, "registry_reference": f["registryReference"]}
                    )
                else:
                    chunk.insert(
                        s.cancellations,
                        {
                            **row,
                            "reason": f["reason"],
                            "actor": f["actor"],
                            "reversed_batch_id": None,
                        },
                    )
            case "BufferReversed":
                first, last = (
                    _serial(f["firstSerial"], "serial"),
                    _serial(f["lastSerial"], "serial"),
                )
                chunk.insert(
                    s.cancellations,
                    {
                        "seq": e.seq,
                        "batch_id": f["batchId"],
                        "holder": f["holder"],
                        "first_serial": first,
                        "last_serial": last,
                        "quantity": last - first + 1,
                        "block_number": e.block_number,
                        "tx_hash": e.tx_hash,
                        "reason": f["reason"],
                        "actor": f["actor"],
                        "reversed_batch_id": f["reversedBatchId"],
                    },
                )
            case "LabelsUpdated":
                chunk.batch_updates.setdefault(f["batchId"], {})["labels"] = f["labels"]
            case "BatchFreezeChanged":
                chunk.batch_updates.setdefault(f["batchId"], {})["frozen"] = f["frozen"]
            case "AccountUpdated":
                chunk.accounts[f["account"]] = {
                    "address": f["account"],
                    "allowed": f["allowed"],
                    "frozen": f["frozen"],
                    "seq": e.seq,
                }
            case "RoleUpdated":
                key = (_hex(f["role"]), f["account"])
                if f["granted"]:
                    chunk.roles_revoked.discard(key)
                    chunk.roles_granted[key] = {"role": key[0], "account": key[1], "seq": e.seq}
                else:
                    chunk.roles_granted.pop(key, None)
                    chunk.roles_revoked.add(key)
            case "PauseChanged":
                chunk.paused = bool(f["paused"])
            case _:
                # AdminChangeRecorded, BatchVoided (its SerialsMoved cancelled the batch),
                # BatchCorrected, AccountRecovered (its SerialsMoved moved the ranges),
                # NonceInvalidated: kept in the event log only.
                pass

    def _bridged(self, chunk: _Chunk, e: LedgerEvent, where: dict[str, Any]) -> None:
        i, batch_id = e.fields["issuance"], int(e.fields["batchId"])
        first, last = _serial(i["firstSerial"], "serial"), _serial(i["lastSerial"], "serial")
        chunk.insert(
            s.batches,
            {
                "id": batch_id,
                "program_id": i["programId"],
                "project_key": _hex(i["projectKey"]),
                "namespace": i["namespace"],
                "first_serial": first,
                "last_serial": last,
                "quantity": last - first + 1,
                "recipient": i["recipient"],
                "vintage_start": i["vintageStart"],
                "vintage_end": i["vintageEnd"],
                "labels": i["labels"],
                "metadata_hash": _hex(i["metadataHash"]),
                "registry_reference": i["registryReference"],
                "frozen": False,
                "retired": 0,
                "detokenised": 0,
                "cancelled": 0,
                "bridged_by": e.fields["actor"],
                **where,
            },
        )
        self._holdings[batch_id] = BatchHoldings(batch_id, first, last)
        self._totals[batch_id] = {"retired": 0, "detokenised": 0, "cancelled": 0}

    def _moved(self, conn: Connection, chunk: _Chunk, e: LedgerEvent, f: dict[str, Any]) -> None:
        """Apply a ``SerialsMoved`` (whose ``fields`` are ``f``) to the holdings cache, and
        its ranges and the batch's totals to the chunk."""
        batch_id = f["batchId"]
        holdings = self._holdings.get(batch_id) or self._load(conn, batch_id)
        state = _STATES.get(f["state"]) or RangeState(f["state"])  # RangeState(x), looked up
        first, last = int(f["firstSerial"]), int(f["lastSerial"])
        if first > MAX_SQL_INT or last > MAX_SQL_INT:
            _serial(first, "serial")
            _serial(last, "serial")
        try:
            removed, written = holdings.move(first, last, f["from"], f["to"], state)
        except ReplayViolation as v:
            raise IndexerError(
                f"block {e.block_number}, seq {e.seq}, SerialsMoved.{v.field}: {v}"
            ) from v
        ranges = chunk.ranges.get(batch_id)
        if ranges is None:
            ranges = chunk.ranges[batch_id] = (set(), {})
        gone, now = ranges
        for start in removed:
            if now.pop(start, None) is None:  # not written in this chunk: it is stored
                gone.add(start)
        seq = e.seq
        for r in written:
            now[r.first] = (batch_id, r.first, r.last, r.holder, int(r.state), seq)
        if state is not _HELD:
            column = _LABELS[state]
            totals = self._totals[batch_id]
            totals[column] += last - first + 1
            chunk.batch_updates.setdefault(batch_id, {})[column] = totals[column]

    def _load(self, conn: Connection, batch_id: int) -> BatchHoldings:
        cached = self._holdings.get(batch_id)
        if cached is not None:
            return cached
        batch = conn.execute(
            sa.select(
                s.batches.c.first_serial,
                s.batches.c.last_serial,
                s.batches.c.retired,
                s.batches.c.detokenised,
                s.batches.c.cancelled,
            ).where(s.batches.c.id == batch_id)
        ).one_or_none()
        if batch is None:
            raise IndexerError(f"serials moved in batch {batch_id}, which the store does not have")
        rows = conn.execute(
            sa.select(s.serial_ranges).where(s.serial_ranges.c.batch_id == batch_id)
        ).all()
        holdings = BatchHoldings(
            batch_id,
            batch.first_serial,
            batch.last_serial,
            (
                HoldingRange(r.first_serial, r.last_serial, r.holder, RangeState(r.state))
                for r in rows
            ),
        )
        self._holdings[batch_id] = holdings
        self._totals[batch_id] = {
            "retired": batch.retired,
            "detokenised": batch.detokenised,
            "cancelled": batch.cancelled,
        }
        return holdings

    # ------------------------------------------------------------ writing

    def _flush(self, conn: Connection, chunk: _Chunk) -> None:
        bulk = PostgresBulk(conn) if conn.dialect.name == "postgresql" else SqliteBulk(conn)
        for table in (s.programs, s.projects, s.project_links, s.batches):
            bulk.insert(table, chunk.inserts.get(table.name))
        for program_id, values in chunk.program_updates.items():
            conn.execute(s.programs.update().where(s.programs.c.id == program_id).values(values))
        by_columns: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for batch_id, values in chunk.batch_updates.items():
            columns = tuple(sorted(values))
            by_columns.setdefault(columns, []).append((batch_id, *(values[c] for c in columns)))
        for columns, rows in by_columns.items():
            bulk.update_batches(columns, rows)
        gone = [(b, start) for b, (starts, _) in chunk.ranges.items() for start in starts]
        if gone:
            bulk.delete_ranges(gone)
        written = [row for _, rows in chunk.ranges.values() for row in rows.values()]
        if written:
            bulk.insert_ranges(written)
        for table in (s.retirements, s.detokenisations, s.cancellations):
            bulk.insert(table, chunk.inserts.get(table.name))
        upsert(conn, s.accounts, list(chunk.accounts.values()))
        upsert(conn, s.roles, list(chunk.roles_granted.values()))
        if chunk.roles_revoked:
            conn.execute(
                s.roles.delete().where(
                    s.roles.c.role == sa.bindparam("r"), s.roles.c.account == sa.bindparam("a")
                ),
                [{"r": r, "a": a} for r, a in chunk.roles_revoked],
            )
        if chunk.pools:
            write_pool_rows(conn, chunk.pools)
        if chunk.events:
            bulk.insert_events(chunk.events)
