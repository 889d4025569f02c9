"""Alembic environment: migrations run on the connection ``chain.store.engine.migrate`` passes.

The history creates the chain's mirror (``chain.store.schema``) and the API's own tables
(``api.tables``); each migration spells out its DDL, so running them needs neither module.
``target_metadata`` serves autogenerate only: the chain's tables unless the caller passes
both, as a ``target_metadata`` attribute (``[chain.store.schema.metadata,
api.tables.metadata]``), which the chain cannot import.
"""

from __future__ import annotations

from alembic import context

from chain.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through chain.store.engine.migrate
    raise RuntimeError("run migrations through chain.store.engine.migrate")
target = context.config.attributes.get("target_metadata", metadata)
context.configure(connection=connection, target_metadata=target, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
