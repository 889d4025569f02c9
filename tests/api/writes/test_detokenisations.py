"""``POST /v1/detokenisations``: a holder returns credits to the registry, by quantity or exact
serials; every refusal is answered before a transaction is spent."""

from __future__ import annotations

from chain.domain import RangeState
from tests.api.conftest import Api
from tests.api.writes.conftest import FIRST, Holding

REFERENCE = "VCS-RETURN-2026-0042"


def _body(batch: int, **fields: object) -> dict[str, object]:
    return {"batch_id": batch, "registry_reference": REFERENCE} | fields


def test_a_quantity_returns_the_lowest_serials_and_reads_at_once(api: Api, held: Holding) -> None:
    answer = api.post("/v1/detokenisations", held.holder, _body(held.batch, quantity=25))
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert data["holder"] == held.holder.address and data["quantity"] == 25
    assert data["ranges"] == [{"first_serial": FIRST, "last_serial": FIRST + 24}]
    assert data["registry_reference"] == REFERENCE and data["status"] == "confirmed"
    assert api.ledger.admin.batch(held.batch).detokenised == 25
    # Read-your-writes: the store already holds it.
    batch = api.client.get(f"/v1/batches/{held.batch}").json()
    assert batch["totals"]["detokenised"] == 25 and batch["totals"]["held"] == 400
    status = api.client.get(f"/v1/requests/{data['request_id']}", headers=held.holder.headers)
    assert status.json()["kind"] == "detokenisation" and status.json()["status"] == "confirmed"


def test_exact_serials_return_exactly(api: Api, held: Holding) -> None:
    body = _body(held.batch, first_serial=FIRST + 10, last_serial=FIRST + 19)
    answer = api.post("/v1/detokenisations", held.holder, body)
    assert answer.status_code == 201, answer.text
    status = api.ledger.admin.serial_status(held.batch, FIRST + 15)
    assert status.state == RangeState.DETOKENISED
    assert api.ledger.admin.serial_status(held.batch, FIRST + 9).state == RangeState.HELD


def test_a_retry_with_its_idempotency_key_returns_once(api: Api, held: Holding) -> None:
    body = _body(held.batch, quantity=3)
    first = api.post("/v1/detokenisations", held.holder, body, **{"Idempotency-Key": "d-1"})
    again = api.post("/v1/detokenisations", held.holder, body, **{"Idempotency-Key": "d-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert api.ledger.admin.batch(held.batch).detokenised == 3


def test_refusals_spend_nothing(api: Api, held: Holding) -> None:
    admin = api.ledger.admin
    wrong_scope = api.post("/v1/detokenisations", held.issuer, _body(held.batch, quantity=1))
    assert wrong_scope.status_code == 403 and "holder" in wrong_scope.json()["detail"]
    not_held = api.post("/v1/detokenisations", held.other, _body(held.batch, quantity=1))
    assert not_held.status_code == 409 and not_held.json()["error"] == "InsufficientCredits"
    assert not_held.json()["held"] == 0
    too_many = api.post("/v1/detokenisations", held.holder, _body(held.batch, quantity=426))
    assert too_many.status_code == 409 and too_many.json()["held"] == 425
    unknown = api.post("/v1/detokenisations", held.holder, _body(99, quantity=1))
    assert unknown.status_code == 422 and unknown.json()["error"] == "UnknownBatch"
    blank = api.post(
        "/v1/detokenisations", held.holder, _body(held.batch, quantity=1, registry_reference=" ")
    )
    assert blank.status_code == 422
    assert [e["field"] for e in blank.json()["errors"]] == ["registry_reference"]
    admin.set_batch_frozen(held.batch, True)
    frozen = api.post("/v1/detokenisations", held.holder, _body(held.batch, quantity=1))
    assert frozen.status_code == 409 and frozen.json()["error"] == "BatchFrozen"
    admin.set_batch_frozen(held.batch, False)
    admin.pause()
    paused = api.post("/v1/detokenisations", held.holder, _body(held.batch, quantity=1))
    assert paused.status_code == 409 and paused.json()["error"] == "EnforcedPause"
    admin.unpause()
    assert admin.batch(held.batch).detokenised == 0
