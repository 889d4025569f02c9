"""the indexer records why it stopped (``indexer_halt``), so ``audit verify``, ``/readyz``
and the dashboard can name the halt and the event that caused it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indexer_halt",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("event", sa.String(length=40), nullable=True),
        sa.Column("stopped_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indexer_halt")),
    )


def downgrade() -> None:
    op.drop_table("indexer_halt")
