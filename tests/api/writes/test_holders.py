"""``POST /v1/transfers`` and ``POST /v1/retirements`` (custodial): quantities and exact
serials, runs, what is held when it is not enough, and the ledger's refusals as 409/422."""

from __future__ import annotations

import asyncio

import httpx

from chain.domain import Purpose, RangeState
from tests.api.conftest import Api
from tests.api.writes.conftest import FIRST, LAST, Holding


def _retire(**fields: object) -> dict[str, object]:
    return {"beneficiary": "Hilti Corporation", "purpose": "voluntary"} | fields


def test_a_quantity_moves_the_lowest_serials(api: Api, held: Holding) -> None:
    answer = api.post(
        "/v1/transfers",
        held.holder,
        {"batch_id": held.batch, "to": held.other.address, "quantity": 100},
    )
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert data["ranges"] == [{"first_serial": FIRST, "last_serial": FIRST + 99}]
    assert (data["from"], data["to"], data["quantity"]) == (
        held.holder.address,
        held.other.address,
        100,
    )
    assert api.ledger.admin.balance_of(held.other.address or "", held.batch) == 100


def test_exact_serials_move_exactly(api: Api, held: Holding) -> None:
    body = {
        "batch_id": held.batch,
        "to": held.other.address,
        "first_serial": FIRST + 10,
        "last_serial": FIRST + 19,
    }
    answer = api.post("/v1/transfers", held.holder, body)
    assert answer.status_code == 201, answer.text
    status = api.ledger.admin.serial_status(held.batch, FIRST + 15)
    assert status.holder.lower() == held.other.address and (status.first, status.last) == (
        FIRST + 10,
        FIRST + 19,
    )


