"""GET /v1/accounts/{address}/holdings: live ranges by batch, checked against the chain."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from chain.domain import RangeState
from chain.store import schema as s
from tests.api.reads.conftest import Filled
from tests.api.reads.support import get, invalid_fields, walk


def test_a_buyers_holdings_match_the_chain(client: TestClient, filled: Filled) -> None:
    body = get(client, f"/v1/accounts/{filled.alice.account}/holdings")
    assert body["address"] == filled.alice.account.lower()
    assert body["account"] == {"allowed": True, "frozen": False}
    assert body["next"] is None and body["next_cursor"] is None
    (holding,) = body["items"]
    ranges = filled.chain.holdings(filled.batch, filled.alice.account)
    live = [r for r in ranges if r.state == RangeState.HELD]  # it lists spent ranges too
    assert holding["batch_id"] == filled.batch and holding["program"] == "VCS"
    assert [(x["first_serial"], x["last_serial"]) for x in holding["ranges"]] == [
        (r.first, r.last) for r in live
    ]
    assert holding["held"] == filled.chain.balance_of(filled.alice.account, filled.batch) == 340
    assert holding["labels"] == ["corsia_eligible", "ccp_approved", "corresponding_adjustment"]


def test_the_custodys_holdings_walk_page_by_page(
    client: TestClient, store: Engine, filled: Filled
) -> None:
    r = s.serial_ranges
    with store.connect() as conn:
        expected = conn.execute(
            sa.select(r.c.batch_id, r.c.first_serial, r.c.last_serial)
            .where(r.c.holder == filled.custody.lower(), r.c.state == int(RangeState.HELD))
            .order_by(r.c.batch_id, r.c.first_serial)
        ).all()
    assert len(expected) > 50
    groups = walk(
        client, f"/v1/accounts/{filled.custody.upper().replace('0X', '0x')}/holdings", limit=7
    )
    found = [
        (g["batch_id"], x["first_serial"], x["last_serial"]) for g in groups for x in g["ranges"]
    ]
    assert found == [tuple(row) for row in expected]
    # ``held`` is the whole balance in the batch, also where its ranges span pages.
    for group in groups:
        assert group["held"] == filled.chain.balance_of(filled.custody, group["batch_id"])


def test_an_account_that_holds_nothing(client: TestClient) -> None:
    body = get(client, "/v1/accounts/0x" + "ab" * 20 + "/holdings")
    assert body == {
        "address": "0x" + "ab" * 20,
        "account": None,
        "items": [],
        "next_cursor": None,
        "next": None,
    }


def test_spent_credits_are_not_holdings(client: TestClient, filled: Filled) -> None:
    body = get(client, f"/v1/accounts/{filled.bob.account}/holdings")
    (holding,) = body["items"]
    # bob received 100, had 50 detokenised and 10 cancelled
    assert holding["held"] == 40
    assert [x["quantity"] for x in holding["ranges"]] == [40]


def test_bad_addresses_and_cursors_are_422(client: TestClient, filled: Filled) -> None:
    for bad in ("0x12", "0x" + "g" * 40, "ab" * 21):
        assert invalid_fields(client, f"/v1/accounts/{bad}/holdings") == ["path.address"]
    url = f"/v1/accounts/{filled.alice.account}/holdings"
    assert invalid_fields(client, url, limit=0) == ["query.limit"]
    custody = get(client, f"/v1/accounts/{filled.custody}/holdings", limit=1)
    # a cursor of one account's holdings does not page another's
    assert invalid_fields(client, url, cursor=custody["next_cursor"]) == ["query.cursor"]
