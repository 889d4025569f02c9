"""``Idempotency-Key``: a retry with the same key and body gets the first response and acts
once; another body is 422; a duplicate while the first still runs is 409; keys are per API
key."""

from __future__ import annotations

import asyncio

import httpx
import sqlalchemy as sa

from api import tables
from tests.api.conftest import Api, issuance_body


def test_a_retry_gets_the_first_response_and_acts_once(api: Api) -> None:
    issuer, holder = api.key("issuer", "VCS"), api.key("holder")
    body = issuance_body(holder.address or "")
    first = api.post("/v1/issuances", issuer, body, **{"Idempotency-Key": "bridge-19385"})
    assert first.status_code == 201, first.text
    # Same body written differently (key order, spacing) is the same request.
    reordered = dict(reversed(list(body.items())))
    again = api.post("/v1/issuances", issuer, reordered, **{"Idempotency-Key": "bridge-19385"})
    assert again.status_code == 201
    assert again.json() == first.json()
    assert api.ledger.admin.batch_count() == 1


def test_a_refusal_is_replayed_too(api: Api) -> None:
    issuer, holder = api.key("issuer", "VCS"), api.key("holder")
    body = {"batch_id": 7, "to": issuer.address, "quantity": 1}
    first = api.post("/v1/transfers", holder, body, **{"Idempotency-Key": "t-1"})
    again = api.post("/v1/transfers", holder, body, **{"Idempotency-Key": "t-1"})
    assert first.status_code == again.status_code == 422
    assert again.json() == first.json()


def test_the_same_key_with_another_body_is_422(api: Api) -> None:
    issuer, holder = api.key("issuer", "VCS"), api.key("holder")
    headers = {"Idempotency-Key": "k"}
    assert (
        api.post(
            "/v1/issuances", issuer, issuance_body(holder.address or ""), **headers
        ).status_code
        == 201
    )
    other = api.post("/v1/issuances", issuer, issuance_body(holder.address or "", 1, 10), **headers)
    assert other.status_code == 422, other.text
    assert other.json()["type"].endswith("idempotency-key-reused")
    assert api.ledger.admin.batch_count() == 1
    # On another endpoint too.
    elsewhere = api.post(
        "/v1/transfers", holder, {"batch_id": 1, "to": issuer.address, "quantity": 1}, **headers
    )
    assert elsewhere.status_code == 201  # a different API key: its own space of keys


def test_keys_are_scoped_per_api_key(api: Api) -> None:
    one, two, holder = api.key("issuer", "VCS"), api.key("issuer", "VCS"), api.key("holder")
    a = api.post(
        "/v1/issuances",
        one,
        issuance_body(holder.address or "", 1, 10),
        **{"Idempotency-Key": "same"},
    )
    b = api.post(
        "/v1/issuances",
        two,
        issuance_body(holder.address or "", 11, 20),
        **{"Idempotency-Key": "same"},
    )
    assert (a.status_code, b.status_code) == (201, 201)
    assert api.ledger.admin.batch_count() == 2


def test_a_concurrent_duplicate_is_409_while_the_first_runs(api: Api) -> None:
    issuer, holder = api.key("issuer", "VCS"), api.key("holder")
    body = issuance_body(holder.address or "")
    headers = issuer.headers | {"Idempotency-Key": "dup"}
    transport = httpx.ASGITransport(app=api.client.app)

    async def scenario() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            first = asyncio.create_task(client.post("/v1/issuances", json=body, headers=headers))
            # The first is signed and sent, but nothing is mined until we say so.
            while api.chain.pipeline.confirmer.tracked == 0:
                await asyncio.sleep(0.01)
            duplicate = await client.post("/v1/issuances", json=body, headers=headers)
            api.mine()
            done = await first
            replay = await client.post("/v1/issuances", json=body, headers=headers)
            return done, duplicate, replay

    with api.mining_paused():
        done, duplicate, replay = asyncio.run(scenario())
    assert duplicate.status_code == 409, duplicate.text
    assert duplicate.json()["type"].endswith("idempotency-key-in-use")
    assert done.status_code == 201
    assert replay.status_code == 201 and replay.json() == done.json()
    assert api.ledger.admin.batch_count() == 1


def test_a_created_key_is_replayed_to_its_creator_only(api: Api) -> None:
    headers = api.admin | {"Idempotency-Key": "new-auditor"}
    first = api.client.post("/v1/keys", json={"role": "auditor"}, headers=headers)
    again = api.client.post("/v1/keys", json={"role": "auditor"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    secret = first.json()["key"]
    with api.services.engine.connect() as conn:
        stored = conn.execute(sa.select(tables.idempotency_keys.c.response)).scalars().all()
        keys = conn.execute(sa.select(sa.func.count()).select_from(tables.api_keys)).scalar_one()
    assert keys == 1
    assert all(secret not in text for text in stored)  # sealed, never stored in the clear


def test_a_bad_idempotency_key_is_422(api: Api) -> None:
    issuer = api.key("issuer", "VCS")
    answer = api.post("/v1/issuances", issuer, {}, **{"Idempotency-Key": "x" * 300})
    assert answer.status_code == 422