def test_a_quantity_over_several_runs_is_one_transaction(api: Api, held: Holding) -> None:
    # Leave the holder three runs: FIRST..+9, +20..+29, +40..LAST.
    for first in (FIRST + 10, FIRST + 30):
        body = {
            "batch_id": held.batch,
            "to": held.other.address,
            "first_serial": first,
            "last_serial": first + 9,
        }
        assert api.post("/v1/transfers", held.holder, body).status_code == 201
    answer = api.post(
        "/v1/transfers",
        held.holder,
        {"batch_id": held.batch, "to": held.other.address, "quantity": 25},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["ranges"] == [
        {"first_serial": FIRST, "last_serial": FIRST + 9},
        {"first_serial": FIRST + 20, "last_serial": FIRST + 29},
        {"first_serial": FIRST + 40, "last_serial": FIRST + 44},
    ]
    assert api.ledger.admin.balance_of(held.other.address or "", held.batch) == 45


def test_the_store_answers_holdings_once_indexed(api: Api, held: Holding) -> None:
    api.index()
    answer = api.post(
        "/v1/transfers",
        held.holder,
        {"batch_id": held.batch, "to": held.other.address, "quantity": 7},
    )
    assert answer.status_code == 201, answer.text
    # The store is behind now (not re-indexed): the next pick checks it against the contract.
    again = api.post(
        "/v1/transfers",
        held.holder,
        {"batch_id": held.batch, "to": held.other.address, "quantity": 7},
    )
    assert again.status_code == 201, again.text
    assert again.json()["ranges"] == [{"first_serial": FIRST + 7, "last_serial": FIRST + 13}]


def test_more_than_held_is_409_naming_what_is_held(api: Api, held: Holding) -> None:
    for path, body in (
        ("/v1/transfers", {"batch_id": held.batch, "to": held.other.address, "quantity": 426}),
        ("/v1/retirements", _retire(batch_id=held.batch, quantity=426)),
        ("/v1/retirements", _retire(batch_id=held.batch, first_serial=FIRST, last_serial=LAST + 1)),
    ):
        answer = api.post(path, held.holder, body)
        assert answer.status_code == 409, answer.text
        problem = answer.json()
        assert problem["error"] == "InsufficientCredits"
        assert problem["held"] == 425
        assert problem["held_ranges"] == [{"first_serial": FIRST, "last_serial": LAST}]
        assert "425" in problem["detail"]
    other = api.post("/v1/retirements", held.other, _retire(batch_id=held.batch, quantity=1))
    assert other.status_code == 409 and other.json()["held"] == 0


def test_a_retirement_has_its_certificate_url_and_is_on_chain(api: Api, held: Holding) -> None:
    body = _retire(
        batch_id=held.batch,
        quantity=100,
        purpose="corsia",
        beneficiary="Lindblad Expeditions 北京",
        jurisdiction="NO",
        consumption_period={"start": "2025-01-01", "end": "2025-12-31"},
        note="2025 emissions",
    )
    answer = api.post("/v1/retirements", held.holder, body)
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert {
        "id",
        "batch_id",
        "first_serial",
        "last_serial",
        "quantity",
        "certificate_url",
        "tx_hash",
    } <= set(data)
    assert data["certificate_url"] == f"/v1/retirements/{data['id']}/certificate"
    assert (data["first_serial"], data["last_serial"], data["quantity"]) == (FIRST, FIRST + 99, 100)
    chain = api.ledger.admin
    assert chain.serial_status(held.batch, FIRST).state == RangeState.RETIRED
    assert chain.batch(held.batch).retired == 100
    receipt = chain.w3.eth.get_transaction_receipt(data["tx_hash"])
    retired = next(e for e in chain._result(receipt).events if e.name == "CreditsRetired")
    r = retired.fields["retirement"]
    assert (r["beneficiary"], r["purpose"], r["jurisdiction"]) == (
        "Lindblad Expeditions 北京",
        Purpose.CORSIA,
        "NO",
    )
    assert (r["consumptionStart"], r["consumptionEnd"], r["note"]) == (
        20250101,
        20251231,
        "2025 emissions",
    )


def test_one_retirement_is_one_run(api: Api, held: Holding) -> None:
    body = {
        "batch_id": held.batch,
        "to": held.other.address,
        "first_serial": FIRST + 5,
        "last_serial": FIRST + 9,
    }
    assert api.post("/v1/transfers", held.holder, body).status_code == 201
    # Runs FIRST..+4 and +10..LAST: 6 t come from the second run, whole.
    answer = api.post("/v1/retirements", held.holder, _retire(batch_id=held.batch, quantity=6))
    assert answer.status_code == 201, answer.text
    assert (answer.json()["first_serial"], answer.json()["last_serial"]) == (FIRST + 10, FIRST + 15)
    # The other holder has 5 t in one run; holding 5 + 5 in two runs, 8 t is no single run.
    back = {
        "batch_id": held.batch,
        "to": held.other.address,
        "first_serial": FIRST,
        "last_serial": FIRST + 4,
    }
    assert api.post("/v1/transfers", held.holder, back).status_code == 201
    split = api.post("/v1/retirements", held.other, _retire(batch_id=held.batch, quantity=8))
    assert split.status_code == 201, split.text  # FIRST..+9 is one run of the other holder now
    assert (
        api.post(
            "/v1/retirements", held.other, _retire(batch_id=held.batch, quantity=3)
        ).status_code
        == 409
    )


def test_the_ledgers_refusals_are_409(api: Api, held: Holding) -> None:
    admin = api.ledger.admin
    outsider = api.ledger.outsider.account
    to_outsider = api.post(
        "/v1/transfers", held.holder, {"batch_id": held.batch, "to": outsider, "quantity": 1}
    )
    assert to_outsider.status_code == 409 and to_outsider.json()["error"] == "AccountNotAllowed"
    corsia = api.post(
        "/v1/retirements", held.holder, _retire(batch_id=held.batch, quantity=1, purpose="article6")
    )
    assert corsia.status_code == 409 and corsia.json()["error"] == "LabelRequired"
    admin.set_batch_frozen(held.batch, True)
    frozen = api.post(
        "/v1/transfers",
        held.holder,
        {"batch_id": held.batch, "to": held.other.address, "quantity": 1},
    )
    assert frozen.status_code == 409 and frozen.json()["error"] == "BatchFrozen"
    admin.set_batch_frozen(held.batch, False)
    admin.pause()
    paused = api.post("/v1/retirements", held.holder, _retire(batch_id=held.batch, quantity=1))
    assert paused.status_code == 409 and paused.json()["error"] == "EnforcedPause"
    admin.unpause()
    unknown = api.post(
        "/v1/transfers", held.holder, {"batch_id": 99, "to": held.other.address, "quantity": 1}
    )
    assert unknown.status_code == 422 and unknown.json()["error"] == "UnknownBatch"
    # Refused before sending: no transaction was spent on any of them.
    assert admin.batch(held.batch).retired == 0


def test_a_transfer_to_the_keys_own_account_is_422_naming_to(api: Api, held: Holding) -> None:
    """The contract refuses it (``SelfTransfer``): it would only fragment the ranges. The API
    says so before signing anything, whatever the spelling of the address."""
    own = held.holder.address or ""
    admin = api.ledger.admin
    checksummed = admin.w3.to_checksum_address(own)
    before = admin.w3.eth.get_transaction_count(checksummed)
    spellings = [own, own.upper().replace("0X", "0x"), checksummed]
    for to in spellings:
        for amount in ({"quantity": 1}, {"first_serial": FIRST, "last_serial": FIRST + 9}):
            answer = api.post(
                "/v1/transfers", held.holder, {"batch_id": held.batch, "to": to, **amount}
            )
            assert answer.status_code == 422, (to, amount, answer.text)
            errors = answer.json()["errors"]
            assert [e["field"] for e in errors] == ["to"], errors
            assert "own account" in errors[0]["message"], errors
    assert admin.w3.eth.get_transaction_count(checksummed) == before  # nothing was sent
    assert admin.balance_of(own, held.batch) == LAST - FIRST + 1


def test_bad_holder_bodies_are_422_naming_the_field(api: Api, held: Holding) -> None:
    to = held.other.address
    cases = [
        ("/v1/transfers", {"batch_id": held.batch, "to": to}, ""),
        (
            "/v1/transfers",
            {"batch_id": held.batch, "to": to, "quantity": 1, "first_serial": 1, "last_serial": 2},
            "",
        ),
        ("/v1/transfers", {"batch_id": held.batch, "to": to, "first_serial": 5}, ""),
        (
            "/v1/transfers",
            {"batch_id": held.batch, "to": to, "first_serial": 5, "last_serial": 4},
            "",
        ),
        ("/v1/transfers", {"batch_id": held.batch, "to": to, "quantity": 0}, "quantity"),
        ("/v1/transfers", {"batch_id": 0, "to": to, "quantity": 1}, "batch_id"),
        ("/v1/transfers", {"batch_id": held.batch, "to": "nobody", "quantity": 1}, "to"),
        ("/v1/retirements", _retire(batch_id=held.batch, quantity=1, purpose="fun"), "purpose"),
        (
            "/v1/retirements",
            _retire(batch_id=held.batch, quantity=1, beneficiary=""),
            "beneficiary",
        ),
        (
            "/v1/retirements",
            _retire(
                batch_id=held.batch,
                quantity=1,
                consumption_period={"start": "2025-02-01", "end": "2025-01-01"},
            ),
            "consumption_period.end",
        ),
    ]
    for path, body, field in cases:
        answer = api.post(path, held.holder, body)
        assert answer.status_code == 422, (body, answer.text)
        assert field in [e["field"] for e in answer.json()["errors"]], (field, answer.json())


def test_concurrent_requests_on_one_holding_take_turns(api: Api, held: Holding) -> None:
    """Both pick "the lowest 10 serials": the second picks them once the first has settled,
    so both succeed, with different serials (without the turn, both would name the same)."""
    transport = httpx.ASGITransport(app=api.client.app)
    body = {"batch_id": held.batch, "to": held.other.address, "quantity": 10}

    async def scenario() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            sent = [
                asyncio.create_task(
                    client.post("/v1/transfers", json=body, headers=held.holder.headers)
                )
                for _ in range(2)
            ]
            while not all(task.done() for task in sent):
                if api.chain.pipeline.confirmer.tracked:
                    api.mine()
                await asyncio.sleep(0.01)
            return [task.result() for task in sent]

    with api.mining_paused():
        answers = asyncio.run(scenario())
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    ranges = sorted(a.json()["ranges"][0]["first_serial"] for a in answers)
    assert ranges == [FIRST, FIRST + 10]
    assert api.ledger.admin.balance_of(held.other.address or "", held.batch) == 20
