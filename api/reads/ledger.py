"""The ledger as the store holds it: which chain and contract it mirrors, how far it has indexed
(block, audit seq and head, pause flag), and its programmes' codes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api.reads._common import Model
from chain.store import schema as s

pr = s.programs


class LedgerStatus(Model):
    """The store's ``chain_info`` and ``checkpoint``; ``None`` where the store has none yet."""

    chain_id: int | None
    contract: str | None
    genesis_hash: str | None
    deploy_block: int | None
    block: int | None
    audit_seq: int
    audit_head: str | None
    paused: bool
    updated_at: int | None


def ledger_status(conn: Connection) -> LedgerStatus:
    info = conn.execute(sa.select(s.chain_info)).mappings().first()
    cp = conn.execute(sa.select(s.checkpoint)).mappings().first()
    return LedgerStatus(
        chain_id=_opt(info, "chain_id"),
        contract=info["contract_address"] if info else None,
        genesis_hash=info["genesis_hash"] if info else None,
        deploy_block=_opt(info, "deploy_block"),
        block=_opt(cp, "block_number"),
        audit_seq=int(cp["audit_seq"]) if cp else 0,
        audit_head=cp["audit_head"] if cp else None,
        paused=bool(cp["paused"]) if cp else False,
        updated_at=_opt(cp, "updated_at"),
    )


def _opt(row: Mapping[Any, Any] | None, key: str) -> int | None:
    return None if row is None or row[key] is None else int(row[key])


def program_list(conn: Connection) -> list[str]:
    """Every programme's code, in id (registration) order."""
    return [str(c) for c in conn.execute(sa.select(pr.c.code).order_by(pr.c.id)).scalars()]


def batch_units(conn: Connection, ids: set[int]) -> dict[int, int]:
    """The unit (grams per serial, ``chain.units``) of batches ``ids``' programmes."""
    if not ids:
        return {}
    b = s.batches
    rows = conn.execute(
        sa.select(b.c.id, pr.c.unit_grams)
        .join(pr, pr.c.id == b.c.program_id)
        .where(b.c.id.in_(sorted(ids)))
    )
    return {int(row.id): int(row.unit_grams) for row in rows}


def program_codes(conn: Connection, ids: set[int]) -> dict[int, str]:
    """The codes of programmes ``ids`` (by primary key; nothing is read for none)."""
    if not ids:
        return {}
    rows = conn.execute(sa.select(pr.c.id, pr.c.code).where(pr.c.id.in_(sorted(ids))))
    return {int(row.id): str(row.code) for row in rows}
