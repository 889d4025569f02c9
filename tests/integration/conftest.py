"""The pipeline tests' PostgreSQL database: the store tests' session database, reused."""

from __future__ import annotations

from tests.chain.conftest import pg_database

__all__ = ["pg_database"]
