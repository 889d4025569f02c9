"""Opening the query store: SQLite under the data folder by default, PostgreSQL by URL.

``open_store`` creates the engine with the settings each backend needs and brings the schema
to the latest Alembic revision, so a store is always migrated before anything reads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from chain.errors import ConfigurationError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_FILE = "ledger.sqlite3"


def default_url(data_dir: Path) -> str:
    """The data folder's SQLite store."""
    return f"sqlite:///{(data_dir / SQLITE_FILE).resolve()}"


def sqlite_file(url: sa.URL) -> Path | None:
    """The file of a SQLite store's URL; None for an in-memory one, or another backend."""
    if url.get_backend_name() != "sqlite":
        return None
    if url.database in (None, "", ":memory:") or url.query.get("mode") == "memory":
        return None
    return Path(url.database)


def create_store_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///…`` or ``postgresql://…``)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        engine = sa.create_engine(url, future=True, pool_pre_ping=True)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise ConfigurationError(f"unusable store URL {_shown(url)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        path = sqlite_file(engine.url)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigurationError(
                    f"cannot create the store folder for {path}: {exc}"
                ) from exc
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


def _shown(url: str) -> str:
    """The URL, quoted, with any password masked, for messages."""
    try:
        return repr(sa.engine.make_url(url).render_as_string(hide_password=True))
    except sa.exc.ArgumentError:
        return repr(url)  # not a URL at all, so there is no password to find in it


def _sqlite_begin(connection: Any) -> None:
    # With the driver's own transaction handling off (see _sqlite_pragmas), SQLAlchemy's
    # transactions become real SQLite transactions, DDL included: a first migration that is
    # interrupted leaves no half-made schema behind.
    connection.exec_driver_sql("BEGIN")


SQLITE_PAGE_SIZE = 16384


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun explicitly: _sqlite_begin
    cursor = dbapi_connection.cursor()
    # Only a new, empty file takes it (before WAL is on): 16 KiB pages make the indexer's bulk
    # writes about 6 % faster than SQLite's default 4 KiB (bench/indexer.py, 200,000 events).
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
    # WAL lets the API read while the indexer writes; NORMAL is durable at every WAL checkpoint
    # and never corrupts: a crash can only lose the last commits, which the indexer re-applies.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def migrate(engine: Engine) -> str:
    """Upgrade the schema to the latest revision; returns it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        revision = MigrationContext.configure(connection).get_current_revision()
    return str(revision)


def open_store(url: str) -> Engine:
    """Engine for ``url`` with the schema migrated to head."""
    engine = create_store_engine(url)
    try:
        migrate(engine)
    except sa.exc.OperationalError as exc:
        shown = engine.url.render_as_string(hide_password=True)
        raise ConfigurationError(f"cannot open the store at {shown}: {exc.orig}") from exc
    return engine
