"""J-Credit, Cercarbono, Isometric, Puro.earth and CCER exports (the sample files in their
layouts): imported exactly, a second import changes nothing, every file reconciles row by
row, and hostile rows are rejected with named reasons while the rest is imported."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.client import LedgerClient
from chain.importer.plan import BUFFER_NOTE
from chain.importer.reconcile import reconcile
from chain.importer.report import ImportReport
from tests.chain.importer.support import DATA, Env, make_env, read_rows, write_rows

REGISTRIES = ("jcredit", "cercarbono", "isometric", "puro", "ccer")

# Per registry: (rows bridged, rows retired), and the serials per status (tonnes; kg for
# Isometric, whose unit is the kg), summed by hand from the sample files.
EXPECTED = {
    "jcredit": ((3, 3), {"bridged": 7_000, "held": 4_600, "retired": 2_400, "cancelled": 0}),
    "cercarbono": ((3, 3), {"bridged": 79_215, "held": 73_665, "retired": 5_550, "cancelled": 0}),
    "isometric": (
        (5, 3),
        {"bridged": 172_013, "held": 160_295, "retired": 11_718, "cancelled": 0},
    ),
    "puro": ((3, 3), {"bridged": 2_640, "held": 2_040, "retired": 600, "cancelled": 0}),
    "ccer": ((3, 3), {"bridged": 41_700, "held": 36_000, "retired": 5_700, "cancelled": 0}),
}


def files(registry: str, folder: Path | None = None) -> dict[str, Path]:
    return {p.stem: p for p in sorted((folder or DATA / registry).glob("*.csv"))}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    env = make_env(tmp_path_factory.mktemp("registries16"))
    yield env
    env.engine.dispose()


@pytest.fixture(scope="module")
def imported(env: Env) -> dict[str, ImportReport]:
    return {registry: env.run(registry, **files(registry)) for registry in REGISTRIES}


@pytest.mark.parametrize("registry", REGISTRIES)
def test_each_sample_export_imports_exactly(
    imported: dict[str, ImportReport], registry: str
) -> None:
    report = imported[registry]
    (bridged, retired), tonnes = EXPECTED[registry]
    data = report.as_json()
    assert data["rows_rejected"] == 0, data["rejected"]
    assert (data["rows"]["bridged"], data["rows"]["retired"]) == (bridged, retired)
    assert report.tonnes == tonnes


@pytest.mark.parametrize("registry", REGISTRIES)
def test_each_sample_export_reconciles_row_by_row(
    env: Env, imported: dict[str, ImportReport], registry: str
) -> None:
    assert imported[registry]
    for path in files(registry).values():
        result = reconcile(env.engine, registry, path)
        assert result.ok, result.discrepancies[:5]
        assert result.totals_match and result.chain_tonnes["not_bridged"] == 0


@pytest.mark.parametrize("registry", REGISTRIES)
def test_importing_the_same_files_again_changes_nothing(
    env: Env, imported: dict[str, ImportReport], registry: str
) -> None:
    seq = env.audit_seq()
    again = env.run(registry, **files(registry))
    data = again.as_json()
    assert data["rows"]["already_present"] == data["rows_total"] > 0
    assert again.transactions == 0 and again.tonnes == imported[registry].tonnes
    assert env.audit_seq() == seq


def test_isometric_buffer_pool_shares_are_their_own_batches_marked_in_the_report(
    env: Env, imported: dict[str, ImportReport]
) -> None:
    report = imported["isometric"]
    buffers = [o for o in report.outcomes if BUFFER_NOTE in o.notes]
    assert [(o.serial, o.quantity) for o in buffers] == [
        ("iss_1EWT8R5FY1S0GFCY:125633-128196", 2564),
        ("iss_1G7HP4TX21S0ZZZA:3218-3317", 100),
    ]
    reader = LedgerClient.for_deployment(env.chain.w3, env.deployment)
    batch = reader.batch(buffers[0].batches[0])
    assert (batch.first_serial, batch.last_serial) == (125633, 128196)
    # The supplier share is its own batch, 1..125632 kg, of which 11,501 kg are retired.
    supplier = next(o for o in report.outcomes if o.serial == "iss_1EWT8R5FY1S0GFCY:1-125632")
    assert reader.batch(supplier.batches[0]).retired == 11_501


def test_cercarbono_buffer_serial_is_marked_in_the_report(
    imported: dict[str, ImportReport],
) -> None:
    marked = [o.serial for o in imported["cercarbono"].outcomes if BUFFER_NOTE in o.notes]
    assert marked == ["CDC_1_1_1_321_14_2 1-12175"]


def _with_rows(src: Path, dest: Path, extra: list[dict[str, str]]) -> Path:
    header, rows = read_rows(src)
    return write_rows(dest, header, [*rows, *({**dict.fromkeys(header, ""), **e} for e in extra)])


def _row(src: Path, number: int, **changes: str) -> dict[str, str]:
    """Spreadsheet row ``number`` of ``src`` with ``changes``."""
    return {**read_rows(src)[1][number - 2], **changes}


def _hostile(registry: str, folder: Path) -> dict[str, list[tuple[int, str]]]:
    """Writes each of the registry's sample files with hostile rows appended (in ``folder``);
    returns, per file, the expected (row, reason fragment) of every rejected row."""
    iss, ret = DATA / registry / "issuances.csv", DATA / registry / "retirements.csv"
    cases: dict[str, tuple[Path, list[tuple[dict[str, str], str]]]] = {}
    if registry == "jcredit":
        cases["issuances"] = (
            iss,
            [
                (
                    _row(iss, 2, **{"Serial Number": "JCL-XX-1401-1-10", "Quantity (t-CO2)": "10"}),
                    "credit type: expected one of",
                ),
                (
                    _row(
                        iss, 2, **{"Serial Number": "JCL-ERL-1402-1-100", "Quantity (t-CO2)": "99"}
                    ),
                    "quantity column 'Quantity (t-CO2)' = 99 disagrees with the range 1..100",
                ),
                (
                    _row(
                        iss,
                        2,
                        **{"Serial Number": "JCL-ERL-1201-4001-6000", "Quantity (t-CO2)": "2000"},
                    ),
                    "overlap batch",
                ),
            ],
        )
        cases["retirements"] = (
            ret,
            [
                (_row(ret, 2, **{"Retirement Date": "2025-13-01"}), "is not a date: '2025-13-01'"),
                (
                    _row(ret, 2, **{"Retirement Purpose": "Lottery"}),
                    "unknown retirement use 'Lottery'",
                ),
            ],
        )
    elif registry == "cercarbono":
        cases["issuances"] = (
            iss,
            [
                (_row(iss, 2, serial="CDC_1_1_x_321_14_9"), "expected an unsigned integer"),
                (
                    _row(iss, 2, serial="CDC_1_1_1_321_14_9", is_buffer="maybe"),
                    "'is_buffer' is not true or false",
                ),
                (
                    _row(iss, 2, serial="CDC_1_1_1_321_14_8", project_id="CDC-2"),
                    "project id '1' in the serial disagrees with row column 'project_id'",
                ),
                (
                    _row(iss, 2, serial="CDC_1_1_1_321_14_9", vintage_of_credits="2010"),
                    "is not a period",
                ),
            ],
        )
        cases["retirements"] = (
            ret,
            [
                (
                    _row(ret, 2, **{"from": "1", "to": "10", "quantity": "11"}),
                    "quantity column 'quantity' = 11 disagrees with the range 1..10",
                ),
                (
                    _row(ret, 2, **{"from": "62001", "to": "63000", "quantity": "1000"}),
                    "overlap batch",
                ),
                (
                    _row(ret, 2, certificate_destination="Lottery"),
                    "unknown retirement use 'Lottery'",
                ),
                (_row(ret, 2, date="07/03/2019x"), "is not a date: '07/03/2019x'"),
                # The same units retired twice in one file: the later row is refused.
                (
                    _row(ret, 2, id="9", **{"from": "500", "to": "1500", "quantity": "1001"}),
                    "serials 500..1000 are also in row 2 of this file",
                ),
            ],
        )
    elif registry == "isometric":
        cases["issuances"] = (
            iss,
            [
                (
                    _row(
                        iss,
                        2,
                        id="iss_1HHHHHHHHH1S0AAAA",
                        **{
                            "supplier_credit_batch_size_total.credits": "1.5",
                            "supplier_credit_batch_size_total.credit_kgs": "1499",
                        },
                    ),
                    "does not match 'supplier_credit_batch_size_total.credits' = 1.5",
                ),
                (_row(iss, 2, id="issue_12"), "is not an Isometric iss_ id"),
            ],
        )
        cases["retirements"] = (
            ret,
            [
                (
                    _row(ret, 2, id="ret_1ZZ", purposes="greenwash"),
                    "unknown retirement purpose 'greenwash'",
                ),
                (_row(ret, 2, id="ret_1ZY", retired_at="yesterday"), "is not a date: 'yesterday'"),
                (
                    _row(ret, 2, id="ret_1ZX", **{"credit_batch_size_total.credit_kgs": "10"}),
                    "does not match",
                ),
                # 40,501 kg of an issuance whose supplier share is 40,500 kg: past its batch.
                (
                    _row(
                        ret,
                        2,
                        id="ret_1ZW",
                        issuance_id="iss_1F0ZK2M3A1S0QWER",
                        **{
                            "credit_batch_size_total.credits": "40.501",
                            "credit_batch_size_total.credit_kgs": "40501",
                        },
                    ),
                    "overlap batch",
                ),
            ],
        )
    elif registry == "puro":
        cases["issuances"] = (
            iss,
            [
                (
                    _row(
                        iss,
                        2,
                        Certificates="643002406555908611000000000001-643002406555908611000000000100",
                    ),
                    "expected 'PURO_' at the start",
                ),
                (
                    _row(
                        iss,
                        2,
                        Certificates=_row(iss, 2)["Certificates"].replace("_1-100", "_101-200"),
                        Volume="99",
                    ),
                    "quantity column 'Volume' = 99 disagrees",
                ),
                (
                    _row(
                        iss,
                        2,
                        Certificates=_row(iss, 2)["Certificates"].replace("_1-100", "_50-150"),
                        Volume="101",
                    ),
                    "overlap batch",
                ),
            ],
        )
        cases["retirements"] = (
            ret,
            [
                (_row(ret, 2, **{"Retirement Date": "31/12/2023"}), "is not a date: '31/12/2023'"),
            ],
        )
    else:
        cases["issuances"] = (
            iss,
            [
                (
                    _row(iss, 2, **{"Serial Number": "CCER-123-24-45-1-20"}),
                    "expected a four-digit year",
                ),
                (
                    _row(iss, 2, **{"Serial Number": "CCER-123-2024-99-1-20", "Quantity": "21"}),
                    "quantity column 'Quantity' = 21 disagrees",
                ),
                (
                    _row(
                        iss,
                        2,
                        **{"Serial Number": "CCER-123-2024-45-19001-21000", "Quantity": "2000"},
                    ),
                    "overlap batch",
                ),
            ],
        )
        cases["retirements"] = (
            ret,
            [
                (_row(ret, 2, Purpose="Lottery"), "unknown retirement use 'Lottery'"),
                (
                    _row(ret, 2, **{"Cancellation Date": "2025-02-30"}),
                    "is not a date: '2025-02-30'",
                ),
            ],
        )
    expected: dict[str, list[tuple[int, str]]] = {}
    for kind, (src, extra) in cases.items():
        count = len(read_rows(src)[1])
        _with_rows(src, folder / f"{kind}.csv", [row for row, _ in extra])
        expected[kind] = [(count + 2 + i, reason) for i, (_, reason) in enumerate(extra)]
    return expected


@pytest.mark.parametrize("registry", REGISTRIES)
def test_hostile_rows_are_rejected_with_named_reasons_and_the_rest_imported(
    tmp_path: Path, registry: str
) -> None:
    env = make_env(tmp_path)
    try:
        expected = _hostile(registry, tmp_path)
        report = env.run(registry, **files(registry, tmp_path))
        rejected = report.as_json()["rejected"]
        got = sorted((Path(r["file"]).stem, r["row"], r["reason"]) for r in rejected)
        wanted = sorted((k, row, reason) for k, rows in expected.items() for row, reason in rows)
        assert [(k, n) for k, n, _ in got] == [(k, n) for k, n, _ in wanted], got
        for (_, _, reason), (_, _, fragment) in zip(got, wanted, strict=True):
            assert fragment in reason, reason
        assert report.tonnes == EXPECTED[registry][1]  # the good rows, all of them
    finally:
        env.engine.dispose()


def test_every_sample_file_is_utf8_csv_with_a_header() -> None:
    for registry in REGISTRIES:
        for path in files(registry).values():
            with path.open(newline="", encoding="utf-8") as handle:
                assert next(csv.reader(handle)), path
