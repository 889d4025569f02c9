"""project links across programmes (``ProjectLinkRecorded``, step 2): the accepted links and
the link group each pair joined, for ``audit verify``'s cross-programme overlap check

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_links",
        sa.Column("project_key", sa.String(length=66), nullable=False),
        sa.Column("other_key", sa.String(length=66), nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=42), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("project_key", "other_key", name=op.f("pk_project_links")),
    )
    op.create_index(op.f("ix_project_links_group_id"), "project_links", ["group_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_project_links_group_id"), table_name="project_links")
    op.drop_table("project_links")
