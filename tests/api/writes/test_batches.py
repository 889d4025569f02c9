"""``PUT /v1/batches/{id}/frozen`` (compliance) and ``PUT /v1/batches/{id}/labels`` (the
batch's programme admin): the flow, read at once, and each refusal before a transaction."""

from __future__ import annotations

from chain.domain import Label
from tests.api.conftest import Api
from tests.api.writes.conftest import Holding


def test_compliance_freezes_and_unfreezes_a_batch(api: Api, held: Holding) -> None:
    compliance = api.key("compliance")
    path = f"/v1/batches/{held.batch}/frozen"
    answer = api.client.put(path, json={"frozen": True}, headers=compliance.headers)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["batch_id"] == held.batch and data["frozen"] is True
    assert data["status"] == "confirmed" and data["tx_hash"].startswith("0x")
    assert api.ledger.admin.batch(held.batch).frozen
    assert api.client.get(f"/v1/batches/{held.batch}").json()["frozen"] is True  # read at once
    moved = api.post(
        "/v1/transfers",
        held.holder,
        {"batch_id": held.batch, "to": held.other.address, "quantity": 1},
    )
    assert moved.status_code == 409 and moved.json()["error"] == "BatchFrozen"
    thawed = api.client.put(path, json={"frozen": False}, headers=compliance.headers)
    assert thawed.status_code == 200 and thawed.json()["frozen"] is False
    assert not api.ledger.admin.batch(held.batch).frozen


def test_a_retried_freeze_replays_its_answer(api: Api, held: Holding) -> None:
    compliance = api.key("compliance")
    headers = compliance.headers | {"Idempotency-Key": "freeze-1"}
    path = f"/v1/batches/{held.batch}/frozen"
    first = api.client.put(path, json={"frozen": True}, headers=headers)
    again = api.client.put(path, json={"frozen": True}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()


def test_freezing_refusals(api: Api, held: Holding) -> None:
    path = f"/v1/batches/{held.batch}/frozen"
    for key in (held.issuer, held.holder, api.key("program_admin", "VCS"), api.key("auditor")):
        refused = api.client.put(path, json={"frozen": True}, headers=key.headers)
        assert refused.status_code == 403, refused.text
    assert api.client.put(path, json={"frozen": True}).status_code == 401
    compliance = api.key("compliance")
    unknown = api.client.put(
        "/v1/batches/99/frozen", json={"frozen": True}, headers=compliance.headers
    )
    assert unknown.status_code == 422 and unknown.json()["error"] == "UnknownBatch"
    bad = api.client.put(path, json={"frozen": "yes please"}, headers=compliance.headers)
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["frozen"]
    assert not api.ledger.admin.batch(held.batch).frozen


def test_the_programme_admin_sets_a_batchs_labels(api: Api, held: Holding) -> None:
    admin = api.key("program_admin", "VCS")
    path = f"/v1/batches/{held.batch}/labels"
    labels = ["corresponding_adjustment", "corsia_eligible"]
    answer = api.client.put(path, json={"labels": labels}, headers=admin.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["labels"] == ["corsia_eligible", "corresponding_adjustment"]
    on_chain = api.ledger.admin.batch(held.batch).labels
    assert on_chain == Label.CORSIA_ELIGIBLE | Label.CORRESPONDING_ADJUSTMENT
    read = api.client.get(f"/v1/batches/{held.batch}").json()
    assert read["labels"] == ["corsia_eligible", "corresponding_adjustment"]


def test_labelling_refusals(api: Api, held: Holding) -> None:
    path = f"/v1/batches/{held.batch}/labels"
    body = {"labels": ["ccp_approved"]}
    for key in (held.issuer, held.holder, api.key("compliance")):
        refused = api.client.put(path, json=body, headers=key.headers)
        assert refused.status_code == 403, refused.text
    gs = api.key("program_admin", "GS")
    other = api.client.put(path, json=body, headers=gs.headers)
    assert other.status_code == 403
    assert (
        "programme VCS" in other.json()["detail"] and "program-admin:GS" in other.json()["detail"]
    )
    vcs = api.key("program_admin", "VCS")
    unknown = api.client.put("/v1/batches/99/labels", json=body, headers=vcs.headers)
    assert unknown.status_code == 422 and unknown.json()["error"] == "UnknownBatch"
    bad = api.client.put(path, json={"labels": ["gold_plated"]}, headers=vcs.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("labels")
    assert api.ledger.admin.batch(held.batch).labels == Label.CORSIA_ELIGIBLE


def test_a_slow_chain_gets_202_and_the_status_url_has_the_result(api: Api, held: Holding) -> None:
    compliance = api.key("compliance")
    api.services.settings.confirm_timeout_s = 0.2
    with api.mining_paused():
        answer = api.client.put(
            f"/v1/batches/{held.batch}/frozen", json={"frozen": True}, headers=compliance.headers
        )
        assert answer.status_code == 202, answer.text
        data = answer.json()
        assert answer.headers["location"] == data["status_url"]
        assert data["status"] in ("accepted", "submitted")
        api.mine()
    api.chain.pipeline.settled(data["request_id"], timeout=30)
    api.index()
    status = api.client.get(data["status_url"], headers=compliance.headers).json()
    assert status["status"] == "confirmed" and status["kind"] == "batch_setting"
    assert status["result"]["frozen"] is True and status["result"]["batch_id"] == held.batch
    assert api.ledger.admin.batch(held.batch).frozen
