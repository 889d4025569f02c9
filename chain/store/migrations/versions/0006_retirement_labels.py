"""retirements record the batch labels they relied on (``CreditsRetired.labels``); NULL for a
retirement indexed before the ledger recorded them

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch_alter_table: SQLite alters by copying the table, PostgreSQL alters in place.
    with op.batch_alter_table("retirements") as batch:
        batch.add_column(sa.Column("labels", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("retirements") as batch:
        batch.drop_column("labels")
