"""The registry-format serials a pool write's answer names, wherever it is read: the 201 of
the write itself (``api.writes.pools``) and ``GET /v1/requests/{id}`` once it says
``confirmed`` (``api.writes.requests``). Both add them here, from the store, which holds the
write's block by then (read-your-writes), so the two answers cannot disagree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from api.reads.pools import batch_rows, range_serial
from api.submission.pool_actions import PoolDeposit, PoolRedeem, PoolRetire

RANGE_KINDS = frozenset(a.kind for a in (PoolDeposit, PoolRedeem, PoolRetire))
"""The kinds of the pool writes whose answers name ranges (a transfer names none)."""


def with_registry_serials(engine: Engine, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with the registry-format serial of each range it names (the store holds the
    write's block: read-your-writes)."""
    spans = [body, *body.get("ranges", []), *body.get("retirements", [])]
    ids = {int(x["batch_id"]) for x in spans if "batch_id" in x and "first_serial" in x}
    if not ids:
        return body
    with engine.connect() as conn:
        rows = batch_rows(conn, ids)

    def named(x: dict[str, Any]) -> dict[str, Any]:
        first, last = int(x["first_serial"]), int(x["last_serial"])
        return x | {"registry_serial": range_serial(rows, int(x["batch_id"]), first, last)}

    out = dict(body)
    if "first_serial" in out and "batch_id" in out:
        out = named(out)
    for field in ("ranges", "retirements"):
        if field in out:
            out[field] = [named(x) for x in out[field]]
    return out
