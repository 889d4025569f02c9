"""Reconciliation of the exports with the store they were read from, shared by the export
tests of the module, the API and the command."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from itertools import pairwise

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from chain.domain import RangeState
from chain.exports import cadt, offsetsdb
from chain.exports.csvsafe import ExportTable, restore
from chain.store import schema as s

FORMULA_STARTS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
BLANKS = " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
BLANKS += "\u200b\u200c\u200d\u200e\u200f\u202f\u205f\u3000\ufeff"


def runs_as_formula(cell: str) -> bool:
    """Whether a spreadsheet (or an importer that trims blanks first) reads ``cell`` as a
    formula: written here independently of ``chain.exports.csvsafe``."""
    rest = cell.lstrip(BLANKS)
    return bool(rest) and rest[0] in FORMULA_STARTS


def parse(table: ExportTable) -> list[dict[str, str]]:
    """The table written as CSV and read back by Python's csv reader, cells restored."""
    reader = csv.reader(io.StringIO(table.text(), newline=""))
    header = next(reader)
    assert header == list(table.fields)
    return [{k: restore(v) for k, v in zip(header, row, strict=True)} for row in reader]


def cadt_tables(engine: Engine) -> dict[str, ExportTable]:
    with engine.connect() as conn:
        return cadt.cadt_tables(conn)


def offsets_tables(engine: Engine) -> dict[str, ExportTable]:
    with engine.connect() as conn:
        return offsetsdb.offsetsdb_tables(conn)


def store_totals(engine: Engine) -> dict[int, dict[str, int]]:
    """Per batch: bridged, and held/retired/detokenised/cancelled from the holding ranges."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with engine.connect() as conn:
        for b in conn.execute(sa.select(s.batches)):
            out[int(b.id)]["bridged"] = int(b.quantity)
            out[int(b.id)]["retired_column"] = int(b.retired)
            out[int(b.id)]["cancelled_column"] = int(b.cancelled)
            out[int(b.id)]["detokenised_column"] = int(b.detokenised)
        for r in conn.execute(sa.select(s.serial_ranges)):
            state = RangeState(int(r.state)).label
            out[int(r.batch_id)][state] += int(r.last_serial) - int(r.first_serial) + 1
    return out


def check_cadt(engine: Engine) -> dict[str, int]:
    """The CADT units tile every batch and, by status, equal its stored tonnes; the tonnes
    checked by status."""
    tables = cadt_tables(engine)
    issuance_batch = {}
    with engine.connect() as conn:
        batch_ids = [
            int(i)
            for i in conn.execute(sa.select(s.batches.c.id).order_by(s.batches.c.id)).scalars()
        ]
    issuances = parse(tables["issuance"])
    assert len(issuances) == len(batch_ids)
    # Units name their issuance; the issuance ids are in batch order.
    for batch_id, row in zip(batch_ids, issuances, strict=True):
        issuance_batch[row["cadTrustIssuanceId"]] = batch_id
    sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for u in parse(tables["unit"]):
        batch_id = issuance_batch[u["cadTrustIssuanceId"]]
        first, last = int(u["unitStartBlock"]), int(u["unitEndBlock"])
        assert int(u["unitCount"]) == last - first + 1
        sums[batch_id][u["unitStatus"]] += int(u["unitCount"])
        spans[batch_id].append((first, last))
    totals = store_totals(engine)
    with engine.connect() as conn:
        bounds = {
            int(b.id): (int(b.first_serial), int(b.last_serial))
            for b in conn.execute(sa.select(s.batches))
        }
    checked: dict[str, int] = defaultdict(int)
    for batch_id, t in totals.items():
        got = sums[batch_id]
        assert got["Held"] == t["held"], batch_id
        assert got["Retired"] == t["retired"] == t["retired_column"], batch_id
        assert got["Inactive"] == t["detokenised"] == t["detokenised_column"], batch_id
        assert got["Cancelled"] == t["cancelled"] == t["cancelled_column"], batch_id
        assert sum(got.values()) == t["bridged"], batch_id
        # The units tile the batch: sorted, each starts where the last ended, no gap.
        ordered = sorted(spans[batch_id])
        assert ordered[0][0] == bounds[batch_id][0] and ordered[-1][1] == bounds[batch_id][1]
        for (_, a_last), (b_first, _) in pairwise(ordered):
            assert b_first == a_last + 1, batch_id
        for status, n in got.items():
            checked[status] += n
    return dict(checked)


def check_offsetsdb(engine: Engine) -> dict[str, int]:
    """The OffsetsDB credits and projects, summed, equal the store's tonnes; the tonnes by
    transaction type."""
    tables = offsets_tables(engine)
    credits = parse(tables["credits"])
    projects = parse(tables["projects"])
    by_type: dict[str, int] = defaultdict(int)
    for c in credits:
        by_type[c["transaction_type"]] += int(c["quantity"])
    totals = store_totals(engine)
    assert by_type["issuance"] == sum(t["bridged"] for t in totals.values())
    assert by_type["retirement"] == sum(t["retired"] for t in totals.values())
    assert by_type["cancellation"] == sum(t["cancelled"] for t in totals.values())
    assert by_type["detokenisation"] == sum(t["detokenised"] for t in totals.values())
    assert sum(int(p["issued"]) for p in projects) == by_type["issuance"]
    assert sum(int(p["retired"]) for p in projects) == by_type["retirement"]
    assert [int(c["id"]) for c in credits] == list(range(1, len(credits) + 1))
    return dict(by_type)
