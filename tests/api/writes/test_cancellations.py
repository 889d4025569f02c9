"""``POST /v1/cancellations``: an issuer cancels what its own account holds; a programme admin
any holder's credits of its programme; every refusal is answered before a transaction."""

from __future__ import annotations

import pytest

from chain.domain import RangeState
from tests.api.conftest import Api, issuance_body
from tests.api.writes.conftest import FIRST, Holding

REASON = "registry reversal 2026-117"


def _body(batch: int, **fields: object) -> dict[str, object]:
    return {"batch_id": batch, "reason": REASON} | fields


@pytest.fixture
def own(api: Api, held: Holding) -> int:
    """A batch of 50 t (serials 1..50) held by the issuer key's own account."""
    body = issuance_body(held.issuer.address or "", 1, 50)
    answer = api.post("/v1/issuances", held.issuer, body)
    assert answer.status_code == 201, answer.text
    batch: int = answer.json()["batch_id"]
    return batch


def test_an_issuer_cancels_what_its_account_holds(api: Api, held: Holding, own: int) -> None:
    answer = api.post("/v1/cancellations", held.issuer, _body(own, quantity=5))
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert data["holder"] == data["cancelled_by"] == held.issuer.address
    assert data["ranges"] == [{"first_serial": 1, "last_serial": 5}]
    assert data["reason"] == REASON and data["quantity"] == 5
    assert api.ledger.admin.batch(own).cancelled == 5
    assert api.client.get(f"/v1/batches/{own}").json()["totals"]["cancelled"] == 5
    named = _body(own, first_serial=6, last_serial=6, holder=held.issuer.address)
    assert api.post("/v1/cancellations", held.issuer, named).status_code == 201
    assert api.ledger.admin.serial_status(own, 6).state == RangeState.CANCELLED


def test_a_freeze_does_not_block_a_cancellation(api: Api, held: Holding, own: int) -> None:
    api.ledger.admin.set_batch_frozen(own, True)
    answer = api.post("/v1/cancellations", held.issuer, _body(own, quantity=1))
    assert answer.status_code == 201, answer.text


def test_an_issuer_cannot_cancel_another_holders_credits(api: Api, held: Holding) -> None:
    body = _body(held.batch, quantity=1, holder=held.holder.address)
    answer = api.post("/v1/cancellations", held.issuer, body)
    assert answer.status_code == 403
    assert "program-admin:VCS" in answer.json()["detail"]
    unnamed = api.post("/v1/cancellations", held.issuer, _body(held.batch, quantity=1))
    assert unnamed.status_code == 409 and unnamed.json()["error"] == "InsufficientCredits"
    assert api.ledger.admin.batch(held.batch).cancelled == 0


def test_a_programme_admin_cancels_a_holders_credits(api: Api, held: Holding) -> None:
    admin = api.key("program_admin", "VCS")
    body = _body(held.batch, first_serial=FIRST, last_serial=FIRST + 9, holder=held.holder.address)
    answer = api.post("/v1/cancellations", admin, body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["cancelled_by"] == admin.address
    assert api.ledger.admin.batch(held.batch).cancelled == 10


def test_a_programme_admins_refusals(api: Api, held: Holding) -> None:
    vcs, gs = api.key("program_admin", "VCS"), api.key("program_admin", "GS")
    named = _body(held.batch, quantity=1, holder=held.holder.address)
    other = api.post("/v1/cancellations", gs, named)
    assert other.status_code == 403
    assert (
        "programme VCS" in other.json()["detail"] and "program-admin:GS" in other.json()["detail"]
    )
    unnamed = api.post("/v1/cancellations", vcs, _body(held.batch, quantity=1))
    assert unnamed.status_code == 422
    assert [e["field"] for e in unnamed.json()["errors"]] == ["holder"]
    unknown = api.post("/v1/cancellations", vcs, _body(99, quantity=1, holder=held.holder.address))
    assert unknown.status_code == 422 and unknown.json()["error"] == "UnknownBatch"
    assert api.ledger.admin.batch(held.batch).cancelled == 0


def test_refusals_of_the_ledger_and_of_scope(api: Api, held: Holding, own: int) -> None:
    admin = api.ledger.admin
    for key in (held.holder, api.key("compliance")):
        refused = api.post("/v1/cancellations", key, _body(own, quantity=1))
        assert refused.status_code == 403, refused.text
    unknown = api.post("/v1/cancellations", held.issuer, _body(99, quantity=1))
    assert unknown.status_code == 422 and unknown.json()["error"] == "UnknownBatch"
    too_many = api.post("/v1/cancellations", held.issuer, _body(own, quantity=51))
    assert too_many.status_code == 409 and too_many.json()["held"] == 50
    blank = api.post("/v1/cancellations", held.issuer, _body(own, quantity=1, reason=""))
    assert blank.status_code == 422 and [e["field"] for e in blank.json()["errors"]] == ["reason"]
    admin.pause()
    paused = api.post("/v1/cancellations", held.issuer, _body(own, quantity=1))
    assert paused.status_code == 409 and paused.json()["error"] == "EnforcedPause"
    admin.unpause()
    assert admin.batch(own).cancelled == 0
