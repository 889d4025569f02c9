"""Apply decoded ledger events to the store, in bulk, inside the caller's transaction.

``StoreWriter.apply`` takes one chunk of events in chain order, folds them into the audit
chain (refusing any gap in ``seq``), updates the derived tables through an in-memory cache of
the touched batches' holdings, and writes everything with a handful of executemany statements.
The caller commits the chunk and the checkpoint together, or rolls both back and calls
``forget`` so the cache never runs ahead of the database.

The bulk statements bypass SQLAlchemy's per-row parameter processing: rows are plain dicts or
tuples of DBAPI-native values (``fields`` is already JSON text, encoded as SQLAlchemy's JSON
type encodes it). SQLite gets them through ``executemany``; PostgreSQL through binary ``COPY``
for inserts and one statement over arrays for the ranges deleted and upserted, instead of a
round trip per row. The stored values are exactly those ``table.insert()`` would store.

``prepare`` and ``write`` split ``apply`` in two, so the indexer can derive the next chunk
while the database writes this one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from chain.domain import RangeState, SerialRange
from chain.errors import ChainError
from chain.events import LedgerEvent, event_specs
from chain.replay import BatchHoldings, ReplayViolation
from chain.store import schema as s

if TYPE_CHECKING:
    import psycopg

MAX_SQL_INT = 2**63 - 1
_STATES = {int(state): state for state in RangeState}
_LABELS = {state: state.label for state in RangeState}


class IndexerError(ChainError):
    """The indexer met something it must not paper over; it stops instead of diverging."""


class SequenceGap(IndexerError):
    """The node's logs skip (or repeat) an audit ``seq``: ``found`` came where ``expected``
    belongs, in ``block``. ``previous_block`` is the block of the event before the gap when
    that event is in the same chunk, ``None`` when the gap is at the chunk's start (so the
    missing logs may lie in blocks the store already holds)."""

    def __init__(
        self, message: str, expected: int, found: int, block: int, previous_block: int | None
    ) -> None:
        super().__init__(message)
        self.expected = expected
        self.found = found
        self.block = block
        self.previous_block = previous_block


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


def _hex_bytes(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


@lru_cache(maxsize=64)
def _wide_ints(topic0: bytes) -> tuple[tuple[str, ...], ...] | None:
    """Where the event's integers wider than 63 bits sit (paths into its fields), or ``None``
    for an event the ABI does not describe, or one with arrays."""
    spec = event_specs().get(topic0)
    if spec is None:
        return None
    paths: list[tuple[str, ...]] = []

    def walk(fields: Iterable[Any], prefix: tuple[str, ...]) -> bool:
        for f in fields:
            kind, path = str(f.abi_type), (*prefix, str(f.name))
            if kind.endswith("]"):
                return False
            if f.components:
                if not walk(f.components, path):
                    return False
            elif kind.startswith(("uint", "int")):
                bits = int(kind.lstrip("uint") or 256)
                if bits > 63:
                    paths.append(path)
        return True

    return tuple(paths) if walk((*spec.indexed, *spec.data), ()) else None


def fields_json(fields: dict[str, Any], topic0: bytes = b"") -> str:
    """``fields`` as the ``events.fields`` column stores it: ``json.dumps(_jsonable(fields))``,
    the JSON type's encoding of them. For a decoded event, whose only ints wider than 63 bits
    sit where its ABI says, that is one pass of the C encoder once those are checked."""
    paths = _wide_ints(topic0)
    if paths is None:
        return json.dumps(_jsonable(fields))
    try:
        for path in paths:
            value: Any = fields
            for key in path:
                value = value[key]
            if value > MAX_SQL_INT:
                return json.dumps(_jsonable(fields))
    except (KeyError, TypeError):
        return json.dumps(_jsonable(fields))
    return _ENCODER.encode(fields)


_ENCODER = json.JSONEncoder(default=_hex_bytes)  # json.dumps(..., default=_hex_bytes), reused


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
    ranges_removed: dict[int, set[int]] = field(default_factory=dict)
    ranges_written: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    roles_granted: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    roles_revoked: set[tuple[str, str]] = field(default_factory=set)
    paused: bool | None = None

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

    def forget(self) -> None:
        """Drop the cache (after a rollback: the database is the truth again)."""
        self._holdings.clear()
        self._totals.clear()

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
        derive = self._derive
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
            topics = b"".join(event.topics)
            seq, head = event.seq, _fold(head, topics, event.data)
            derive(conn, chunk, event)
            f = event.fields
            rows.append(
                (
                    seq,
                    event.name,
                    event.block_number,
                    event.block_hash,
                    event.tx_hash,
                    event.tx_index,
                    event.log_index,
                    topics,
                    event.data,
                    "0x" + head.hex(),
                    f.get("batchId") or (f.get("retirement") or {}).get("batchId"),
                    fields_json(f, event.topics[0] if event.topics else b""),
                )
            )
        return PreparedChunk(chunk, AuditPosition(seq, head), chunk.paused, len(rows))

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
                        "note": r["note"],
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
        holdings = self._holdings.get(batch_id) or self._load(conn, batch_id)
        state = _STATES.get(f["state"]) or RangeState(f["state"])  # RangeState(x), looked up
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
            column = _LABELS[state]
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
        bulk = _Postgres(conn) if conn.dialect.name == "postgresql" else _Sqlite(conn)
        for table in (s.programs, s.projects, s.batches):
            bulk.insert(table, chunk.inserts.get(table.name))
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
            (batch_id, start)
            for batch_id, starts in chunk.ranges_removed.items()
            for start in starts
        ]
        if removed:
            bulk.delete_ranges(removed)
        written = [row for rows in chunk.ranges_written.values() for row in rows.values()]
        if written:
            bulk.upsert_ranges(written)
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
        if chunk.events:
            bulk.insert_events(chunk.events)


EVENT_COLUMNS = tuple(c.name for c in s.events.columns)
"""The order of an ``events`` row tuple (the table's own column order)."""

_RANGE_COLUMNS = tuple(c.name for c in s.serial_ranges.columns)
_RANGE_KEYS = tuple(c.name for c in s.serial_ranges.primary_key.columns)
_RANGE_UPDATES = ", ".join(f"{c} = excluded.{c}" for c in _RANGE_COLUMNS if c not in _RANGE_KEYS)


class _Sqlite:
    """sqlite3's executemany: in-process, a few microseconds a row."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert(self, table: sa.Table, rows: list[dict[str, Any]] | None) -> None:
        """INSERT rows of DBAPI-native values, every row with the same keys."""
        if rows:
            self.conn.exec_driver_sql(_sqlite_insert(table.name, tuple(rows[0])), rows)

    def insert_events(self, rows: list[tuple[Any, ...]]) -> None:
        self.conn.exec_driver_sql(_sqlite_insert("events", EVENT_COLUMNS, named=False), rows)

    def delete_ranges(self, keys: list[tuple[int, int]]) -> None:
        sql = "DELETE FROM serial_ranges WHERE batch_id = ? AND first_serial = ?"
        self.conn.exec_driver_sql(sql, keys)

    def upsert_ranges(self, rows: list[dict[str, Any]]) -> None:
        insert = _sqlite_insert("serial_ranges", _RANGE_COLUMNS)
        sql = f"{insert} ON CONFLICT ({', '.join(_RANGE_KEYS)}) DO UPDATE SET {_RANGE_UPDATES}"
        self.conn.exec_driver_sql(sql, rows)


@lru_cache(maxsize=32)
def _sqlite_insert(table: str, columns: tuple[str, ...], *, named: bool = True) -> str:
    values = ", ".join(f":{c}" for c in columns) if named else ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})"


class _Postgres:
    """psycopg: binary COPY for inserts, one statement over arrays for the range changes
    (a statement per row would wait on the server once per row)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.driver = cast("psycopg.Connection[Any]", conn.connection.dbapi_connection)

    def _copy(self, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        with (
            self.driver.cursor() as cursor,
            cursor.copy(
                f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.set_types([_pg_copy_type(table, c) for c in columns])
            for row in rows:
                copy.write_row(row)

    def insert(self, table: sa.Table, rows: list[dict[str, Any]] | None) -> None:
        if rows:
            self._copy(table, list(rows[0]), (tuple(row.values()) for row in rows))

    def insert_events(self, rows: list[tuple[Any, ...]]) -> None:
        self._copy(s.events, EVENT_COLUMNS, rows)

    def delete_ranges(self, keys: list[tuple[int, int]]) -> None:
        batches, firsts = zip(*keys, strict=True)
        self.driver.execute(
            "DELETE FROM serial_ranges AS r USING unnest(%s::bigint[], %s::bigint[]) AS d(b, f)"
            " WHERE r.batch_id = d.b AND r.first_serial = d.f",
            (list(batches), list(firsts)),
        )

    def upsert_ranges(self, rows: list[dict[str, Any]]) -> None:
        arrays = ", ".join(f"%s::{_pg_copy_type(s.serial_ranges, c)}[]" for c in _RANGE_COLUMNS)
        self.driver.execute(
            f"INSERT INTO serial_ranges ({', '.join(_RANGE_COLUMNS)}) "
            f"SELECT * FROM unnest({arrays}) "
            f"ON CONFLICT ({', '.join(_RANGE_KEYS)}) DO UPDATE SET {_RANGE_UPDATES}",
            [[row[c] for row in rows] for c in _RANGE_COLUMNS],
        )


_PG_TYPES: dict[tuple[str, str], str] = {}


def _pg_copy_type(table: sa.Table, column: str) -> str:
    """The PostgreSQL type of a column, as psycopg names it; JSON goes as its text (the
    ``fields`` values are JSON text already: psycopg's json dumper would encode them again)."""
    key = (table.name, column)
    if key not in _PG_TYPES:
        name = table.c[column].type.compile(dialect=_PG_DIALECT).split("(")[0].lower()
        _PG_TYPES[key] = "text" if name == "json" else name
    return _PG_TYPES[key]


_PG_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
