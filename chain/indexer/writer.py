"""Apply decoded ledger events to the store, in bulk, inside the caller's transaction.

``StoreWriter.apply`` takes one chunk of events in chain order, folds them into the audit
chain (refusing any gap in ``seq``), updates the derived tables through an in-memory cache of
the touched batches' holdings, and writes everything with a handful of executemany statements.
The caller commits the chunk and the checkpoint together, or rolls both back and calls
``forget`` so the cache never runs ahead of the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from chain import audit
from chain.domain import RangeState, SerialRange
from chain.errors import ChainError
from chain.events import LedgerEvent
from chain.replay import BatchHoldings, ReplayViolation
from chain.store import schema as s

MAX_SQL_INT = 2**63 - 1


class IndexerError(ChainError):
    """The indexer met something it must not paper over; it stops instead of diverging."""


def _hex(value: Any) -> str:
    return "0x" + bytes(value).hex() if isinstance(value, bytes | bytearray) else str(value)


def _code(value: bytes) -> str:
    return bytes(value).rstrip(b"\0").decode("ascii", errors="replace")


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_SQL_INT:
        return str(value)  # JSON numbers beyond 2^63 are not portable
    return value


def _serial(value: Any, what: str) -> int:
    number = int(value)
    if number > MAX_SQL_INT:
        raise IndexerError(f"{what} {number} is beyond what the store can hold (2^63 - 1)")
    return number


def upsert(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT (primary key) DO UPDATE, for SQLite and PostgreSQL alike."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    keys = [c.name for c in table.primary_key.columns]
    stmt = dialect.insert(table)
    updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=updates), list(rows))


@dataclass
class AuditPosition:
    seq: int
    head: bytes


@dataclass
class _Chunk:
    """Everything one ``apply`` will write."""

    events: list[dict[str, Any]] = field(default_factory=list)
    inserts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    batch_updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    ranges_removed: dict[int, set[int]] = field(default_factory=dict)
    ranges_written: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    roles_granted: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    roles_revoked: set[tuple[str, str]] = field(default_factory=set)
    paused: bool | None = None

    def insert(self, table: sa.Table, row: dict[str, Any]) -> None:
        self.inserts.setdefault(table.name, []).append(row)


class StoreWriter:
    """Writes chunks of events; keeps the touched batches' holdings in memory between chunks."""

    def __init__(self) -> None:
        self._holdings: dict[int, BatchHoldings] = {}
        self._totals: dict[int, dict[str, int]] = {}

    def forget(self) -> None:
        """Drop the cache (after a rollback: the database is the truth again)."""
        self._holdings.clear()
        self._totals.clear()

    def apply(
        self, conn: Connection, events: Iterable[LedgerEvent], position: AuditPosition
    ) -> tuple[AuditPosition, bool | None]:
        """Write ``events`` (in chain order) after ``position``; returns the new audit position
        and the pause flag if an event changed it."""
        chunk = _Chunk()
        seq, head = position.seq, position.head
        for event in events:
            if event.seq != seq + 1:
                raise IndexerError(
                    f"audit sequence gap at block {event.block_number}: expected seq {seq + 1}, "
                    f"got {event.seq} ({event.name}); the node returned an incomplete log"
                )
            seq, head = event.seq, audit.fold(head, event.topics, event.data)
            self._derive(conn, chunk, event)
            chunk.events.append(
                {
                    "seq": event.seq,
                    "name": event.name,
                    "block_number": event.block_number,
                    "block_hash": event.block_hash,
                    "tx_hash": event.tx_hash,
                    "tx_index": event.tx_index,
                    "log_index": event.log_index,
                    "topics": b"".join(event.topics),
                    "data": event.data,
                    "audit_head": "0x" + head.hex(),
                    "batch_id": event.fields.get("batchId")
                    or (event.fields.get("retirement") or {}).get("batchId"),
                    "fields": _jsonable(event.fields),
                }
            )
        self._flush(conn, chunk)
        return AuditPosition(seq, head), chunk.paused

    # ------------------------------------------------------------ deriving

    def _derive(self, conn: Connection, chunk: _Chunk, e: LedgerEvent) -> None:
        f = e.fields
        where = {"seq": e.seq, "block_number": e.block_number, "tx_hash": e.tx_hash}
        match e.name:
            case "ProgramRegistered":
                chunk.insert(
                    s.programs, {"id": f["programId"], "code": _code(f["code"]), "seq": e.seq}
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
            case "BatchBridged":
                self._bridged(chunk, e, where)
            case "SerialsMoved":
                self._moved(conn, chunk, e)
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
                        "retired_on": f["retiredOn"],
                        "mirrored": f["mirrored"],
                        "actor": f["actor"],
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
                        s.cancellations, {**row, "reason": f["reason"], "actor": f["actor"]}
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
                pass  # AdminChangeRecorded: kept in the event log only

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

    def _moved(self, conn: Connection, chunk: _Chunk, e: LedgerEvent) -> None:
        f = e.fields
        batch_id = int(f["batchId"])
        holdings = self._load(conn, batch_id)
        state = RangeState(f["state"])
        try:
            removed, written = holdings.move(
                _serial(f["firstSerial"], "serial"),
                _serial(f["lastSerial"], "serial"),
                f["from"],
                f["to"],
                state,
            )
        except ReplayViolation as v:
            raise IndexerError(
                f"block {e.block_number}, seq {e.seq}, SerialsMoved.{v.field}: {v}"
            ) from v
        gone = chunk.ranges_removed.setdefault(batch_id, set())
        now = chunk.ranges_written.setdefault(batch_id, {})
        for start in removed:
            now.pop(start, None)
            gone.add(start)
        for r in written:
            gone.discard(r.first)
            now[r.first] = {
                "batch_id": batch_id,
                "first_serial": r.first,
                "last_serial": r.last,
                "holder": r.holder,
                "state": int(r.state),
                "seq": e.seq,
            }
        if state != RangeState.HELD:
            column = state.label
            totals = self._totals[batch_id]
            totals[column] += int(f["lastSerial"]) - int(f["firstSerial"]) + 1
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
                SerialRange(r.first_serial, r.last_serial, r.holder, RangeState(r.state))
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
        for table in (s.programs, s.projects, s.batches):
            rows = chunk.inserts.get(table.name)
            if rows:
                conn.execute(table.insert(), rows)
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for batch_id, values in chunk.batch_updates.items():
            by_columns.setdefault(tuple(sorted(values)), []).append({"_id": batch_id, **values})
        for columns, rows in by_columns.items():
            stmt = (
                s.batches.update()
                .where(s.batches.c.id == sa.bindparam("_id"))
                .values({c: sa.bindparam(c) for c in columns})
            )
            conn.execute(stmt, rows)
        removed = [
            {"b": batch_id, "f": start}
            for batch_id, starts in chunk.ranges_removed.items()
            for start in starts
        ]
        if removed:
            conn.execute(
                s.serial_ranges.delete().where(
                    s.serial_ranges.c.batch_id == sa.bindparam("b"),
                    s.serial_ranges.c.first_serial == sa.bindparam("f"),
                ),
                removed,
            )
        upsert(
            conn,
            s.serial_ranges,
            [row for rows in chunk.ranges_written.values() for row in rows.values()],
        )
        for table in (s.retirements, s.detokenisations, s.cancellations):
            rows = chunk.inserts.get(table.name)
            if rows:
                conn.execute(table.insert(), rows)
        upsert(conn, s.accounts, list(chunk.accounts.values()))
        upsert(conn, s.roles, list(chunk.roles_granted.values()))
        if chunk.roles_revoked:
            conn.execute(
                s.roles.delete().where(
                    s.roles.c.role == sa.bindparam("r"), s.roles.c.account == sa.bindparam("a")
                ),
                [{"r": r, "a": a} for r, a in chunk.roles_revoked],
            )
        if chunk.events:
            conn.execute(s.events.insert(), chunk.events)
