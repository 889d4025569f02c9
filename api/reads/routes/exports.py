"""CSV downloads: an account's holdings and retirements, and the open-data exports (CADT v2,
OffsetsDB) of the whole ledger. The tables are built by ``chain.exports`` from the store;
these routes only choose the table and serve it (docs/EXPORTS.md)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Path
from fastapi.responses import Response
from sqlalchemy.engine import Connection

from api.deps import ReadConnection
from api.problems import not_found
from api.reads._common import NOT_FOUND, PROBLEMS, snapshot
from api.reads.routes._params import Address
from chain.exports import cadt, offsetsdb
from chain.exports.account import holdings_table, retirements_table
from chain.exports.csvsafe import ExportTable
from chain.exports.snapshot import Snapshot, read_snapshot
from chain.store import schema as s

router = APIRouter(tags=["exports"])

CSV = "text/csv; charset=utf-8"
CSV_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {"content": {CSV: {"schema": {"type": "string"}}}, "description": "RFC 4180 CSV"}
}
Table = Annotated[str, Path(max_length=40, pattern=r"^[a-z_]+$", description="a table name")]


Build = Callable[[Snapshot], dict[str, ExportTable]]
_built: dict[tuple[str, str], tuple[int, dict[str, ExportTable]]] = {}
_lock = threading.Lock()
_building: dict[tuple[str, str], threading.Lock] = {}


def ledger_export(conn: Connection, name: str, build: Build) -> dict[str, ExportTable]:
    """The export ``name`` of the store, built once per audit sequence number: a ledger's
    export changes only with its events, so requests between two events share one build
    rather than each reading the whole store, and concurrent requests wait for the one build
    in progress instead of starting their own."""
    snapshot(conn)  # one state of the store for the check and the build
    seq = conn.execute(sa.select(s.checkpoint.c.audit_seq)).scalar_one_or_none()
    key = (str(conn.engine.url), name)
    with _lock:
        building = _building.setdefault(key, threading.Lock())
    with building:
        hit = _built.get(key)
        if hit is not None and seq is not None and hit[0] == seq:
            return hit[1]
        snap = read_snapshot(conn)
        tables = build(snap)
        _built[key] = (snap.audit_seq, tables)
        return tables


def csv_response(table: ExportTable, filename: str) -> Response:
    return Response(
        table.text(),
        media_type=CSV,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/accounts/{address}/holdings.csv",
    response_class=Response,
    responses={**CSV_RESPONSE, **PROBLEMS},
)
def holdings_csv(conn: ReadConnection, address: Address) -> Response:
    """Every range the account holds live, one row a range, in batch and serial order."""
    table = holdings_table(conn, address)
    return csv_response(table, f"holdings-{address.lower()}.csv")


@router.get(
    "/accounts/{address}/retirements.csv",
    response_class=Response,
    responses={**CSV_RESPONSE, **PROBLEMS},
)
def retirements_csv(conn: ReadConnection, address: Address) -> Response:
    """Every retirement the account made, one row each, in id order."""
    table = retirements_table(conn, address)
    return csv_response(table, f"retirements-{address.lower()}.csv")


@router.get(
    "/exports/cadt/{table}.csv", response_class=Response, responses={**CSV_RESPONSE, **NOT_FOUND}
)
def cadt_csv(conn: ReadConnection, table: Table) -> Response:
    """One table of the CADT v2-shaped export (``project``, ``methodology``,
    ``project_methodology``, ``location``, ``issuance``, ``unit``, ``label``, ``unit_label``)."""
    if table not in cadt.TABLES:
        raise not_found(f"CADT table {table!r}")
    return csv_response(ledger_export(conn, "cadt", cadt.build)[table], f"cadt-{table}.csv")


@router.get(
    "/exports/offsetsdb/{table}.csv",
    response_class=Response,
    responses={**CSV_RESPONSE, **NOT_FOUND},
)
def offsetsdb_csv(conn: ReadConnection, table: Table) -> Response:
    """One table of the OffsetsDB-shaped export (``projects``, ``credits``)."""
    if table not in offsetsdb.TABLES:
        raise not_found(f"OffsetsDB table {table!r}")
    tables = ledger_export(conn, "offsetsdb", offsetsdb.build)
    return csv_response(tables[table], f"offsetsdb-{table}.csv")
