"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_accounts")),
    )
    op.create_table(
        "blocks",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("parent_hash", sa.String(length=66), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_blocks")),
    )
    op.create_table(
        "chain_info",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("genesis_hash", sa.String(length=66), nullable=False),
        sa.Column("contract_address", sa.String(length=42), nullable=False),
        sa.Column("deploy_block", sa.BigInteger(), nullable=False),
        sa.Column("deploy_block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_info")),
    )
    op.create_table(
        "checkpoint",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("audit_seq", sa.BigInteger(), nullable=False),
        sa.Column("audit_head", sa.String(length=66), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoint")),
    )
    op.create_table(
        "events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("topics", sa.LargeBinary(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("audit_head", sa.String(length=66), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_batch_id_seq"), ["batch_id", "seq"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_events_block_number_log_index"),
            ["block_number", "log_index"],
            unique=True,
        )

    op.create_table(
        "programs",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programs")),
        sa.UniqueConstraint("code", name=op.f("uq_programs_code")),
    )
    op.create_table(
        "roles",
        sa.Column("role", sa.String(length=66), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("role", "account", name=op.f("pk_roles")),
    )
    op.create_table(
        "projects",
        sa.Column("key", sa.String(length=66), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("country", sa.Text(), nullable=False),
        sa.Column("methodology", sa.Text(), nullable=False),
        sa.Column("project_type", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_projects_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_projects")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_projects_program_id_project_id"),
            ["program_id", "project_id"],
            unique=False,
        )

    op.create_table(
        "batches",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("project_key", sa.String(length=66), nullable=False),
        sa.Column("namespace", sa.Text(), nullable=False),
        sa.Column("first_serial", sa.BigInteger(), nullable=False),
        sa.Column("last_serial", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("recipient", sa.String(length=42), nullable=False),
        sa.Column("vintage_start", sa.Integer(), nullable=False),
        sa.Column("vintage_end", sa.Integer(), nullable=False),
        sa.Column("labels", sa.Integer(), nullable=False),
        sa.Column("metadata_hash", sa.String(length=66), nullable=False),
        sa.Column("registry_reference", sa.Text(), nullable=False),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.Column("retired", sa.BigInteger(), nullable=False),
        sa.Column("detokenised", sa.BigInteger(), nullable=False),
        sa.Column("cancelled", sa.BigInteger(), nullable=False),
        sa.Column("bridged_by", sa.String(length=42), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_batches_program_id_programs")
        ),
        sa.ForeignKeyConstraint(
            ["project_key"], ["projects.key"], name=op.f("fk_batches_project_key_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_batches_program_id_namespace_first_serial"),
            ["program_id", "namespace", "first_serial"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_batches_project_key"), ["project_key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_batches_vintage_start"), ["vintage_start"], unique=False
        )

    op.create_table(
        "cancellations",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(length=42), nullable=False),
        sa.Column("first_serial", sa.BigInteger(), nullable=False),
        sa.Column("last_serial", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_cancellations_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_cancellations")),
    )
    with op.batch_alter_table("cancellations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cancellations_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "detokenisations",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(length=42), nullable=False),
        sa.Column("first_serial", sa.BigInteger(), nullable=False),
        sa.Column("last_serial", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("registry_reference", sa.Text(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_detokenisations_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_detokenisations")),
    )
    with op.batch_alter_table("detokenisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_detokenisations_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "retirements",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(length=42), nullable=False),
        sa.Column("first_serial", sa.BigInteger(), nullable=False),
        sa.Column("last_serial", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("beneficiary", sa.Text(), nullable=False),
        sa.Column("purpose", sa.SmallInteger(), nullable=False),
        sa.Column("jurisdiction", sa.Text(), nullable=False),
        sa.Column("consumption_start", sa.Integer(), nullable=False),
        sa.Column("consumption_end", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("retired_on", sa.Integer(), nullable=False),
        sa.Column("mirrored", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(length=42), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_retirements_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retirements")),
    )
    with op.batch_alter_table("retirements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retirements_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_retirements_holder"), ["holder"], unique=False)

    op.create_table(
        "serial_ranges",
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("first_serial", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_serial", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(length=42), nullable=False),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_serial_ranges_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("batch_id", "first_serial", name=op.f("pk_serial_ranges")),
    )
    with op.batch_alter_table("serial_ranges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_serial_ranges_holder_batch_id_first_serial"),
            ["holder", "batch_id", "first_serial"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("serial_ranges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_serial_ranges_holder_batch_id_first_serial"))

    op.drop_table("serial_ranges")
    with op.batch_alter_table("retirements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retirements_holder"))
        batch_op.drop_index(batch_op.f("ix_retirements_batch_id"))

    op.drop_table("retirements")
    with op.batch_alter_table("detokenisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_detokenisations_batch_id"))

    op.drop_table("detokenisations")
    with op.batch_alter_table("cancellations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cancellations_batch_id"))

    op.drop_table("cancellations")
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batches_vintage_start"))
        batch_op.drop_index(batch_op.f("ix_batches_project_key"))
        batch_op.drop_index(batch_op.f("ix_batches_program_id_namespace_first_serial"))

    op.drop_table("batches")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_program_id_project_id"))

    op.drop_table("projects")
    op.drop_table("roles")
    op.drop_table("programs")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_block_number_log_index"))
        batch_op.drop_index(batch_op.f("ix_events_batch_id_seq"))

    op.drop_table("events")
    op.drop_table("checkpoint")
    op.drop_table("chain_info")
    op.drop_table("blocks")
    op.drop_table("accounts")
