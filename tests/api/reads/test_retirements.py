"""GET /v1/retirements/{id} and GET /v1/retirements (filters, pagination)."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from chain import registries
from chain.store import schema as s
from tests.api.reads.conftest import BENEFICIARY, Filled
from tests.api.reads.support import get, invalid_fields, walk


def test_a_retirement_in_full(client: TestClient, filled: Filled) -> None:
    f = filled.first
    body = get(client, f"/v1/retirements/{filled.retirements[0]}")
    assert body["batch_id"] == filled.batch and body["program"] == "VCS"
    assert body["holder"] == body["actor"] == filled.alice.account.lower()
    assert (body["first_serial"], body["last_serial"], body["quantity"]) == (f + 100, f + 149, 50)
    # The exact serials, also as Verra writes them: the batch's serial with these numbers.
    batch_serial = get(client, f"/v1/batches/{filled.batch}")["registry_serial"]
    retired = registries.parse("VCS", batch_serial).with_range(f + 100, f + 149).text()
    assert body["serial_ranges"] == [
        {
            "first_serial": f + 100,
            "last_serial": f + 149,
            "quantity": 50,
            "registry_serial": retired,
        }
    ]
    assert body["beneficiary"] == BENEFICIARY
    assert (body["purpose"], body["jurisdiction"]) == ("voluntary", "CH")
    assert body["consumption_period"] == {"start": "2024-01-01", "end": "2024-12-31"}
    assert body["note"] == "read-route test" and body["mirrored"] is False
    assert body["certificate_url"] == f"/v1/retirements/{filled.retirements[0]}/certificate"
    receipt = filled.env.chain.w3.eth.get_transaction_receipt(body["tx_hash"])
    assert receipt["blockNumber"] == body["block_number"]
    v = body["verification"]
    assert v["chain_id"] == filled.env.chain.w3.eth.chain_id
    assert v["contract"] == filled.env.deployment.address.lower()
    assert v["block_hash"] == "0x" + bytes(receipt["blockHash"]).hex()
    assert v["audit_seq"] == body["seq"] and v["audit_head"].startswith("0x")
    logged = [log for log in receipt["logs"] if log["logIndex"] == v["log_index"]]
    assert int.from_bytes(bytes(logged[0]["topics"][1])) == body["seq"]
    corsia = get(client, f"/v1/retirements/{filled.retirements[1]}")
    assert (corsia["purpose"], corsia["jurisdiction"], corsia["consumption_period"]) == (
        "corsia",
        None,
        None,
    )


def test_list_and_filters(client: TestClient, store: Engine, filled: Filled) -> None:
    t = s.retirements
    with store.connect() as conn:
        every = [int(i) for i in conn.execute(sa.select(t.c.id).order_by(t.c.id)).scalars()]
        custody = [
            int(i)
            for i in conn.execute(
                sa.select(t.c.id).where(t.c.holder == filled.custody.lower()).order_by(t.c.id)
            ).scalars()
        ]
    assert [x["id"] for x in walk(client, "/v1/retirements", limit=13)] == every
    assert len(every) > 190  # the registries' own retirements, mirrored
    by_batch = walk(client, "/v1/retirements", batch_id=filled.batch)
    assert [x["id"] for x in by_batch] == filled.retirements
    by_holder = walk(client, "/v1/retirements", holder=filled.alice.account, limit=1)
    assert [x["id"] for x in by_holder] == filled.retirements
    assert [x["id"] for x in walk(client, "/v1/retirements", holder=filled.custody, limit=50)] == (
        custody
    )
    named = walk(client, "/v1/retirements", beneficiary=BENEFICIARY)
    assert [x["id"] for x in named] == filled.retirements[:1]
    assert walk(client, "/v1/retirements", beneficiary="nobody at all") == []


def test_unknown_retirement_is_404_and_bad_input_422(client: TestClient) -> None:
    assert "retirement 999999" in get(client, "/v1/retirements/999999", 404)["detail"]
    assert invalid_fields(client, "/v1/retirements/-1") == ["path.id"]
    assert invalid_fields(client, "/v1/retirements", batch_id=0) == ["query.batch_id"]
    assert invalid_fields(client, "/v1/retirements", holder="bob") == ["query.holder"]
    assert invalid_fields(client, "/v1/retirements", beneficiary="") == ["query.beneficiary"]
    assert invalid_fields(client, "/v1/retirements", limit=501, batch_id="x") == [
        "query.batch_id",
        "query.limit",
    ]
