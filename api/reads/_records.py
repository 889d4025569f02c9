"""The store check of the spent records: every retirement, detokenisation and cancellation row
must be exactly what its event says (and no row may lack an event, or an event its row).

Events and rows are streamed side by side in key order (retirement id, or ``seq``), so memory
stays flat however many there are. The events' ``fields`` are used as decoded: the event pass
of ``storecheck`` has already proven them equal to the raw log bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from chain.store import schema as s

Expected = Callable[[Row[Any]], dict[str, Any]]
Add = Callable[[str, int | None, str | None, str, str], None]


def _retirement(e: Row[Any]) -> dict[str, Any]:
    f, r = e.fields, e.fields["retirement"]
    return {
        "id": f["retirementId"],
        "batch_id": r["batchId"],
        "holder": f["holder"],
        "first_serial": r["firstSerial"],
        "last_serial": r["lastSerial"],
        "quantity": r["lastSerial"] - r["firstSerial"] + 1,
        "beneficiary": r["beneficiary"],
        "purpose": r["purpose"],
        "jurisdiction": r["jurisdiction"],
        "consumption_start": r["consumptionStart"],
        "consumption_end": r["consumptionEnd"],
        "note": r["note"],
        "retired_on": f["retiredOn"],
        "mirrored": f["mirrored"],
        "actor": f["actor"],
        "labels": f["labels"],
        "seq": e.seq,
        "block_number": e.block_number,
        "tx_hash": e.tx_hash,
    }


def _spent(e: Row[Any]) -> dict[str, Any]:
    f = e.fields
    out = {
        "seq": e.seq,
        "batch_id": f["batchId"],
        "holder": f["holder"],
        "first_serial": f["firstSerial"],
        "last_serial": f["lastSerial"],
        "quantity": f["lastSerial"] - f["firstSerial"] + 1,
        "block_number": e.block_number,
        "tx_hash": e.tx_hash,
    }
    if e.name == "CreditsDetokenised":
        out["registry_reference"] = f["registryReference"]
    else:
        out.update(reason=f["reason"], actor=f["actor"])
    return out


RECORDS: tuple[tuple[str, sa.Table, str, Expected], ...] = (
    ("CreditsRetired", s.retirements, "id", _retirement),
    ("CreditsDetokenised", s.detokenisations, "seq", _spent),
    ("CreditsCancelled", s.cancellations, "seq", _spent),
)


def _stream(conn: Connection, query: sa.Select[Any]) -> Iterator[Row[Any]]:
    yield from conn.execution_options(yield_per=5000).execute(query)


def compare_records(conn: Connection, add: Add) -> None:
    """Report (through ``add(kind, block, event, field, message)``) every record row that its
    event does not imply, in key order."""
    e = s.events
    for name, table, key, expected in RECORDS:
        events = _stream(conn, sa.select(e).where(e.c.name == name).order_by(e.c.seq))
        rows = _stream(conn, sa.select(table).order_by(table.c[key]))
        want = next((expected(x) for x in events), None)
        have = next(rows, None)
        while want is not None or have is not None:
            if have is None or (want is not None and want[key] < have._mapping[key]):
                assert want is not None
                add(
                    "store",
                    want["block_number"],
                    table.name,
                    "row",
                    f"{table.name} {key} {want[key]} is missing",
                )
                want = next((expected(x) for x in events), None)
            elif want is None or have._mapping[key] < want[key]:
                add(
                    "store",
                    have.block_number,
                    table.name,
                    "row",
                    f"{table.name} {key} {have._mapping[key]} has no event",
                )
                have = next(rows, None)
            else:
                for column, value in want.items():
                    if have._mapping[column] != value:
                        add(
                            "store",
                            want["block_number"],
                            table.name,
                            column,
                            f"{table.name} {key} {want[key]}: stored "
                            f"{have._mapping[column]!r}, the event says {value!r}",
                        )
                        break
                want = next((expected(x) for x in events), None)
                have = next(rows, None)
