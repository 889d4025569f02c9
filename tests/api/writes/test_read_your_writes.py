"""Read your writes: a 201 is answered once the query store holds the write's block, so every
resource it returns reads at once; a write the store does not hold in time is a 202
``indexing`` whose status URL says ``confirmed`` only once the store has it.

The indexer runs beside the API as in ``serve`` (tests/api/conftest.py); ``indexer_paused``
holds the store where it is, as a lagging indexer would."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, Key, issuance_body

FIRST = 941467007


def _held(api: Api, key: Key, batch_id: int) -> int:
    answer = api.client.get(f"/v1/accounts/{key.address}/holdings")
    assert answer.status_code == 200, answer.text
    return sum(item["held"] for item in answer.json()["items"] if item["batch_id"] == batch_id)


def _retire(batch_id: int, quantity: int) -> dict[str, Any]:
    return {
        "batch_id": batch_id,
        "quantity": quantity,
        "beneficiary": "Hilti Corporation",
        "purpose": "voluntary",
    }


def test_every_resource_a_201_returns_reads_at_once(api: Api) -> None:
    issuer, holder, other = api.key("issuer", "VCS"), api.key("holder"), api.key("holder")
    issued = api.post("/v1/issuances", issuer, issuance_body(holder.address or ""))
    assert issued.status_code == 201, issued.text
    batch_id = issued.json()["batch_id"]
    batch = api.client.get(f"/v1/batches/{batch_id}")
    assert batch.status_code == 200, batch.text
    assert _held(api, holder, batch_id) == 425

    moved = api.post(
        "/v1/transfers", holder, {"batch_id": batch_id, "to": other.address, "quantity": 25}
    )
    assert moved.status_code == 201, moved.text
    assert (_held(api, holder, batch_id), _held(api, other, batch_id)) == (400, 25)

    retired = api.post("/v1/retirements", holder, _retire(batch_id, 100))
    assert retired.status_code == 201, retired.text
    data = retired.json()
    for accept in ("text/html", "application/json", "application/pdf"):
        certificate = api.client.get(data["certificate_url"], headers={"Accept": accept})
        assert certificate.status_code == 200, (accept, certificate.text[:200])
    assert api.client.get(f"/v1/retirements/{data['id']}").status_code == 200
    assert _held(api, holder, batch_id) == 300
    status = api.client.get(f"/v1/requests/{data['request_id']}", headers=holder.headers).json()
    assert status["status"] == "confirmed" and status["result"]["id"] == data["id"]


def test_a_write_the_store_does_not_hold_in_time_is_202_indexing_until_it_does(api: Api) -> None:
    issuer, holder = api.key("issuer", "VCS"), api.key("holder")
    api.services.settings.confirm_timeout_s = 0.5
    with api.indexer_paused():
        answer = api.post(
            "/v1/issuances", issuer, issuance_body(holder.address or ""), **{"Idempotency-Key": "a"}
        )
        assert answer.status_code == 202, answer.text
        data = answer.json()
        assert data["status"] == "indexing" and data["tx_hash"] and data["block_number"]
        assert answer.headers["location"] == data["status_url"]
        assert api.ledger.admin.batch_count() == 1  # mined: only the store is behind
        status = api.client.get(data["status_url"], headers=issuer.headers).json()
        assert status["status"] == "indexing" and status["block_number"] == data["block_number"]
        assert api.client.get("/v1/batches/1").status_code == 404  # what a 201 would have hidden
        retry = api.post(
            "/v1/issuances", issuer, issuance_body(holder.address or ""), **{"Idempotency-Key": "a"}
        )
        assert retry.status_code == 202 and retry.json()["status"] == "indexing"  # not yet either
    api.index()
    status = api.client.get(data["status_url"], headers=issuer.headers).json()
    assert status["status"] == "confirmed" and status["result"]["batch_id"] == 1
    assert api.client.get("/v1/batches/1").status_code == 200
    again = api.post(
        "/v1/issuances", issuer, issuance_body(holder.address or ""), **{"Idempotency-Key": "a"}
    )
    assert again.status_code == 201 and again.json()["batch_id"] == 1  # acted once
