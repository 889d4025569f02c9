"""GET /v1/batches (filters, pagination), /v1/batches/{id} (all fields, totals, conservation)
and /v1/batches/{id}/ranges, checked against the chain and the store."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from chain.domain import Label
from chain.store import schema as s
from tests.api.reads.conftest import LABELS, Filled
from tests.api.reads.support import get, invalid_fields, walk


def _ids(store: Engine, where: sa.ColumnElement[bool] | None = None) -> list[int]:
    b, pr, p = s.batches, s.projects, s.programs
    query = (
        sa.select(b.c.id).join(pr, pr.c.key == b.c.project_key).join(p, p.c.id == b.c.program_id)
    )
    if where is not None:
        query = query.where(where)
    with store.connect() as conn:
        return [int(i) for i in conn.execute(query.order_by(b.c.id)).scalars()]


def test_every_batch_once_in_id_order(client: TestClient, store: Engine) -> None:
    items = walk(client, "/v1/batches", limit=37)
    assert [b["id"] for b in items] == _ids(store)
    assert len(items) == 398  # every block of both exports


def test_filters_select_what_the_store_holds(client: TestClient, store: Engine) -> None:
    b, pr, p = s.batches, s.projects, s.programs
    cases = [
        ({"program": "gs"}, p.c.code == "GS"),
        ({"vintage": 2022}, b.c.vintage_start.between(20220000, 20229999)),
        ({"country": "cHINA"}, pr.c.country == "China"),
        ({"project": "1340"}, pr.c.project_id == "1340"),
        (
            {"program": "VCS", "vintage": 2024},
            (p.c.code == "VCS") & b.c.vintage_start.between(20240000, 20249999),
        ),
    ]
    for params, where in cases:
        expected = _ids(store, where)
        assert expected, params
        assert [x["id"] for x in walk(client, "/v1/batches", limit=500, **params)] == expected


def test_label_and_holder_filters(client: TestClient, store: Engine, filled: Filled) -> None:
    labelled = walk(client, "/v1/batches", label=["corsia_eligible", "ccp_approved"])
    assert [x["id"] for x in labelled] == [filled.batch]
    article6 = s.batches.c.labels.op("&")(int(Label.ARTICLE6_AUTHORISED)) != 0
    expected = _ids(store, article6)
    assert expected  # the Gold Standard export has Article 6 authorised blocks
    found = walk(client, "/v1/batches", label="article6_authorised", limit=7)
    assert [x["id"] for x in found] == expected
    assert all("article6_authorised" in x["labels"] for x in found)
    held = walk(client, "/v1/batches", holder=filled.bob.account.upper().replace("0X", "0x"))
    assert [x["id"] for x in held] == [filled.batch]


def test_a_batch_in_full_matches_the_chain(client: TestClient, filled: Filled) -> None:
    body = get(client, f"/v1/batches/{filled.batch}", ranges=3)
    on_chain = filled.chain.batch(filled.batch)
    assert body["totals"] == {
        "bridged": on_chain.quantity,
        "held": on_chain.held,
        "retired": on_chain.retired,
        "detokenised": on_chain.detokenised,
        "cancelled": on_chain.cancelled,
    }
    assert body["totals"]["retired"] == 60 and body["totals"]["detokenised"] == 50
    assert body["totals"]["cancelled"] == 10
    assert (body["first_serial"], body["last_serial"]) == (filled.first, filled.last)
    assert body["labels"] == ["corsia_eligible", "ccp_approved", "corresponding_adjustment"]
    assert on_chain.labels == LABELS
    assert body["program"] == "VCS" and body["namespace"] == "VCS-VCU"
    assert body["project"]["project_id"] and body["vintage_year"] == int(body["vintage_start"][:4])
    assert body["frozen"] is False and body["conserved"] is True
    assert len(body["ranges"]["items"]) == 3
    assert body["ranges"]["next"].startswith(f"/v1/batches/{filled.batch}/ranges?")
    walked = body["ranges"]["items"] + walk(client, body["ranges"]["next"])
    expected = [
        (r.first, r.last, r.holder.lower(), r.state.label)
        for r in filled.chain.ranges(filled.batch)
    ]
    assert [(x["first_serial"], x["last_serial"], x["holder"], x["state"]) for x in walked] == (
        expected
    )
    assert body["range_count"] == len(expected)


def test_ranges_page_on_their_own(client: TestClient, filled: Filled) -> None:
    items = walk(client, f"/v1/batches/{filled.batch}/ranges", limit=2)
    assert [x["first_serial"] for x in items] == [
        r.first for r in filled.chain.ranges(filled.batch)
    ]
    assert sum(x["quantity"] for x in items) == filled.last - filled.first + 1


def test_unknown_batches_are_404(client: TestClient) -> None:
    for url in ("/v1/batches/99999", "/v1/batches/99999/ranges"):
        body = get(client, url, 404)
        assert "batch 99999" in body["detail"]


def test_bad_parameters_are_422_naming_the_field(client: TestClient, filled: Filled) -> None:
    assert invalid_fields(client, "/v1/batches/0") == ["path.id"]
    assert invalid_fields(client, "/v1/batches/x") == ["path.id"]
    assert invalid_fields(client, f"/v1/batches/{2**63}") == ["path.id"]
    assert invalid_fields(client, "/v1/batches", vintage=20) == ["query.vintage"]
    assert invalid_fields(client, "/v1/batches", label="gold") == ["query.label.0"]
    assert invalid_fields(client, "/v1/batches", holder="0x123") == ["query.holder"]
    assert invalid_fields(client, "/v1/batches", program="V S") == ["query.program"]
    assert invalid_fields(client, "/v1/batches", limit=0) == ["query.limit"]
    assert invalid_fields(client, "/v1/batches", limit=501) == ["query.limit"]
    assert invalid_fields(client, "/v1/batches", cursor="!!") == ["query.cursor"]
    assert invalid_fields(client, f"/v1/batches/{filled.batch}/ranges", limit=1001) == [
        "query.limit"
    ]


def test_a_cursor_only_serves_the_query_it_came_from(client: TestClient) -> None:
    first = get(client, "/v1/batches", limit=2, program="VCS")
    cursor = first["next_cursor"]
    assert get(client, "/v1/batches", limit=2, program="VCS", cursor=cursor)["items"]
    body = get(client, "/v1/batches", 422, limit=2, program="GS", cursor=cursor)
    assert body["errors"] == [
        {"field": "query.cursor", "message": "this cursor belongs to a query with other filters"}
    ]
    other = get(client, "/v1/retirements", 422, cursor=cursor)
    assert other["errors"][0]["field"] == "query.cursor"
