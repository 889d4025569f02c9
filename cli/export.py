"""``carbon-ledger export {cadt,offsetsdb}``: write the open-data export of the ledger the
store mirrors as CSV files, one a table (docs/EXPORTS.md)."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from cli._args import data_dir_arg, db_arg, store_url


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser(
        "export",
        help="write the CADT v2 or OffsetsDB export of the store as CSV files",
        description=(
            "Reads the query store only (run `carbon-ledger index` first). cadt writes "
            "project, methodology, project_methodology, location, issuance, unit, label and "
            "unit_label .csv; offsetsdb writes projects.csv and credits.csv."
        ),
    )
    export.add_argument("format", choices=("cadt", "offsetsdb"), help="which export")
    data_dir_arg(export)
    db_arg(export)
    export.add_argument(
        "--out", type=Path, required=True, help="folder to write the .csv files into"
    )
    export.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chain.errors import ConfigurationError
    from chain.exports import cadt, offsetsdb
    from chain.store.engine import open_store

    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise ConfigurationError(f"--out {str(out)!r} is a file, not a folder")
    engine = open_store(store_url(args))
    try:
        with engine.connect() as conn:
            tables = (
                cadt.cadt_tables(conn)
                if args.format == "cadt"
                else offsetsdb.offsetsdb_tables(conn)
            )
    finally:
        engine.dispose()
    out.mkdir(parents=True, exist_ok=True)
    # Every file is written whole beside its final name and renamed into place, so a reader
    # never sees half a table; all are written before any is renamed.
    staged: list[tuple[Path, Path]] = []
    try:
        for name, table in tables.items():
            fd, temp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".csv", dir=out)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                table.write(handle)
            staged.append((Path(temp_name), out / f"{name}.csv"))
        for temp, final in staged:
            temp.replace(final)
    finally:
        for leftover, _final in staged:
            leftover.unlink(missing_ok=True)
    for name, table in tables.items():
        print(f"{out / (name + '.csv')}: {len(table.rows):,} rows")
    return 0
