"""The CSV routes: an account's holdings and retirements, and the CADT v2 and OffsetsDB
exports, served from a ledger with hostile text; each reads back through Python's csv
reader exactly as the store holds it, never as a spreadsheet formula."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy.engine import Engine

from api.app import create_app
from api.deps import Services
from chain.domain import Purpose, RetirementRequest
from chain.exports import cadt, offsetsdb
from chain.exports.account import HOLDINGS_FIELDS, RETIREMENTS_FIELDS
from chain.exports.csvsafe import restore
from chain.indexer.core import Indexer
from tests.api.reads.conftest import Filled, client_for
from tests.api.reads.conftest import settings as app_settings
from tests.api.reads.support import invalid_fields
from tests.chain.exports.ledger import HOSTILE_BENEFICIARIES, HOSTILE_NAME, Built, build
from tests.chain.exports.reconcile import check_cadt, check_offsetsdb, runs_as_formula


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("export-routes"))


@pytest.fixture(scope="module")
def api(built: Built) -> TestClient:
    return client_for(built.env.engine)


def download(api: TestClient, url: str) -> tuple[list[str], list[dict[str, str]]]:
    """GET a CSV route: its header and rows (cells restored), after checking it is CSV."""
    response = api.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    for row in rows:
        for cell in row:
            assert not runs_as_formula(cell), cell  # nothing a spreadsheet runs
    header = rows[0]
    return header, [{k: restore(v) for k, v in zip(header, row, strict=True)} for row in rows[1:]]


@pytest.mark.parametrize("table", sorted(cadt.TABLES))
def test_each_cadt_table_is_served_with_its_published_header(api: TestClient, table: str) -> None:
    header, _rows = download(api, f"/v1/exports/cadt/{table}.csv")
    assert header == list(cadt.TABLES[table])


@pytest.mark.parametrize("table", sorted(offsetsdb.TABLES))
def test_each_offsetsdb_table_is_served_with_its_published_header(
    api: TestClient, table: str
) -> None:
    header, _rows = download(api, f"/v1/exports/offsetsdb/{table}.csv")
    assert header == list(offsetsdb.TABLES[table])


def test_formula_text_in_names_and_beneficiaries_reads_back_exactly(api: TestClient) -> None:
    _h, projects = download(api, "/v1/exports/cadt/project.csv")
    assert HOSTILE_NAME in {p["projectName"] for p in projects}
    _h, units = download(api, "/v1/exports/cadt/unit.csv")
    assert set(HOSTILE_BENEFICIARIES) <= {u["unitRetirementBeneficiary"] for u in units}
    _h, credits = download(api, "/v1/exports/offsetsdb/credits.csv")
    notes = {c["retirement_note"] for c in credits}
    assert '=note, "quoted"' in notes and "@reversal" in notes and "-VCS-RETURN" in notes


def test_an_unknown_export_table_is_a_404(api: TestClient) -> None:
    for url in ("/v1/exports/cadt/units.csv", "/v1/exports/offsetsdb/project.csv"):
        response = api.get(url)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


def test_a_table_name_that_is_no_name_is_a_422(api: TestClient) -> None:
    assert invalid_fields(api, "/v1/exports/cadt/=UNIT.csv") == ["path.table"]


def test_account_csvs_hold_its_ranges_and_retirements(api: TestClient, built: Built) -> None:
    alice = built.alice.account
    header, held = download(api, f"/v1/accounts/{alice.upper().replace('0X', '0x')}/holdings.csv")
    assert header == list(HOLDINGS_FIELDS)
    json = api.get(f"/v1/accounts/{alice}/holdings", params={"limit": 1000}).json()
    assert sum(int(h["quantity"]) for h in held) == sum(int(b["held"]) for b in json["items"]) > 0
    header, retired = download(api, f"/v1/accounts/{alice}/retirements.csv")
    assert header == list(RETIREMENTS_FIELDS)
    assert [r["beneficiary"] for r in retired] == list(HOSTILE_BENEFICIARIES)
    assert {r["account"] for r in retired} == {alice.lower()}


def test_an_account_csv_for_an_address_that_is_none_is_a_422(api: TestClient) -> None:
    assert invalid_fields(api, "/v1/accounts/0x12/holdings.csv") == ["path.address"]
    assert invalid_fields(api, "/v1/accounts/=1+2/retirements.csv") == ["path.address"]


@pytest.mark.parametrize(
    ("lang", "holdings", "retirements"),
    [
        ("en", "Download holdings (CSV)", "Download retirements (CSV)"),
        ("zh", "下载持有情况（CSV）", "下载注销记录（CSV）"),  # noqa: RUF001 (the page's own text)
    ],
)
def test_the_account_page_links_both_downloads(
    api: TestClient, built: Built, lang: str, holdings: str, retirements: str
) -> None:
    alice = built.alice.account.lower()
    page = api.get(f"/accounts/{alice}", params={"lang": lang})
    assert page.status_code == 200
    assert f'href="/v1/accounts/{alice}/holdings.csv" download>{holdings}</a>' in page.text
    assert f'href="/v1/accounts/{alice}/retirements.csv" download>{retirements}</a>' in page.text
    assert api.get(f"/v1/accounts/{alice}/holdings.csv").status_code == 200


def test_the_csv_routes_are_documented_as_csv(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/accounts/{address}/holdings.csv",
        "/v1/accounts/{address}/retirements.csv",
        "/v1/exports/cadt/{table}.csv",
        "/v1/exports/offsetsdb/{table}.csv",
    ):
        responses = paths[path]["get"]["responses"]
        assert "text/csv; charset=utf-8" in responses["200"]["content"], path
        assert list(responses["422"]["content"]) == ["application/problem+json"], path


def test_the_exports_of_the_demo_shaped_ledger_reconcile_in_both_stores(store: Engine) -> None:
    """The read routes' ledger (the whole bundled Verra and Gold Standard exports, then buyers'
    activity), on SQLite and on PostgreSQL: every batch's units tile it and equal its tonnes
    by status, and the OffsetsDB transactions equal them in total."""
    checked = check_cadt(store)
    assert checked["Held"] > 0 and checked["Retired"] > 0 and checked["Cancelled"] > 0
    by_type = check_offsetsdb(store)
    assert by_type["issuance"] == sum(checked.values())


def test_an_export_follows_the_ledger_once_the_store_moves(api: TestClient, built: Built) -> None:
    """Runs last: it retires more. The served export is rebuilt when the store's audit
    sequence moves, and not before."""
    _h, before = download(api, "/v1/exports/offsetsdb/credits.csv")
    assert download(api, "/v1/exports/offsetsdb/credits.csv")[1] == before  # same seq, same
    request = RetirementRequest(
        built.hostile_batch, 1_000_391, 1_000_400, "+later, 后来", Purpose.VOLUNTARY
    )
    built.alice.retire(request)
    Indexer(built.env.chain.w3, built.env.engine, built.env.deployment, confirmations=0).sync()
    _h, after = download(api, "/v1/exports/offsetsdb/credits.csv")
    assert len(after) == len(before) + 1
    assert "+later, 后来" in {c["retirement_beneficiary"] for c in after}
    assert "+later, 后来" not in {c["retirement_beneficiary"] for c in before}
    assert sum(int(c["quantity"]) for c in after if c["transaction_type"] == "retirement") == (
        sum(int(c["quantity"]) for c in before if c["transaction_type"] == "retirement") + 10
    )


CSV_ROUTES = (
    "/v1/accounts/{address}/holdings.csv",
    "/v1/accounts/{address}/retirements.csv",
    "/v1/exports/cadt/{table}.csv",
    "/v1/exports/offsetsdb/{table}.csv",
)


@pytest.mark.parametrize("path", CSV_ROUTES)
def test_the_csv_routes_answer_as_documented_whatever_they_are_sent(
    filled: Filled, path: str
) -> None:
    """schemathesis on the read routes' ledger: no 5xx, and every answer is what the served
    document says (status, content type)."""
    app = create_app(Services(app_settings(), filled.engines["sqlite"]))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = schema[path]["GET"]

    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    check()
