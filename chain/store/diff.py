"""Row-by-row comparison of two stores, table by table, in primary-key order.

``audit verify`` builds the store the chain implies (its logs re-indexed into an in-memory
SQLite) and diffs it against the store under audit: an edited, deleted or inserted row in any
table is reported with its table, key and column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from chain.store import schema as s

COMPARED_TABLES = (
    s.programs,
    s.projects,
    s.project_links,
    s.batches,
    s.serial_ranges,
    s.retirements,
    s.detokenisations,
    s.cancellations,
    s.accounts,
    s.roles,
    s.pools,
    s.pool_list_entries,
    s.pool_balances,
    s.pool_approvals,
    s.pool_unit_moves,
    s.pool_serial_moves,
    s.events,
)


@dataclass(frozen=True)
class RowDifference:
    table: str
    key: tuple[Any, ...]
    column: str | None  # None: the row is missing or extra
    expected: Any
    found: Any
    block: int | None

    def describe(self) -> str:
        key = ", ".join(map(str, self.key))
        if self.column is None:
            state = "missing from" if self.found is None else "not on the chain but in"
            return f"{self.table} row ({key}) {state} the store"
        return f"{self.table} ({key}).{self.column}: chain implies {self.expected!r}, store has {self.found!r}"


def _rows(
    store: Engine | Connection, table: sa.Table
) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    keys = list(table.primary_key.columns)
    query = sa.select(table).order_by(*keys)
    if isinstance(store, Connection):  # the caller's transaction: one snapshot for every table
        rows = store.execute(query).mappings()
        yield from ((tuple(row[k.name] for k in keys), dict(row)) for row in rows)
        return
    with store.connect() as conn:
        for row in conn.execute(query).mappings():
            yield tuple(row[k.name] for k in keys), dict(row)


def _block(row: dict[str, Any] | None) -> int | None:
    if row is None:
        return None
    value = row.get("block_number")
    return int(value) if value is not None else None


def diff_stores(
    expected: Engine | Connection, actual: Engine | Connection, *, limit: int = 50
) -> list[RowDifference]:
    """Up to ``limit`` differences, in table order then key order. A store given as a
    ``Connection`` is read in its transaction, every table as of one moment; as an ``Engine``,
    each table in a transaction of its own."""
    found: list[RowDifference] = []
    for table in COMPARED_TABLES:
        want = _rows(expected, table)
        have = _rows(actual, table)
        a, b = next(want, None), next(have, None)
        while a is not None or b is not None:
            if len(found) >= limit:
                return found
            if b is None or (a is not None and a[0] < b[0]):
                assert a is not None
                found.append(RowDifference(table.name, a[0], None, a[1], None, _block(a[1])))
                a = next(want, None)
            elif a is None or b[0] < a[0]:
                found.append(RowDifference(table.name, b[0], None, None, b[1], _block(b[1])))
                b = next(have, None)
            else:
                for column in (c.name for c in table.columns):
                    if a[1][column] != b[1][column]:
                        found.append(
                            RowDifference(
                                table.name, a[0], column, a[1][column], b[1][column], _block(a[1])
                            )
                        )
                        break
                a, b = next(want, None), next(have, None)
    return found
