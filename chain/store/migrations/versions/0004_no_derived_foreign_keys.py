"""the tables the indexer derives from the chain declare no foreign keys; batches leave room
for in-place updates on PostgreSQL

Their one writer, the indexer, derives every row in chain order from events the contract has
already checked, and ``audit verify`` diffs every row against the chain; a foreign key only
made each row written look its parent up (and, on PostgreSQL, lock it): a catch-up there took
12.3 and 11.6 s without them against 13.2 and 14.5 s with them (docs/ARCHITECTURE.md,
"Catching up").

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# (table, column, referred table, referred column), in the schema's naming convention's terms.
FOREIGN_KEYS = (
    ("projects", "program_id", "programs", "id"),
    ("batches", "program_id", "programs", "id"),
    ("batches", "project_key", "projects", "key"),
    ("serial_ranges", "batch_id", "batches", "id"),
    ("retirements", "batch_id", "batches", "id"),
    ("detokenisations", "batch_id", "batches", "id"),
    ("cancellations", "batch_id", "batches", "id"),
)
BATCHES_FILLFACTOR = 50
"""Each catch-up updates a batch's totals again and again; with half of each page free,
PostgreSQL updates it in place (a HOT update) without touching the batches' indexes."""


def _name(table: str, column: str, referred: str) -> str:
    return f"fk_{table}_{column}_{referred}"


def upgrade() -> None:
    for table, column, referred, _ in FOREIGN_KEYS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(_name(table, column, referred), type_="foreignkey")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE batches SET (fillfactor = {BATCHES_FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE batches RESET (fillfactor)")
    for table, column, referred, referred_column in reversed(FOREIGN_KEYS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(
                _name(table, column, referred), referred, [column], [referred_column]
            )
