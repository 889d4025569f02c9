"""Buffer pools: each programme's unit, buffer account and what that account holds, and the
buffer reversals (``BufferReversed``) that made good a reversed batch from a programme's buffer.

A programme admin names the programme's buffer account on-chain (``ProgramBufferSet``); the
importer bridges the buffer share of an issuance to it as its own batch; a reversal cancels
buffer-held serials with a reason and the reversed batch's id (docs/ARCHITECTURE.md, "Units
and buffer pools"). Tonnes are exact (``chain.units``).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api.reads._common import ExactTonnes, JsonInt, Model, snapshot
from chain.domain import RangeState
from chain.store import schema as s
from chain.units import Unit

b, c, p, r = s.batches, s.cancellations, s.programs, s.serial_ranges

MAX_REVERSALS = 100
"""The reversals a batch's read lists (newest last); more is a matter for the event log."""


class ProgrammeBuffer(Model):
    """A programme, its unit and its buffer pool."""

    program: str
    program_id: int
    unit_grams: int
    """Grams of CO2e one serial is (1,000,000: a tonne; 1,000: a kilogram)."""
    buffer_account: str | None
    """The account its programme admin set as the buffer (``null`` while none is set)."""
    buffer_held: JsonInt
    """Serials of the programme the buffer account holds live."""
    buffer_held_tonnes: ExactTonnes
    reversed_tonnes: ExactTonnes
    """Buffer credits cancelled for reversals so far, in tonnes."""


class Reversal(Model):
    """Buffer credits cancelled to make good a reversal of ``reversed_batch_id``."""

    seq: int
    """The audit ``seq`` of the ``BufferReversed`` event."""
    batch_id: int
    """The buffer batch whose serials were cancelled."""
    reversed_batch_id: int
    holder: str
    """The buffer account that held them."""
    first_serial: JsonInt
    last_serial: JsonInt
    quantity: JsonInt
    tonnes: ExactTonnes
    reason: str
    actor: str
    block_number: int
    tx_hash: str


def programme_buffers(conn: Connection) -> list[ProgrammeBuffer]:
    """Every programme in id order with its unit and buffer pool."""
    snapshot(conn)
    held: dict[int, int] = dict(
        (int(k), int(v))
        for k, v in conn.execute(
            sa.select(b.c.program_id, sa.func.sum(r.c.last_serial - r.c.first_serial + 1))
            .select_from(r.join(b, b.c.id == r.c.batch_id).join(p, p.c.id == b.c.program_id))
            .where(r.c.holder == p.c.buffer_account, r.c.state == int(RangeState.HELD))
            .group_by(b.c.program_id)
        )
    )
    reversed_: dict[int, int] = dict(
        (int(k), int(v))
        for k, v in conn.execute(
            sa.select(b.c.program_id, sa.func.sum(c.c.quantity))
            .select_from(c.join(b, b.c.id == c.c.batch_id))
            .where(c.c.reversed_batch_id.is_not(None))
            .group_by(b.c.program_id)
        )
    )
    out = []
    for row in conn.execute(sa.select(p).order_by(p.c.id)):
        unit = Unit(int(row.unit_grams))
        count = int(held.get(row.id) or 0)
        out.append(
            ProgrammeBuffer(
                program=row.code,
                program_id=row.id,
                unit_grams=unit.grams,
                buffer_account=row.buffer_account,
                buffer_held=count,
                buffer_held_tonnes=unit.tonnes(count),
                reversed_tonnes=unit.tonnes(int(reversed_.get(row.id) or 0)),
            )
        )
    return out


def reversals_of(conn: Connection, batch_id: int) -> list[Reversal]:
    """The buffer reversals that made good batch ``batch_id``, oldest first (at most
    ``MAX_REVERSALS``)."""
    rows = conn.execute(
        sa.select(c, p.c.unit_grams)
        .select_from(c.join(b, b.c.id == c.c.batch_id).join(p, p.c.id == b.c.program_id))
        .where(c.c.reversed_batch_id == batch_id)
        .order_by(c.c.seq)
        .limit(MAX_REVERSALS)
    )
    return [
        Reversal(
            seq=row.seq,
            batch_id=row.batch_id,
            reversed_batch_id=row.reversed_batch_id,
            holder=row.holder,
            first_serial=row.first_serial,
            last_serial=row.last_serial,
            quantity=row.quantity,
            tonnes=Unit(int(row.unit_grams)).tonnes(int(row.quantity)),
            reason=row.reason,
            actor=row.actor,
            block_number=row.block_number,
            tx_hash=row.tx_hash,
        )
        for row in rows
    ]
