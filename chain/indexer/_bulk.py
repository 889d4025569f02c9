"""Each store's bulk writer: rows of DBAPI-native values written in a handful of statements.

SQLite gets multi-row statements; PostgreSQL binary ``COPY`` for inserts and one statement over
arrays for deletes and updates. A holding range that changes is deleted and inserted anew, so
neither store looks for a conflict row by row. ``chain.indexer.writer`` derives the rows.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from chain.store import schema as s

if TYPE_CHECKING:
    import psycopg

EVENT_COLUMNS = tuple(c.name for c in s.events.columns)
"""The order of an ``events`` row tuple (the table's own column order)."""

_RANGE_COLUMNS = tuple(c.name for c in s.serial_ranges.columns)
"""The order of a ``serial_ranges`` row tuple, as ``_moved`` writes them."""
assert _RANGE_COLUMNS == ("batch_id", "first_serial", "last_serial", "holder", "state", "seq")


def upsert(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT (primary key) DO UPDATE, for SQLite and PostgreSQL alike."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    keys = [c.name for c in table.primary_key.columns]
    stmt = dialect.insert(table)
    updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=updates), list(rows))


class SqliteBulk:
    """Multi-row statements, as many rows each as SQLite takes parameters.

    Not ``executemany``: sqlite3 releases the GIL around each row's step and must win it back
    for the next, which, with the indexer deriving the next chunk on another thread, waits up
    to a switch interval (5 ms) per row. A statement of thousands of rows waits once."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        driver = cast(sqlite3.Connection, conn.connection.dbapi_connection)
        limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self.parameters = min(limit, _SQLITE_PARAMETERS)
        info = conn.connection.info
        if not info.get("indexer_cache"):
            # Bulk writes touch index pages all over (batch ids, holders): with SQLite's
            # default 2 MiB page cache they are read back and re-spilled within a chunk.
            conn.exec_driver_sql(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")
            info["indexer_cache"] = True

    def _many(self, sql: str, columns: int, rows: Sequence[Sequence[Any]], end: str = "") -> None:
        """``sql`` VALUES (…), (…), … ``end`` for every part of ``rows`` that fits."""
        size = max(1, self.parameters // columns)
        for i in range(0, len(rows), size):
            part = rows[i : i + size]
            self.conn.exec_driver_sql(
                _values_sql(sql, columns, len(part), end),
                tuple(itertools.chain.from_iterable(part)),
            )

    def insert(self, table: sa.Table, rows: list[dict[str, Any]] | None) -> None:
        """INSERT rows of DBAPI-native values, every row with the same keys in the same order
        (each table's rows come from one dict display)."""
        if rows:
            columns = tuple(rows[0])
            self._many(_sqlite_insert(table.name, columns), len(columns), _tuples(rows))

    def insert_events(self, rows: list[tuple[Any, ...]]) -> None:
        self._many(_sqlite_insert("events", EVENT_COLUMNS), len(EVENT_COLUMNS), rows)

    def delete_ranges(self, keys: list[tuple[int, int]]) -> None:
        # By rowid, found through the key's index: a row-value IN list would scan the table.
        self._many(_DELETE_RANGES, 2, keys, _DELETE_RANGES_END)

    def update_batches(self, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """UPDATE batches SET ``columns`` from rows of (id, *values)."""
        updates = ", ".join(f"{c} = v.column{i + 2}" for i, c in enumerate(columns))
        sql = f"UPDATE batches SET {updates} FROM ("
        self._many(sql, 1 + len(columns), rows, ") AS v WHERE batches.id = v.column1")

    def insert_ranges(self, rows: list[tuple[Any, ...]]) -> None:
        self._many(_sqlite_insert("serial_ranges", _RANGE_COLUMNS), len(_RANGE_COLUMNS), rows)


_SQLITE_PARAMETERS = 32_766  # SQLite 3.32+'s default limit; older ones have 999
_SQLITE_CACHE_KIB = 64 * 1024  # the page cache of a connection the indexer writes with


def _tuples(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return list(map(tuple, map(dict.values, rows)))


@lru_cache(maxsize=32)
def _sqlite_insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)})"


@lru_cache(maxsize=16)
def _values_sql(sql: str, columns: int, rows: int, end: str) -> str:
    """A statement of ``rows`` rows, built once: it is as long as it has parameters."""
    row = "(" + ", ".join("?" * columns) + ")"
    return f"{sql} VALUES {', '.join([row] * rows)}{end}"


_DELETE_RANGES = "DELETE FROM serial_ranges WHERE rowid IN (SELECT r.rowid FROM ("
_DELETE_RANGES_END = (
    ") AS v JOIN serial_ranges AS r ON r.batch_id = v.column1 AND r.first_serial = v.column2)"
)


class PostgresBulk:
    """psycopg: binary COPY for inserts, one statement over arrays for the ranges deleted and
    the batches updated (a statement per row would wait on the server once per row)."""

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
            self._copy(table, list(rows[0]), _tuples(rows))

    def insert_events(self, rows: list[tuple[Any, ...]]) -> None:
        self._copy(s.events, EVENT_COLUMNS, rows)

    def delete_ranges(self, keys: list[tuple[int, int]]) -> None:
        batches, firsts = zip(*keys, strict=True)
        self.driver.execute(
            "DELETE FROM serial_ranges AS r USING unnest(%s::bigint[], %s::bigint[]) AS d(b, f)"
            " WHERE r.batch_id = d.b AND r.first_serial = d.f",
            (list(batches), list(firsts)),
        )

    def update_batches(self, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """UPDATE batches SET ``columns`` from rows of (id, *values), in one statement."""
        names = ("id", *columns)
        arrays = ", ".join(f"%s::{_pg_copy_type(s.batches, c)}[]" for c in names)
        updates = ", ".join(f"{c} = v.{c}" for c in columns)
        self.driver.execute(
            f"UPDATE batches AS b SET {updates} FROM unnest({arrays}) AS v({', '.join(names)}) "
            "WHERE b.id = v.id",
            [list(values) for values in zip(*rows, strict=True)],
        )

    def insert_ranges(self, rows: list[tuple[Any, ...]]) -> None:
        self._copy(s.serial_ranges, _RANGE_COLUMNS, rows)


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
