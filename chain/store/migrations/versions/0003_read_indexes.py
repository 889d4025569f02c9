"""indexes for the read API: retirements by batch, holder and beneficiary in id order; live
holdings by (holder, state)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("retirements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retirements_batch_id"))
        batch_op.drop_index(batch_op.f("ix_retirements_holder"))
        batch_op.create_index(batch_op.f("ix_retirements_batch_id_id"), ["batch_id", "id"])
        batch_op.create_index(batch_op.f("ix_retirements_holder_id"), ["holder", "id"])
        batch_op.create_index(batch_op.f("ix_retirements_beneficiary_id"), ["beneficiary", "id"])
    with op.batch_alter_table("serial_ranges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_serial_ranges_holder_batch_id_first_serial"))
        batch_op.create_index(
            batch_op.f("ix_serial_ranges_holder_state_batch_id_first_serial"),
            ["holder", "state", "batch_id", "first_serial"],
        )


def downgrade() -> None:
    with op.batch_alter_table("serial_ranges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_serial_ranges_holder_state_batch_id_first_serial"))
        batch_op.create_index(
            batch_op.f("ix_serial_ranges_holder_batch_id_first_serial"),
            ["holder", "batch_id", "first_serial"],
        )
    with op.batch_alter_table("retirements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retirements_beneficiary_id"))
        batch_op.drop_index(batch_op.f("ix_retirements_holder_id"))
        batch_op.drop_index(batch_op.f("ix_retirements_batch_id_id"))
        batch_op.create_index(batch_op.f("ix_retirements_holder"), ["holder"])
        batch_op.create_index(batch_op.f("ix_retirements_batch_id"), ["batch_id"])
