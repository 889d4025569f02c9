"""retirements indexed by (batch_id, id) and (holder, id)

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


def downgrade() -> None:
    with op.batch_alter_table("retirements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retirements_holder_id"))
        batch_op.drop_index(batch_op.f("ix_retirements_batch_id_id"))
        batch_op.create_index(batch_op.f("ix_retirements_holder"), ["holder"])
        batch_op.create_index(batch_op.f("ix_retirements_batch_id"), ["batch_id"])
