"""Pages stay fast on large stores: every statement a page runs is answered from an index
(SQLite's own query plans, over the demo's store), lists never sort a whole table, and the
dashboard's whole-table aggregates run once per checkpoint, not once per view."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from chain.store import schema as s
from chain.store.engine import open_store
from tests.api.pages.support import DemoStore, pages_app

BIG = ("batches", "serial_ranges", "retirements", "events", "cancellations", "detokenisations")
VCS_SERIAL = "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"


class Statements:
    """The SELECTs the engine runs while the ``with`` block is open."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seen: list[tuple[str, Any]] = []

    def _grab(self, *args: Any) -> None:
        statement, parameters = args[2], args[3]
        if statement.lstrip().upper().startswith("SELECT"):
            self.seen.append((statement, parameters))

    def __enter__(self) -> Statements:
        sa.event.listen(self.engine, "before_cursor_execute", self._grab)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._grab)

    def plans(self) -> Iterator[tuple[str, list[str]]]:
        with self.engine.connect() as conn:
            for statement, parameters in self.seen:
                rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                yield statement, [str(row[3]) for row in rows]


@pytest.fixture(scope="module")
def custody(engine: Engine) -> str:
    """The account with the most ranges: a registry's custody account."""
    r = s.serial_ranges
    with engine.connect() as conn:
        return str(
            conn.execute(
                sa.select(r.c.holder).group_by(r.c.holder).order_by(sa.func.count().desc())
            ).scalar()
        )


def paths(custody: str) -> list[str]:
    return [
        "/batches",
        "/batches?after=100",
        "/batches?program=GS",
        "/batches?program=GS&after=300",
        "/batches/1?ranges_after=1&history_after=3&retirements_before=9",
        f"/serials?q={VCS_SERIAL}",
        "/serials?q=941467010",
        "/serials?q=RW-5-1463953-2-2-0-7014 - RW-5-1467609-2-2-0-7014",
        f"/accounts/{custody}",
        f"/accounts/{custody}?after=100-1",
        "/retirements/7",
        "/v1/retirements/7/certificate",
        "/audit",
        "/audit?before=500",
        "/audit?after=500",
        "/audit?batch=3&before=1000",
        "/audit?kind=NamespaceUpdated",  # and the codes of the programmes it names
    ]


def test_page_queries_use_indexes(client: TestClient, engine: Engine, custody: str) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plans")
    for path in paths(custody):
        with Statements(engine) as statements:
            assert client.get(path).status_code == 200, path
        assert statements.seen, path
        for statement, plan in statements.plans():
            where = f"{path}: {' '.join(statement.split())[:120]} -> {plan}"
            limited = " LIMIT " in statement.upper()
            for step in plan:
                scanned = re.match(r"SCAN (\w+)( USING (COVERING )?INDEX)?", step)
                if scanned and scanned[1] in BIG:
                    # Walking an index in order is fine only where a LIMIT stops it early.
                    assert scanned[2] and limited, where
            touches = {t for t in BIG if re.search(rf"\bFROM {t}\b", statement)}
            if touches & {"batches", "serial_ranges", "events"}:
                assert "USE TEMP B-TREE FOR ORDER BY" not in plan, where


def test_dashboard_aggregates_once_per_checkpoint(demo: DemoStore, tmp_path: Path) -> None:
    copy = tmp_path / "store.sqlite3"
    shutil.copy(demo.url.removeprefix("sqlite:///"), copy)
    engine = open_store(f"sqlite:///{copy}")
    client = TestClient(pages_app(engine))
    with Statements(engine) as first:
        assert client.get("/").status_code == 200
    assert any("sum(" in q.lower() for q, _ in first.seen)
    with Statements(engine) as again:
        assert client.get("/").status_code == 200
        assert client.get("/?lang=zh").status_code == 200
    assert not any("sum(" in q.lower() for q, _ in again.seen)
    with engine.begin() as conn:  # the indexer moves the checkpoint on
        conn.execute(sa.update(s.checkpoint).values(audit_seq=s.checkpoint.c.audit_seq + 1))
    with Statements(engine) as moved:
        assert client.get("/").status_code == 200
    assert any("sum(" in q.lower() for q, _ in moved.seen)
    engine.dispose()
