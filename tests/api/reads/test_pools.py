"""``GET /v1/pools`` and friends on a store holding two pools (``tests.api.pool_store``):
every field of a pool, its rules in words, composition four ways summing to the supply,
ranges in redeem order with cursor pages, activity with exact serials and certificates,
an account's units; hostile ids, an unknown pool, a bad ``by`` and a foreign cursor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.pool_store import HOSTILE_NAME, pool_engine
from tests.api.reads.conftest import client_for
from tests.api.reads.support import get, invalid_fields, walk
from tests.chain.indexer.pool_events import ALICE, BOB, CAROL, DAVE, POOL_NAME, TOKEN


@pytest.fixture(scope="module")
def pools(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    engine = pool_engine(tmp_path_factory.mktemp("pools"))
    yield client_for(engine)
    engine.dispose()


def test_the_list_names_every_pool_with_its_supply(pools: TestClient) -> None:
    items = get(pools, "/v1/pools")["items"]
    assert [p["id"] for p in items] == [1, 2]
    first = items[0]
    # Deposits 100 + 50 + 50; redeemed 20; retired 30 + 30.
    assert first["name"] == POOL_NAME and first["token"] == TOKEN
    assert first["supply"] == 120 and first["url"] == "/v1/pools/1"
    assert items[1]["name"] == HOSTILE_NAME and items[1]["supply"] == 101


def test_a_pool_shows_its_rules_in_codes_and_in_words(pools: TestClient) -> None:
    pool = get(pools, "/v1/pools/1")
    assert pool["tonnes_held"] == pool["supply"] == 120
    rules = pool["rules"]
    # Tightened: vintage from 2016, label 1 required, countries only (BR unlisted), types all
    # but AFOLU, methodologies all but VM0007.
    assert rules["programmes"] == ["VCS"] and rules["programme_ids"] == [1]
    assert rules["vintage_from"] == "2016-01-01" and rules["vintage_to"] is None
    assert rules["labels_required"] == ["corsia_eligible"]
    assert (rules["country_mode"], rules["project_type_mode"], rules["methodology_mode"]) == (
        "only",
        "except",
        "except",
    )
    assert rules["lists"] == {
        "countries": ["ET"],
        "project_types": ["AFOLU"],
        "methodologies": ["VM0007"],
    }
    assert rules["words"] == [
        "Programmes admitted: VCS.",
        "Vintage starting on or after 2016-01-01.",
        "Labels required: CORSIA eligible.",
        "Countries: only ET.",
        "Project types: all but AFOLU.",
        "Methodologies: all but VM0007.",
    ]
    holders = {h["account"]: h["units"] for h in pool["top_holders"]}
    assert sum(holders.values()) == 120 and set(holders) <= {ALICE, BOB, CAROL, DAVE}


@pytest.mark.parametrize("by", ["programme", "vintage", "country", "project_type"])
def test_the_composition_sums_to_the_supply(pools: TestClient, by: str) -> None:
    body = get(pools, "/v1/pools/1/composition", by=by)
    assert body["by"] == by and body["total"] == 120
    assert sum(i["tonnes"] for i in body["items"]) == 120
    assert abs(sum(i["share"] for i in body["items"]) - 1) < 1e-9


def test_the_composition_by_vintage_year(pools: TestClient) -> None:
    items = get(pools, "/v1/pools/1/composition", by="vintage")["items"]
    # Held: batch 1 serials 31..150 (2020); batch 2 all redeemed or retired.
    assert items == [{"key": "2020", "tonnes": 120, "share": 1.0}]


def test_ranges_come_in_redeem_order_and_page(pools: TestClient) -> None:
    ranges = walk(pools, "/v1/pools/2/ranges", limit=1)
    assert [(r["batch_id"], r["first_serial"], r["last_serial"]) for r in ranges] == [
        (2, 2400, 2500)
    ]
    ranges = walk(pools, "/v1/pools/1/ranges", limit=1)
    assert sum(r["quantity"] for r in ranges) == 120
    keys = [(r["vintage_start"], r["batch_id"], r["first_serial"]) for r in ranges]
    assert keys == sorted(keys)
    assert ranges[0]["country"] == "ET" and ranges[0]["labels"] == ["corsia_eligible"]


def test_activity_names_the_exact_serials_and_certificates(pools: TestClient) -> None:
    items = walk(pools, "/v1/pools/1/activity", limit=2)
    kinds = [a["kind"] for a in items]
    assert kinds.count("deposit") == 3 and kinds.count("retire") == 1
    retire = next(a for a in items if a["kind"] == "retire")
    assert retire["from_account"] == ALICE and retire["to_account"] is None
    assert [(s["batch_id"], s["first_serial"], s["last_serial"]) for s in retire["serials"]] == [
        (2, 2021, 2050),
        (1, 1, 30),
    ]
    assert retire["certificate_urls"] == [
        f"/v1/retirements/{i}/certificate" for i in retire["retirement_ids"]
    ]
    assert len(retire["retirement_ids"]) == 2
    deposit = items[-1]
    assert deposit["kind"] == "deposit" and deposit["from_account"] is None


def test_an_account_lists_its_units(pools: TestClient) -> None:
    body = get(pools, f"/v1/accounts/{BOB.upper().replace('0X', '0x')}/pool-units")
    assert body["address"] == BOB
    assert {i["pool_id"]: i["units"] for i in body["items"]}[2] == 101
    nobody = "0x" + "99" * 20
    assert get(pools, f"/v1/accounts/{nobody}/pool-units")["items"] == []


@pytest.mark.parametrize("path", ["", "/composition", "/ranges", "/activity"])
def test_an_unknown_pool_is_404(pools: TestClient, path: str) -> None:
    body = get(pools, f"/v1/pools/3{path}", 404)
    assert body["detail"] == "pool 3 does not exist"


@pytest.mark.parametrize("pool_id", ["0", "-1", "4294967296", "1e3", "x"])
def test_a_hostile_pool_id_is_422(pools: TestClient, pool_id: str) -> None:
    assert invalid_fields(pools, f"/v1/pools/{pool_id}") == ["path.id"]


def test_a_composition_by_an_unknown_attribute_is_422(pools: TestClient) -> None:
    assert invalid_fields(pools, "/v1/pools/1/composition", by="colour") == ["query.by"]


def test_a_cursor_of_another_pool_is_422(pools: TestClient) -> None:
    cursor = get(pools, "/v1/pools/1/ranges", limit=1)["next_cursor"]
    assert cursor is not None
    assert invalid_fields(pools, "/v1/pools/2/ranges", cursor=cursor) == ["query.cursor"]


def test_a_malformed_address_is_422(pools: TestClient) -> None:
    assert invalid_fields(pools, "/v1/accounts/0x12/pool-units") == ["path.address"]


def test_stats_count_the_pooled_tonnes(pools: TestClient) -> None:
    pooled = get(pools, "/v1/stats")["pooled"]
    assert pooled["pools"] == 2 and pooled["tonnes"] == 221
    assert [(p["pool_id"], p["tonnes"]) for p in pooled["by_pool"]] == [(1, 120), (2, 101)]
    assert pooled["by_pool"][1]["name"] == HOSTILE_NAME


POOL_READS = (
    "/v1/pools",
    "/v1/pools/{id}",
    "/v1/pools/{id}/composition",
    "/v1/pools/{id}/ranges",
    "/v1/pools/{id}/activity",
    "/v1/accounts/{address}/pool-units",
)


@pytest.mark.parametrize("path", POOL_READS)
def test_pool_reads_answer_as_documented(pools: TestClient, path: str) -> None:
    """schemathesis against the served document: whatever it sends, no 5xx, and every answer
    is what the document says (status, content type, body schema)."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    schema = schemathesis.openapi.from_asgi("/openapi.json", pools.app)
    operation = schema[path]["GET"]

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    check()
