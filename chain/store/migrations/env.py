"""Alembic environment: migrations run on the connection ``chain.store.engine.migrate`` passes."""

from __future__ import annotations

from alembic import context

from chain.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through chain.store.engine.migrate
    raise RuntimeError("run migrations through chain.store.engine.migrate")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
