"""Pool writes through the API (custodial keys, read-your-writes): a deposit of exact serials
answers the units and the registry serial; a redemption the exact serials returned; a
retirement one retirement per range with its registry serial and certificate, which its
status URL (``GET /v1/requests/{id}``) and a replay name as its 201 did; and each
hostile request refused before any transaction: an ineligible batch (the rule in words), an
unknown pool, units over the balance, a non-allowlisted unit recipient, a range the pool does
not hold, an overlapping or foreign deposit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from chain.domain import Label, PoolRules
from tests.api.conftest import Api, verra_serial
from tests.api.writes.conftest import FIRST, Holding


@dataclass
class Pools:
    open: int
    """VCS, vintage from 2016, CORSIA eligible required: the held batch (2020) is eligible."""
    late: int
    """VCS, vintage from 2021: the held batch is not."""


@pytest.fixture
def pools(api: Api, held: Holding) -> Pools:
    api.ledger.nonces.reset()  # the API sent as the fixture's admin: its nonce moved on
    admin = api.ledger.admin
    admin.grant_role(admin.role("POOL_ADMIN_ROLE"), admin.account)
    vcs = frozenset({api.ledger.vcs})
    corsia = PoolRules(vcs, dt.date(2016, 1, 1), None, Label.CORSIA_ELIGIBLE)
    open_id, _ = admin.create_pool("CORSIA pool", "CRS", corsia)
    late_id, _ = admin.create_pool("Recent pool", "NEW", PoolRules(vcs, dt.date(2021, 1, 1)))
    api.index()
    return Pools(open_id, late_id)


def deposit(api: Api, held: Holding, pool: int, first: int, last: int) -> dict[str, object]:
    body = {"batch_id": held.batch, "first_serial": first, "last_serial": last}
    answer = api.post(f"/v1/pools/{pool}/deposits", held.holder, body)
    assert answer.status_code == 201, answer.text
    result: dict[str, object] = answer.json()
    return result


def test_a_deposit_mints_units_for_exact_serials(api: Api, held: Holding, pools: Pools) -> None:
    body = deposit(api, held, pools.open, FIRST + 10, FIRST + 109)
    assert body["units"] == 100 and body["status"] == "confirmed"
    assert body["registry_serial"] == verra_serial(FIRST + 10, FIRST + 109)
    units = api.client.get(f"/v1/accounts/{held.holder.address}/pool-units").json()["items"]
    assert [(u["pool_id"], u["units"]) for u in units] == [(pools.open, 100)]
    assert api.client.get(f"/v1/pools/{pools.open}").json()["supply"] == 100


def test_a_deposit_by_quantity_takes_the_lowest_serials(
    api: Api, held: Holding, pools: Pools
) -> None:
    answer = api.post(
        f"/v1/pools/{pools.open}/deposits", held.holder, {"batch_id": held.batch, "quantity": 5}
    )
    assert answer.status_code == 201, answer.text
    assert (answer.json()["first_serial"], answer.json()["last_serial"]) == (FIRST, FIRST + 4)


def test_an_ineligible_batch_is_refused_with_the_rule_in_words(
    api: Api, held: Holding, pools: Pools
) -> None:
    body = {"batch_id": held.batch, "first_serial": FIRST, "last_serial": FIRST + 9}
    answer = api.post(f"/v1/pools/{pools.late}/deposits", held.holder, body)
    assert answer.status_code == 409, answer.text
    problem = answer.json()
    assert answer.headers["content-type"] == "application/problem+json"
    assert problem["error"] == "PoolIneligible" and problem["rule"] == "vintage_from"
    assert (
        "vintage 2020-01-01 is before the pool's window, which opens on 2021-01-01"
        in (problem["detail"])
    )
    assert api.ledger.admin.pool(pools.late).supply == 0


def test_a_deposit_into_an_unknown_pool_is_404(api: Api, held: Holding, pools: Pools) -> None:
    body = {"batch_id": held.batch, "first_serial": FIRST, "last_serial": FIRST}
    answer = api.post("/v1/pools/99/deposits", held.holder, body)
    assert answer.status_code == 404 and "pool 99" in answer.json()["detail"]


def test_a_deposit_of_serials_not_held_is_409(api: Api, held: Holding, pools: Pools) -> None:
    body = {"batch_id": held.batch, "first_serial": FIRST, "last_serial": FIRST + 9}
    answer = api.post(f"/v1/pools/{pools.open}/deposits", held.other, body)
    assert answer.status_code == 409 and answer.json()["error"] == "InsufficientCredits"


@pytest.mark.parametrize(
    "body",
    [
        {"units": 0},
        {"units": -1},
        {"units": "ten"},
        {"units": 1, "range": {"batch_id": 0, "last_serial": 1}},
        {"units": 1, "extra": True},
    ],
)
def test_a_malformed_redemption_is_422(
    api: Api, held: Holding, pools: Pools, body: dict[str, object]
) -> None:
    answer = api.post(f"/v1/pools/{pools.open}/redemptions", held.holder, body)
    assert answer.status_code == 422, answer.text


def test_redeeming_gives_back_the_oldest_serials(api: Api, held: Holding, pools: Pools) -> None:
    deposit(api, held, pools.open, FIRST + 200, FIRST + 299)
    deposit(api, held, pools.open, FIRST, FIRST + 49)
    answer = api.post(f"/v1/pools/{pools.open}/redemptions", held.holder, {"units": 60})
    assert answer.status_code == 201, answer.text
    ranges = answer.json()["ranges"]
    # Same batch: lowest serial first, across the two deposits.
    assert [(r["first_serial"], r["last_serial"]) for r in ranges] == [
        (FIRST, FIRST + 49),
        (FIRST + 200, FIRST + 209),
    ]
    assert ranges[0]["registry_serial"] == verra_serial(FIRST, FIRST + 49)
    assert api.ledger.admin.pool(pools.open).supply == 90


def test_redeeming_from_a_named_range(api: Api, held: Holding, pools: Pools) -> None:
    deposit(api, held, pools.open, FIRST, FIRST + 49)
    deposit(api, held, pools.open, FIRST + 200, FIRST + 299)
    named = {"batch_id": held.batch, "last_serial": FIRST + 299}
    answer = api.post(
        f"/v1/pools/{pools.open}/redemptions", held.holder, {"units": 10, "range": named}
    )
    assert answer.status_code == 201, answer.text
    assert [(r["first_serial"], r["last_serial"]) for r in answer.json()["ranges"]] == [
        (FIRST + 200, FIRST + 209)
    ]


def test_redeeming_a_range_the_pool_does_not_hold_is_refused(
    api: Api, held: Holding, pools: Pools
) -> None:
    deposit(api, held, pools.open, FIRST, FIRST + 49)
    named = {"batch_id": held.batch, "last_serial": FIRST + 48}
    answer = api.post(
        f"/v1/pools/{pools.open}/redemptions", held.holder, {"units": 1, "range": named}
    )
    assert answer.status_code in (409, 422), answer.text
    assert answer.json()["error"] == "UnknownPoolRange"


def test_units_over_the_balance_are_409_naming_it(api: Api, held: Holding, pools: Pools) -> None:
    deposit(api, held, pools.open, FIRST, FIRST + 9)
    for path, extra in (
        ("redemptions", {}),
        ("retirements", {"beneficiary": "Acme", "purpose": "voluntary"}),
        ("transfers", {"to": held.other.address}),
    ):
        answer = api.post(f"/v1/pools/{pools.open}/{path}", held.holder, {"units": 11, **extra})
        assert answer.status_code == 409, (path, answer.text)
        assert answer.json()["error"] == "InsufficientPoolUnits"
        assert "holds 10 units" in answer.json()["detail"], answer.text


def test_a_retirement_names_each_range_in_registry_format(
    api: Api, held: Holding, pools: Pools
) -> None:
    deposit(api, held, pools.open, FIRST + 100, FIRST + 119)
    deposit(api, held, pools.open, FIRST, FIRST + 9)
    body = {
        "units": 15,
        "beneficiary": "Fluggesellschaft 航空",
        "purpose": "corsia",
        "jurisdiction": "DE",
        "consumption_period": {"start": "2024-01-01", "end": "2024-12-31"},
        "note": "pool retirement",
    }
    answer = api.post(f"/v1/pools/{pools.open}/retirements", held.holder, body)
    assert answer.status_code == 201, answer.text
    out = answer.json()
    assert out["units"] == 15 and out["beneficiary"] == "Fluggesellschaft 航空"
    spans = [(r["first_serial"], r["last_serial"]) for r in out["retirements"]]
    assert spans == [(FIRST, FIRST + 9), (FIRST + 100, FIRST + 104)]
    for r in out["retirements"]:
        assert r["registry_serial"] == verra_serial(r["first_serial"], r["last_serial"])
        cert = api.client.get(r["certificate_url"], headers={"Accept": "application/json"})
        assert cert.status_code == 200, cert.text
        assert r["registry_serial"] in cert.text
        assert cert.json()["beneficiary"] == "Fluggesellschaft 航空"


def test_the_status_of_a_pool_retirement_names_the_registry_serials_its_201_named(
    api: Api, held: Holding, pools: Pools
) -> None:
    deposit(api, held, pools.open, FIRST, FIRST + 19)
    body = {"units": 15, "beneficiary": "Demo Airways", "purpose": "voluntary"}
    answer = api.post(f"/v1/pools/{pools.open}/retirements", held.holder, body)
    assert answer.status_code == 201, answer.text
    out = answer.json()
    assert out["retirements"][0]["registry_serial"] == verra_serial(FIRST, FIRST + 14)
    status = api.client.get(f"/v1/requests/{out['request_id']}", headers=held.holder.headers)
    assert status.status_code == 200, status.text
    assert status.json()["status"] == "confirmed" and status.json()["result"] == out


def test_a_pool_write_answered_202_reads_and_replays_with_its_registry_serials(
    api: Api, held: Holding, pools: Pools
) -> None:
    """The settlement stores the body the pipeline made (numbers only) for the status URL and
    the Idempotency-Key; once the store holds its block both name the registry serials."""
    deposit(api, held, pools.open, FIRST, FIRST + 19)
    api.services.settings.confirm_timeout_s = 0.5
    body, key = {"units": 10}, {"Idempotency-Key": "pool-redemption"}
    with api.indexer_paused():
        answer = api.post(f"/v1/pools/{pools.open}/redemptions", held.holder, body, **key)
        assert answer.status_code == 202 and answer.json()["status"] == "indexing", answer.text
        url = answer.json()["status_url"]
        indexing = api.client.get(url, headers=held.holder.headers).json()
        assert indexing["status"] == "indexing"  # the store cannot name them yet: numbers only
        assert [set(r) for r in indexing["result"]["ranges"]] == [
            {"batch_id", "first_serial", "last_serial", "quantity"}
        ]
    api.index()
    status = api.client.get(url, headers=held.holder.headers).json()
    assert status["status"] == "confirmed"
    named = [{"batch_id": held.batch, "first_serial": FIRST, "last_serial": FIRST + 9,
              "quantity": 10, "registry_serial": verra_serial(FIRST, FIRST + 9)}]  # fmt: skip
    assert status["result"]["ranges"] == named
    again = api.post(f"/v1/pools/{pools.open}/redemptions", held.holder, body, **key)
    assert again.status_code == 201 and again.json() == status["result"]  # acted once


def test_units_go_only_to_allowlisted_accounts(api: Api, held: Holding, pools: Pools) -> None:
    deposit(api, held, pools.open, FIRST, FIRST + 9)
    stranger = "0x" + "5e" * 20
    answer = api.post(
        f"/v1/pools/{pools.open}/transfers", held.holder, {"to": stranger, "units": 1}
    )
    assert answer.status_code == 409, answer.text
    assert "is not allowlisted" in answer.json()["detail"]
    answer = api.post(
        f"/v1/pools/{pools.open}/transfers", held.holder, {"to": held.other.address, "units": 4}
    )
    assert answer.status_code == 201, answer.text
    units = api.client.get(f"/v1/accounts/{held.other.address}/pool-units").json()["items"]
    assert [(u["pool_id"], u["units"]) for u in units] == [(pools.open, 4)]


def test_an_issuer_key_cannot_write_to_a_pool(api: Api, held: Holding, pools: Pools) -> None:
    answer = api.post(f"/v1/pools/{pools.open}/redemptions", held.issuer, {"units": 1})
    assert answer.status_code == 403, answer.text


def test_without_a_key_a_pool_write_is_401(api: Api, held: Holding, pools: Pools) -> None:
    assert api.post(f"/v1/pools/{pools.open}/redemptions", None, {"units": 1}).status_code == 401
