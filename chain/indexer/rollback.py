"""Undo everything the store derived from blocks above a common ancestor (a reorg).

The derived tables are a function of the ``events`` table, so undoing is: drop the events above
the ancestor, drop the rows they created, and rebuild the rows they changed (batches' ranges,
totals, labels and freeze flags; accounts; roles) from the events that remain. It runs inside
the caller's transaction, so the store is either fully rolled back or untouched.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chain.audit import genesis, predecessor_head, split_topics
from chain.domain import RangeState
from chain.events import LedgerEvent
from chain.indexer._pools import POOL_EVENTS, PoolMirror, PoolRows, write_pool_rows
from chain.indexer.writer import upsert
from chain.replay import BatchHoldings
from chain.store import schema as s
from chain.units import GRAMS_PER_TONNE, Unit


def rollback_to(conn: Connection, block: int, block_hash: str) -> int:
    """Make the store reflect the chain up to ``block`` only; returns the audit seq kept."""
    ev = s.events
    kept_seq = conn.execute(
        sa.select(sa.func.coalesce(sa.func.max(ev.c.seq), 0)).where(ev.c.block_number <= block)
    ).scalar_one()
    above = ev.c.seq > kept_seq
    touched_batches = set(
        conn.execute(
            sa.select(ev.c.batch_id).where(above, ev.c.batch_id.is_not(None)).distinct()
        ).scalars()
    )
    touched_accounts = set(
        conn.execute(sa.select(s.accounts.c.address).where(s.accounts.c.seq > kept_seq)).scalars()
    )
    touched_pools = {
        int(f["poolId"])
        for f in conn.execute(
            sa.select(ev.c.fields).where(above, ev.c.name.in_(sorted(POOL_EVENTS)))
        ).scalars()
    }
    touched_roles = {
        (str(f["role"]), str(f["account"]))
        for f in conn.execute(
            sa.select(ev.c.fields).where(above, ev.c.name == "RoleUpdated")
        ).scalars()
    }

    for table in (s.retirements, s.detokenisations, s.cancellations):
        conn.execute(table.delete().where(table.c.block_number > block))
    for table in (s.pool_unit_moves, s.pool_serial_moves):
        conn.execute(table.delete().where(table.c.seq > kept_seq))
    if touched_pools:
        for table in (s.pool_approvals, s.pool_balances, s.pool_list_entries):
            conn.execute(table.delete().where(table.c.pool_id.in_(touched_pools)))
        conn.execute(s.pools.delete().where(s.pools.c.id.in_(touched_pools)))
    if touched_batches:
        conn.execute(
            s.serial_ranges.delete().where(s.serial_ranges.c.batch_id.in_(touched_batches))
        )
    conn.execute(s.batches.delete().where(s.batches.c.block_number > block))
    conn.execute(s.project_links.delete().where(s.project_links.c.seq > kept_seq))
    conn.execute(s.projects.delete().where(s.projects.c.seq > kept_seq))
    conn.execute(s.programs.delete().where(s.programs.c.seq > kept_seq))
    conn.execute(ev.delete().where(above))
    conn.execute(s.blocks.delete().where(s.blocks.c.number > block))

    for batch_id in sorted(touched_batches):
        _rebuild_batch(conn, batch_id)
    for address in touched_accounts:
        _rebuild_account(conn, address)
    for role, account in touched_roles:
        _rebuild_role(conn, role, account)
    if touched_pools:
        _rebuild_pools(conn, touched_pools)
    _rebuild_programmes(conn)

    head = conn.execute(sa.select(ev.c.audit_head).where(ev.c.seq == kept_seq)).scalar_one_or_none()
    if head is None:  # rolled back to before the first event: the ledger's genesis head
        info = conn.execute(sa.select(s.chain_info)).one()
        first = conn.execute(sa.select(ev.c.topics).where(ev.c.seq == 1)).scalar_one_or_none()
        before = predecessor_head(split_topics(bytes(first))) if first is not None else None
        head = "0x" + genesis(int(info.chain_id), str(info.contract_address), before).hex()
    paused = conn.execute(
        sa.select(ev.c.fields).where(ev.c.name == "PauseChanged").order_by(ev.c.seq.desc()).limit(1)
    ).scalar_one_or_none()
    conn.execute(
        s.checkpoint.update().values(
            block_number=block,
            block_hash=block_hash,
            audit_seq=kept_seq,
            audit_head=head,
            paused=bool(paused["paused"]) if paused else False,
        )
    )
    return int(kept_seq)


def _rebuild_batch(conn: Connection, batch_id: int) -> None:
    batch = conn.execute(sa.select(s.batches).where(s.batches.c.id == batch_id)).one_or_none()
    if batch is None:
        return  # bridged above the ancestor: already deleted
    holdings = BatchHoldings(batch_id, batch.first_serial, batch.last_serial)
    values: dict[str, Any] = {"retired": 0, "detokenised": 0, "cancelled": 0, "frozen": False}
    values["labels"] = batch.labels
    last_seq: dict[int, int] = {}
    rows = conn.execute(
        sa.select(s.events.c.seq, s.events.c.name, s.events.c.fields)
        .where(s.events.c.batch_id == batch_id)
        .order_by(s.events.c.seq)
    )
    for seq, name, f in rows:
        if name == "BatchBridged":
            values["labels"] = int(f["issuance"]["labels"])
        elif name == "SerialsMoved":
            state = RangeState(int(f["state"]))
            first, last = int(f["firstSerial"]), int(f["lastSerial"])
            _, written = holdings.move(first, last, str(f["from"]), str(f["to"]), state)
            for r in written:
                last_seq[r.first] = seq
            if state != RangeState.HELD:
                values[state.label] += last - first + 1
        elif name == "LabelsUpdated":
            values["labels"] = int(f["labels"])
        elif name == "BatchFreezeChanged":
            values["frozen"] = bool(f["frozen"])
    conn.execute(s.batches.update().where(s.batches.c.id == batch_id).values(**values))
    upsert(
        conn,
        s.serial_ranges,
        [
            {
                "batch_id": batch_id,
                "first_serial": r.first,
                "last_serial": r.last,
                "holder": r.holder,
                "state": int(r.state),
                "seq": last_seq[r.first],
            }
            for r in holdings.ranges
        ],
    )


def _rebuild_pools(conn: Connection, pools: set[int]) -> None:
    """The pool rows of ``pools`` from the events that remain (their activity rows below the
    ancestor stay as they are)."""
    mirror, rows = PoolMirror(activity=False), PoolRows()
    ev = s.events
    names = sorted(POOL_EVENTS)
    for seq, name, block_number, tx_hash, f in conn.execute(
        sa.select(ev.c.seq, ev.c.name, ev.c.block_number, ev.c.tx_hash, ev.c.fields)
        .where(ev.c.name.in_(names))
        .order_by(ev.c.seq)
    ):
        if int(f["poolId"]) in pools:
            event = LedgerEvent(name, seq, block_number, "", tx_hash, 0, 0, dict(f), (), b"")
            mirror.apply(conn, rows, event)
    write_pool_rows(conn, rows)


def _rebuild_programmes(conn: Connection) -> None:
    """Each remaining programme's unit and buffer account, from the events that remain."""
    settings: dict[int, dict[str, Any]] = {}
    for name, f in conn.execute(
        sa.select(s.events.c.name, s.events.c.fields)
        .where(s.events.c.name.in_(("ProgramUnitSet", "ProgramBufferSet")))
        .order_by(s.events.c.seq)
    ):
        values = settings.setdefault(int(f["programId"]), {})
        if name == "ProgramUnitSet":
            values["unit_grams"] = Unit.from_chain(int(f["unitGrams"])).grams
        else:
            values["buffer_account"] = None if int(f["account"], 16) == 0 else f["account"]
    conn.execute(s.programs.update().values(unit_grams=GRAMS_PER_TONNE, buffer_account=None))
    for program_id, values in settings.items():
        conn.execute(s.programs.update().where(s.programs.c.id == program_id).values(values))


def _rebuild_account(conn: Connection, address: str) -> None:
    conn.execute(s.accounts.delete().where(s.accounts.c.address == address))
    for seq, f in conn.execute(
        sa.select(s.events.c.seq, s.events.c.fields)
        .where(s.events.c.name == "AccountUpdated")
        .order_by(s.events.c.seq)
    ):
        if f["account"] == address:
            upsert(
                conn,
                s.accounts,
                [{"address": address, "allowed": f["allowed"], "frozen": f["frozen"], "seq": seq}],
            )


def _rebuild_role(conn: Connection, role: str, account: str) -> None:
    conn.execute(s.roles.delete().where(s.roles.c.role == role, s.roles.c.account == account))
    granted: int | None = None
    for seq, f in conn.execute(
        sa.select(s.events.c.seq, s.events.c.fields)
        .where(s.events.c.name == "RoleUpdated")
        .order_by(s.events.c.seq)
    ):
        if f["role"] == role and f["account"] == account:
            granted = seq if f["granted"] else None
    if granted is not None:
        conn.execute(s.roles.insert().values(role=role, account=account, seq=granted))
