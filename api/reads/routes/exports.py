"""CSV downloads: an account's holdings and retirements, and the open-data exports (CADT v2,
OffsetsDB) of the whole ledger. The tables are built by ``chain.exports`` from the store;
these routes only choose the table and serve it (docs/EXPORTS.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from api.deps import ReadConnection
from api.problems import not_found
from api.reads._common import NOT_FOUND, PROBLEMS
from api.reads.routes._params import Address
from chain.exports import cadt, offsetsdb
from chain.exports.account import holdings_table, retirements_table
from chain.exports.csvsafe import ExportTable

router = APIRouter(tags=["exports"])

CSV = "text/csv; charset=utf-8"
CSV_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {"content": {CSV: {"schema": {"type": "string"}}}, "description": "RFC 4180 CSV"}
}
Table = Annotated[str, Path(max_length=40, pattern=r"^[a-z_]+$", description="a table name")]


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
    return csv_response(cadt.cadt_tables(conn)[table], f"cadt-{table}.csv")


@router.get(
    "/exports/offsetsdb/{table}.csv",
    response_class=Response,
    responses={**CSV_RESPONSE, **NOT_FOUND},
)
def offsetsdb_csv(conn: ReadConnection, table: Table) -> Response:
    """One table of the OffsetsDB-shaped export (``projects``, ``credits``)."""
    if table not in offsetsdb.TABLES:
        raise not_found(f"OffsetsDB table {table!r}")
    return csv_response(offsetsdb.offsetsdb_tables(conn)[table], f"offsetsdb-{table}.csv")
