"""programme units and buffer pools (issue 16 items 2 and 3): ``programs.unit_grams`` (grams
per serial, 1,000,000 for a tonne: every programme before this one), ``programs.buffer_account``
and ``cancellations.reversed_batch_id`` (a buffer reversal's reversed batch)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.add_column(
            sa.Column(
                "unit_grams", sa.BigInteger(), nullable=False, server_default=sa.text("1000000")
            )
        )
        batch.add_column(sa.Column("buffer_account", sa.String(length=42), nullable=True))
    with op.batch_alter_table("cancellations") as batch:
        batch.add_column(sa.Column("reversed_batch_id", sa.BigInteger(), nullable=True))
    op.create_index(
        op.f("ix_cancellations_reversed_batch_id"),
        "cancellations",
        ["reversed_batch_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_cancellations_reversed_batch_id"), table_name="cancellations")
    with op.batch_alter_table("cancellations") as batch:
        batch.drop_column("reversed_batch_id")
    with op.batch_alter_table("programs") as batch:
        batch.drop_column("buffer_account")
        batch.drop_column("unit_grams")
