"""``carbon-ledger export``: the files it writes are the tables the API serves, whole; a
store with no ledger and an ``--out`` that is a file are refused with the reason."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from chain.exports import cadt, offsetsdb
from chain.exports.csvsafe import restore
from cli.main import main
from tests.chain.exports.ledger import HOSTILE_BENEFICIARIES, Built, build


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("export-cli"))


def db(built: Built) -> str:
    return str(built.env.engine.url)


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], [{k: restore(v) for k, v in zip(rows[0], r, strict=True)} for r in rows[1:]]


@pytest.mark.parametrize(
    ("fmt", "tables"), [("cadt", cadt.TABLES), ("offsetsdb", offsetsdb.TABLES)]
)
def test_export_writes_every_table_with_its_published_header(
    built: Built,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
    tables: dict[str, tuple[str, ...]],
) -> None:
    out = tmp_path / "out"
    assert main(["export", fmt, "--db", db(built), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.csv" for n in tables)
    for name, fields in tables.items():
        header, _rows = read(out / f"{name}.csv")
        assert header == list(fields)
    assert "rows" in capsys.readouterr().out


def test_exported_units_carry_the_hostile_beneficiaries_exactly(
    built: Built, tmp_path: Path
) -> None:
    assert main(["export", "cadt", "--db", db(built), "--out", str(tmp_path)]) == 0
    _h, units = read(tmp_path / "unit.csv")
    assert set(HOSTILE_BENEFICIARIES) <= {u["unitRetirementBeneficiary"] for u in units}
    raw = (tmp_path / "unit.csv").read_text(encoding="utf-8")
    assert "'=1+2" in raw and ",=1+2" not in raw


def test_export_of_a_store_with_no_ledger_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    assert main(["export", "offsetsdb", "--db", url, "--out", str(tmp_path / "out")]) == 2
    assert "run `carbon-ledger index` first" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_export_into_a_file_is_refused(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "taken"
    target.write_text("keep me")
    assert main(["export", "cadt", "--db", db(built), "--out", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert target.read_text() == "keep me"
