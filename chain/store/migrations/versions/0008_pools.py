"""pools (issue 15): pools with their rules and lists, unit balances,
allowances and supply, and every pool operation with its exact serials

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ADDRESS = sa.String(length=42)
_HASH = sa.String(length=66)


def upgrade() -> None:
    op.create_table(
        "pools",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("token", _ADDRESS, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("programmes", _HASH, nullable=False),
        sa.Column("vintage_from", sa.BigInteger(), nullable=False),
        sa.Column("vintage_to", sa.BigInteger(), nullable=False),
        sa.Column("labels_required", sa.Integer(), nullable=False),
        sa.Column("country_mode", sa.SmallInteger(), nullable=False),
        sa.Column("type_mode", sa.SmallInteger(), nullable=False),
        sa.Column("methodology_mode", sa.SmallInteger(), nullable=False),
        sa.Column("supply", sa.BigInteger(), nullable=False),
        sa.Column("rules_seq", sa.BigInteger(), nullable=False),
        sa.Column("actor", _ADDRESS, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", _HASH, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pools")),
        sa.UniqueConstraint("token", name=op.f("uq_pools_token")),
    )
    op.create_table(
        "pool_list_entries",
        sa.Column("pool_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("tag", sa.String(length=18), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "kind", "tag", name=op.f("pk_pool_list_entries")),
    )
    op.create_table(
        "pool_balances",
        sa.Column("pool_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account", _ADDRESS, nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "account", name=op.f("pk_pool_balances")),
    )
    op.create_index(
        op.f("ix_pool_balances_account_pool_id"), "pool_balances", ["account", "pool_id"]
    )
    op.create_table(
        "pool_approvals",
        sa.Column("pool_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("owner", _ADDRESS, nullable=False),
        sa.Column("spender", _ADDRESS, nullable=False),
        sa.Column("amount", sa.String(length=78), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "owner", "spender", name=op.f("pk_pool_approvals")),
    )
    op.create_table(
        "pool_unit_moves",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("pool_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("from_account", _ADDRESS, nullable=False),
        sa.Column("to_account", _ADDRESS, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("actor", _ADDRESS, nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", _HASH, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_pool_unit_moves")),
    )
    op.create_index(op.f("ix_pool_unit_moves_pool_id_seq"), "pool_unit_moves", ["pool_id", "seq"])
    op.create_table(
        "pool_serial_moves",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("pool_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("account", _ADDRESS, nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("first_serial", sa.BigInteger(), nullable=False),
        sa.Column("last_serial", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", _HASH, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_pool_serial_moves")),
    )
    op.create_index(
        op.f("ix_pool_serial_moves_pool_id_seq"), "pool_serial_moves", ["pool_id", "seq"]
    )
    op.create_index(
        op.f("ix_pool_serial_moves_account_seq"), "pool_serial_moves", ["account", "seq"]
    )


def downgrade() -> None:
    op.drop_table("pool_serial_moves")
    op.drop_table("pool_unit_moves")
    op.drop_table("pool_approvals")
    op.drop_table("pool_balances")
    op.drop_table("pool_list_entries")
    op.drop_table("pools")
