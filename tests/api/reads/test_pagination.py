"""Property: whatever the page size, walking a list returns every row exactly once, in order."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from chain.domain import RangeState
from chain.store import schema as s
from tests.api.reads.conftest import Filled
from tests.api.reads.support import walk

LISTS = ("batches", "vcs-batches", "retirements", "holdings", "ranges", "events")


def _truth(store: Engine, filled: Filled, name: str) -> list[Any]:
    b, t, r, e = s.batches, s.retirements, s.serial_ranges, s.events
    queries = {
        "batches": sa.select(b.c.id).order_by(b.c.id),
        "vcs-batches": sa.select(b.c.id).where(b.c.program_id == 1).order_by(b.c.id),
        "retirements": sa.select(t.c.id).order_by(t.c.id),
        "holdings": sa.select(r.c.batch_id, r.c.first_serial)
        .where(r.c.holder == filled.custody.lower(), r.c.state == int(RangeState.HELD))
        .order_by(r.c.batch_id, r.c.first_serial),
        "ranges": sa.select(r.c.first_serial)
        .where(r.c.batch_id == filled.batch)
        .order_by(r.c.first_serial),
        "events": sa.select(e.c.seq).order_by(e.c.seq),
    }
    with store.connect() as conn:
        return [tuple(row) if len(row) > 1 else row[0] for row in conn.execute(queries[name])]


def _walked(client: TestClient, filled: Filled, name: str, limit: int) -> list[Any]:
    if name == "holdings":
        groups = walk(client, f"/v1/accounts/{filled.custody}/holdings", limit=limit)
        return [(g["batch_id"], x["first_serial"]) for g in groups for x in g["ranges"]]
    if name == "ranges":
        items = walk(client, f"/v1/batches/{filled.batch}/ranges", limit=limit)
        return [x["first_serial"] for x in items]
    if name == "events":
        return [x["seq"] for x in walk(client, "/v1/events", limit=limit)]
    params = {"program": "VCS"} if name == "vcs-batches" else {}
    url = "/v1/retirements" if name == "retirements" else "/v1/batches"
    return [x["id"] for x in walk(client, url, limit=limit, **params)]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(LISTS), limit=st.integers(1, 120))
def test_every_row_exactly_once(
    client: TestClient, store: Engine, filled: Filled, name: str, limit: int
) -> None:
    walked = _walked(client, filled, name, limit)
    assert walked == _truth(store, filled, name)
    assert len(set(walked)) == len(walked)
