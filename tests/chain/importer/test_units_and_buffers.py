"""Sub-tonne units and buffer pools end to end (issue 16 items 2 and 3): an Isometric export
(one serial = one kg) is imported, its buffer pool shares go to ISOMETRIC's buffer account as
their own batches, and a batch of 1,234 serials shows 1.234 t everywhere a person reads it:
the import report, the API, the stats, the pages in English and Chinese, and the certificate
(HTML and PDF). A reversal cancels buffer credits and shows on the reversed batch's page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from chain.domain import Purpose, RetirementRequest
from chain.importer.plan import BUFFER_NOTE
from chain.importer.report import ImportReport
from chain.store import schema as s
from chain.units import KILOGRAM
from chain.verify import verify
from tests.api.pages.support import pages_app, pdf_text
from tests.chain.importer.support import DATA, Env, make_env, read_rows, write_rows

HEADER, ROWS = read_rows(DATA / "isometric" / "issuances.csv")


@dataclass
class Imported:
    env: Env
    report: ImportReport
    small: int
    """The batch of 1,234 kg (iss_SMALL's supplier share), never touched."""
    retired: int
    """Another batch of 1,234 kg, for the certificate (tests run in any order)."""
    client: TestClient


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    folder = tmp_path_factory.mktemp("units16")
    env = make_env(folder)
    small = {
        **ROWS[0],
        "id": "iss_1SMALL0000000000",
        "supplier_credit_batch_size_total.credits": "1.234",
        "supplier_credit_batch_size_total.credit_kgs": "1234",
        "buffer_pool_credit_batch_size_total.credits": "0",
        "buffer_pool_credit_batch_size_total.credit_kgs": "0",
    }
    other = {**small, "id": "iss_1SMALL0000000001"}
    issuances = write_rows(folder / "issuances.csv", HEADER, [*ROWS, small, other])
    report = env.run("isometric", issuances=issuances)
    assert report.as_json()["rows_rejected"] == 0, report.as_json()["rejected"]
    batches = {o.serial: o.batches[0] for o in report.outcomes}
    yield Imported(
        env,
        report,
        batches["iss_1SMALL0000000000:1-1234"],
        batches["iss_1SMALL0000000001:1-1234"],
        TestClient(pages_app(env.engine)),
    )
    env.engine.dispose()


def _isometric(env: Env) -> int:
    return env.admin.program_id("ISOMETRIC")


def test_isometric_is_registered_in_kilograms_and_the_mirror_says_so(imported: Imported) -> None:
    env = imported.env
    assert env.admin.program_unit(_isometric(env)) == KILOGRAM
    with env.engine.connect() as conn:
        grams = conn.execute(
            sa.select(s.programs.c.unit_grams).where(s.programs.c.code == "ISOMETRIC")
        ).scalar_one()
    assert grams == 1_000


def test_the_import_report_states_tonnes_exactly(imported: Imported) -> None:
    report = imported.report
    small = next(o for o in report.outcomes if o.batches == [imported.small])
    assert (small.quantity, small.tonnes) == (1234, Decimal("1.234"))
    data = report.as_json()
    assert data["tonnes_exact"]["bridged"] == str(Decimal(report.tonnes["bridged"]) / 1000)
    assert any("1.234 t" in line and "iss_1SMALL" in line for line in report.lines())
    assert not any(re.search(r"\b1,234 t\b", line) for line in report.lines())


def test_buffer_pool_shares_are_bridged_to_the_programme_s_buffer_account(
    imported: Imported,
) -> None:
    env = imported.env
    buffer = env.admin.buffer_account(_isometric(env))
    issuer = env.target.keys.find("ISOMETRIC")
    assert buffer is not None and issuer is not None and buffer != issuer.address.lower()
    shares = [o for o in imported.report.outcomes if BUFFER_NOTE in o.notes]
    assert len(shares) == 2
    for outcome in shares:
        (batch_id,) = outcome.batches
        assert [r.holder.lower() for r in env.admin.ranges(batch_id)] == [buffer]
    # Every other block is the issuer's, in custody.
    supplier = next(o for o in imported.report.outcomes if o.batches == [imported.small])
    assert [r.holder for r in env.admin.ranges(supplier.batches[0])] == [issuer.address]


def test_a_kg_batch_of_1234_serials_reads_1_234_t_in_the_api(imported: Imported) -> None:
    body = imported.client.get(f"/v1/batches/{imported.small}").json()
    assert (body["quantity"], body["unit_grams"]) == (1234, 1000)
    assert body["tonnes"]["bridged"] == body["tonnes"]["held"] == "1.234"
    assert body["totals"]["bridged"] == 1234  # serial counts keep their meaning
    stats = imported.client.get("/v1/stats").json()
    iso = next(x for x in stats["by_program"] if x["key"] == "ISOMETRIC")
    assert Decimal(iso["tonnes"]["bridged"]) == Decimal(iso["bridged"]) / 1000
    programs = {p["program"]: p for p in imported.client.get("/v1/programs").json()}
    assert programs["ISOMETRIC"]["unit_grams"] == 1000
    iso = programs["ISOMETRIC"]  # 2,564 kg + 100 kg, less any reversal another test made
    assert Decimal(iso["buffer_held_tonnes"]) + Decimal(iso["reversed_tonnes"]) == Decimal("2.664")
    assert programs["VCS"]["unit_grams"] == 1_000_000


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_kg_batch_of_1234_serials_reads_1_234_t_on_its_page(
    imported: Imported, lang: str
) -> None:
    page = imported.client.get(f"/batches/{imported.small}", params={"lang": lang}).text
    cards = dict(re.findall(r'data-fate="(\w+)">([^<]*)<', page))
    assert cards["bridged"] == cards["held"] == "1.234"
    assert 'data-unit-grams="1000"' in page
    assert "1,234" not in page.split('id="ranges-h"')[1].split("</table>")[0]
    dashboard = imported.client.get("/", params={"lang": lang}).text
    row = dashboard.split('data-program="ISOMETRIC"')[1].split("</tr>")[0]
    held = re.search(r"data-buffer-held>([0-9.]+)<", row)
    assert held and held[1] in ("2.664", "2.164")  # buffer holdings (before, after a reversal)


def test_a_kg_retirement_certificate_states_tonnes(imported: Imported) -> None:
    env = imported.env
    issuer = env.issuer("ISOMETRIC")
    batch = env.admin.batch(imported.retired)
    result = issuer.retire(
        RetirementRequest(
            batch_id=imported.retired,
            first_serial=batch.first_serial,
            last_serial=batch.first_serial + 1233,
            beneficiary="Kilogram Buyer Ltd",
            purpose=Purpose.VOLUNTARY,
        )
    )
    env.target.indexer().catch_up()
    url = f"/v1/retirements/{result.retirement_id}/certificate"
    cert = imported.client.get(url, headers={"Accept": "application/json"}).json()
    assert (cert["quantity"], cert["tonnes"]) == (1234, "1.234")
    for lang in ("en", "zh"):
        html = imported.client.get(url, params={"lang": lang}, headers={"Accept": "text/html"})
        assert re.search(r'data-field="quantity">1\.234<', html.text)
        pdf = imported.client.get(url, params={"lang": lang}, headers={"Accept": "application/pdf"})
        assert "1.234" in pdf_text(pdf.content)
    stats = imported.client.get("/v1/stats").json()
    iso = next(x for x in stats["by_program"] if x["key"] == "ISOMETRIC")
    assert Decimal(iso["tonnes"]["retired"]) == Decimal(iso["retired"]) / 1000


def test_a_reversal_from_the_buffer_shows_on_the_reversed_batch_s_page(
    imported: Imported,
) -> None:
    env = imported.env
    share = next(o for o in imported.report.outcomes if BUFFER_NOTE in o.notes)
    reversed_batch = next(
        o.batches[0]
        for o in imported.report.outcomes
        if o.serial == share.serial.split(":")[0] + ":1-125632"
    )
    first = env.admin.batch(share.batches[0]).first_serial
    env.admin.reverse_from_buffer(share.batches[0], first, first + 499, reversed_batch, "fire")
    env.target.indexer().catch_up()
    body = imported.client.get(f"/v1/batches/{reversed_batch}").json()
    assert [(r["batch_id"], r["tonnes"], r["reason"]) for r in body["reversals"]] == [
        (share.batches[0], "0.5", "fire")
    ]
    page = imported.client.get(f"/batches/{reversed_batch}").text
    assert 'id="reversals"' in page and "data-reversed-tonnes>0.5<" in page
    programs = {p["program"]: p for p in imported.client.get("/v1/programs").json()}
    assert programs["ISOMETRIC"]["reversed_tonnes"] == "0.5"
    assert programs["ISOMETRIC"]["buffer_held_tonnes"] == "2.164"
    # The whole pipeline still verifies: chain, audit replay (the reversal cancelled the
    # buffer account's serials) and the store, units and buffers included.
    report = verify(env.chain.w3, env.deployment, env.engine)
    assert report.ok, report.discrepancies[:3]


def test_a_buffer_share_without_a_buffer_account_is_rejected_naming_why(
    tmp_path: Path,
) -> None:
    """With ``--rpc`` (no operator) a programme whose admin set no buffer account gets its
    buffer shares rejected, the rest imported."""
    env = make_env(tmp_path)
    env.run("isometric", issuances=write_rows(tmp_path / "first.csv", HEADER, ROWS[1:2]))
    env.target.operator = None  # as with --rpc: nothing is provisioned
    report = env.run("isometric", issuances=DATA / "isometric" / "issuances.csv")
    rejected = {r["serial"]: r["reason"] for r in report.as_json()["rejected"]}
    assert set(rejected) == {
        "iss_1EWT8R5FY1S0GFCY:125633-128196",
        "iss_1G7HP4TX21S0ZZZA:3218-3317",
    }
    assert all("has no buffer account" in reason for reason in rejected.values())
    env.engine.dispose()


def test_exports_state_a_kg_batch_in_tonnes(imported: Imported) -> None:
    from chain.exports.cadt import cadt_tables
    from chain.exports.offsetsdb import offsetsdb_tables

    with imported.env.engine.connect() as conn:
        cadt, offsets = cadt_tables(conn), offsetsdb_tables(conn)
    small = "1SMALL0000000000"
    units = [u for u in cadt["unit"].rows if small in str(u["unitSerialId"])]
    assert units and all(u["unitMetric"] == "tCO2e" for u in units)
    assert sum(Decimal(str(u["unitCount"])) for u in units) == Decimal("1.234")
    issuances = [c for c in offsets["credits"].rows if c["transaction_type"] == "issuance"]
    assert "1.234" in [c["quantity"] for c in issuances]
    # A tonne programme's cells stay integers (VCS exported nothing here; ISOMETRIC is kg).
    assert all(isinstance(c["quantity"], int | str) for c in offsets["credits"].rows)


def test_reconciliation_totals_state_exact_tonnes(imported: Imported) -> None:
    from chain.importer.reconcile import reconcile

    result = reconcile(imported.env.engine, "isometric", DATA / "isometric" / "issuances.csv")
    data = result.as_json()
    assert data["file_tonnes_exact"]["bridged"] == str(
        Decimal(data["file_tonnes"]["bridged"]) / 1000
    )
