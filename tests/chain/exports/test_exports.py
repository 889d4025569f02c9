"""The open-data exports against the ledger they read: each table's header is the published
field list, every table reconciles with the store to the tonne, and hostile text comes back
exactly, never as a formula."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from chain.domain import RangeState
from chain.errors import ConfigurationError
from chain.exports import cadt, offsetsdb
from chain.exports.account import HOLDINGS_FIELDS, holdings_table, retirements_table
from chain.exports.csvsafe import ExportTable, neutralise, restore
from chain.store import schema as s
from chain.store.engine import open_store
from tests.chain.exports.ledger import HOSTILE_BENEFICIARIES, HOSTILE_NAME, Built, build
from tests.chain.exports.reconcile import (
    cadt_tables,
    check_cadt,
    check_offsetsdb,
    offsets_tables,
    parse,
    runs_as_formula,
)

# The published field lists, copied here by hand from their sources (docs/EXPORTS.md), so a
# change to the module's constants cannot pass unnoticed.
CADT_V2_UNIT = [
    "cadTrustUnitId",
    "orgUid",
    "unitSerialId",
    "unitStartBlock",
    "unitEndBlock",
    "unitCount",
    "unitType",
    "unitVintageYear",
    "unitStatus",
    "unitStatusReason",
    "unitStatusDate",
    "unitRetirementDetail",
    "unitRetirementBeneficiary",
    "unitRetirementBeneficiaryId",
    "unitLink",
    "unitMetric",
    "unitCurrentOwner",
    "unitItmosReferenceId",
    "createdAt",
    "updatedAt",
    "cadTrustIssuanceId",
]
CADT_V2_PROJECT = [
    "cadTrustProjectId",
    "orgUid",
    "projectRegistryName",
    "projectId",
    "projectCreditingProgram",
    "projectName",
    "projectLink",
    "projectDescription",
    "projectSector",
    "projectType",
    "projectSubtype",
    "projectStatus",
    "projectStatusDate",
    "projectUnitMetric",
    "createdAt",
    "updatedAt",
    "cadTrustReferenceProjectId",
    "cadTrustProgramId",
]
CADT_V2_ISSUANCE = [
    "cadTrustIssuanceId",
    "issuanceId",
    "issuanceDate",
    "createdAt",
    "updatedAt",
    "cadTrustVerificationId",
    "cadTrustProjectMethodologyId",
    "cadTrustLocationId",
]
CADT_V2_LABEL = [
    "cadTrustLabelId",
    "labelName",
    "labelType",
    "labelLink",
    "labelDate",
    "createdAt",
    "updatedAt",
]
CADT_V2_UNIT_LABEL = [
    "cadTrustUnitLabelId",
    "cadTrustLabelId",
    "cadTrustUnitId",
    "labelUnitDate",
    "labelUnitDescription",
    "createdAt",
    "updatedAt",
]
OFFSETSDB_PROJECT = [
    "protocol",
    "category",
    "project_type",
    "project_type_source",
    "retired",
    "issued",
    "project_id",
    "name",
    "registry",
    "proponent",
    "status",
    "country",
    "listed_at",
    "first_issuance_at",
    "first_retirement_at",
    "is_compliance",
    "project_url",
]
OFFSETSDB_CREDIT = [
    "quantity",
    "project_id",
    "vintage",
    "transaction_date",
    "transaction_type",
    "retirement_account",
    "retirement_reason",
    "retirement_note",
    "retirement_beneficiary",
    "retirement_beneficiary_harmonized",
    "id",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("exports"))


@pytest.fixture(scope="module")
def engine(built: Built) -> Engine:
    return built.env.engine


def test_cadt_headers_are_the_published_v2_field_lists() -> None:
    assert list(cadt.UNIT_FIELDS) == CADT_V2_UNIT
    assert list(cadt.PROJECT_FIELDS) == CADT_V2_PROJECT
    assert list(cadt.ISSUANCE_FIELDS) == CADT_V2_ISSUANCE
    assert list(cadt.LABEL_FIELDS) == CADT_V2_LABEL
    assert list(cadt.UNIT_LABEL_FIELDS) == CADT_V2_UNIT_LABEL
    assert set(cadt.UNIT_STATUS.values()) <= {
        "Issued", "Held", "Retired", "Cancelled", "Expired", "Buffer", "Inactive", "Rejected"
    }  # fmt: skip


def test_offsetsdb_headers_are_the_published_schema_columns() -> None:
    assert list(offsetsdb.PROJECT_FIELDS) == OFFSETSDB_PROJECT
    assert list(offsetsdb.CREDIT_FIELDS) == OFFSETSDB_CREDIT


def test_every_cadt_table_is_written_with_its_published_header(engine: Engine) -> None:
    tables = cadt_tables(engine)
    assert set(tables) == set(cadt.TABLES)
    for name, table in tables.items():
        assert list(table.fields) == list(cadt.TABLES[name])
        parse(table)  # the header check is inside


def test_cadt_units_tile_every_batch_and_reconcile_by_status_to_the_tonne(engine: Engine) -> None:
    checked = check_cadt(engine)
    # The ledger built has every status, so none of the checks is vacuous.
    assert all(checked[k] > 0 for k in ("Held", "Retired", "Inactive", "Cancelled")), checked


def test_a_voided_batch_is_one_cancelled_unit_naming_the_void(built: Built) -> None:
    tables = cadt_tables(built.env.engine)
    units = [u for u in parse(tables["unit"]) if u["unitStartBlock"] == "2000001"]
    assert [(u["unitStatus"], u["unitCount"], u["unitStatusReason"]) for u in units] == [
        ("Cancelled", "100", "batch voided: bridged in error")
    ]
    assert units[0]["unitSerialId"] == "VCS-EXPORT-TEST-2000001-2000100"
    credits = parse(offsets_tables(built.env.engine)["credits"])
    assert {"batch voided: bridged in error"} == {
        c["retirement_note"] for c in credits if c["retirement_note"].startswith("batch voided")
    }


def test_cadt_unit_labels_follow_the_batch_and_the_retirement(built: Built) -> None:
    tables = cadt_tables(built.env.engine)
    labels = {r["cadTrustLabelId"]: r["labelName"] for r in parse(tables["label"])}
    units = {u["cadTrustUnitId"]: u for u in parse(tables["unit"])}
    by_unit: dict[str, set[str]] = defaultdict(set)
    for link in parse(tables["unit_label"]):
        assert link["cadTrustUnitId"] in units
        by_unit[link["cadTrustUnitId"]].add(labels[link["cadTrustLabelId"]])
    corsia = [
        u for u in units.values() if u["unitRetirementBeneficiary"] == HOSTILE_BENEFICIARIES[0]
    ]
    assert len(corsia) == 1
    assert by_unit[corsia[0]["cadTrustUnitId"]] == {"CORSIA eligible", "Corresponding adjustment"}


def test_hostile_text_reads_back_exactly_and_never_as_a_formula(built: Built) -> None:
    tables = cadt_tables(built.env.engine)
    for table in tables.values():
        for row in csv.reader(io.StringIO(table.text(), newline="")):
            for cell in row:
                assert not runs_as_formula(cell), cell
    names = [p["projectName"] for p in parse(tables["project"])]
    assert HOSTILE_NAME in names
    beneficiaries = {u["unitRetirementBeneficiary"] for u in parse(tables["unit"])}
    assert set(HOSTILE_BENEFICIARIES) <= beneficiaries
    offsets = offsets_tables(built.env.engine)
    credits = parse(offsets["credits"])
    assert set(HOSTILE_BENEFICIARIES) <= {c["retirement_beneficiary"] for c in credits}
    written = offsets["credits"].text()
    assert '"=1+2"' not in written and "'=1+2" in written


@pytest.mark.parametrize(
    "text",
    [
        "=1+2",
        "+1",
        "-1",
        "@A1",
        "\tx",
        "\rx",
        " =1+2",
        "\u200b@A1",
        "\u3000\uff1d1",
        "\uff0b1",
        "'",
        "''=",
        "plain",
        "",
        "数据",
        'a,"b"\nc',
    ],
)
def test_neutralise_is_undone_exactly_by_restore(text: str) -> None:
    cell = neutralise(text)
    assert restore(cell) == text
    assert not runs_as_formula(cell)
    assert (cell != text) == (runs_as_formula(text) or text.startswith("'"))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00")))
)
def test_any_row_of_text_reads_back_exactly_through_the_csv_reader(row: list[str]) -> None:
    table = ExportTable("t", [f"c{i}" for i in range(len(row))] or ["c0"])
    table.add(**{f"c{i}": v for i, v in enumerate(row)})
    header, cells = csv.reader(io.StringIO(table.text(), newline=""))
    assert header == list(table.fields)
    assert [restore(c) for c in cells] == (row or [""])
    assert not any(runs_as_formula(c) for c in cells)


def test_offsetsdb_reconciles_with_the_store_to_the_tonne(engine: Engine) -> None:
    by_type = check_offsetsdb(engine)
    assert all(by_type[k] > 0 for k in ("issuance", "retirement", "cancellation", "detokenisation"))
    with engine.connect() as conn:
        projects = parse(offsetsdb.offsetsdb_tables(conn)["projects"])
    assert {p["registry"] for p in projects} == {"verra", "gold-standard"}


def test_account_csvs_reconcile_with_its_ranges_and_retirements(built: Built) -> None:
    engine = built.env.engine
    with engine.connect() as conn:
        holdings = parse(holdings_table(conn, built.alice.account.upper().replace("0X", "0x")))
        retired = parse(retirements_table(conn, built.alice.account))
        held = conn.execute(
            sa.select(
                sa.func.sum(s.serial_ranges.c.last_serial - s.serial_ranges.c.first_serial + 1)
            )
            .where(s.serial_ranges.c.holder == built.alice.account.lower())
            .where(s.serial_ranges.c.state == int(RangeState.HELD))
        ).scalar_one()
    assert list(holdings[0]) == list(HOLDINGS_FIELDS)
    assert sum(int(h["quantity"]) for h in holdings) == held > 0
    assert [r["beneficiary"] for r in retired] == list(HOSTILE_BENEFICIARIES)
    assert sum(int(r["quantity"]) for r in retired) == 10 * len(HOSTILE_BENEFICIARIES)


def test_an_empty_store_is_refused_with_a_reason(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with engine.connect() as conn, pytest.raises(ConfigurationError, match="index"):
        cadt.cadt_tables(conn)
    engine.dispose()
