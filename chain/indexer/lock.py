"""One indexer per store: a lock held for as long as an indexer syncs or follows.

Two indexers writing one store (``serve`` runs one, an operator starts ``index --follow`` on the
same ``--db``) would corrupt nothing, each step being one transaction, but the loser of the race
stops on a primary-key conflict that does not say why. With the lock, the second one stops at
once with ``IndexerBusy``, naming the holder. It excludes only a second indexer: API writers and
readers never take it.

- A SQLite file: an exclusive, non-blocking ``flock`` on ``<database>.indexer-lock`` beside it,
  holding the holder's pid, host and start. The kernel drops it when the process dies, however
  it dies. The file is never deleted (deleting a lock file lets two holders lock two inodes).
- PostgreSQL: a session-level ``pg_try_advisory_lock`` on a dedicated autocommit connection (so
  it holds no transaction open), released when that connection closes or its client dies. The
  key is derived from a constant and the store's schema: stores in separate schemas of one
  database are separate stores.
- An in-memory SQLite store needs none: nothing outside its engine can reach it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import socket
from pathlib import Path
from types import TracebackType
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from chain.errors import IndexerBusy
from chain.store.engine import sqlite_file

LOCK_NAME = "carbon-ledger indexer"
"""What the PostgreSQL advisory key is derived from (with the schema)."""
LOCK_SUFFIX = ".indexer-lock"
"""The SQLite lock file is the database's path with this appended."""
_ADVICE = "stop it or index into another --db"


class _Held(Protocol):
    def release(self) -> None: ...


class StoreLock:
    """The single-writer lock of ``engine``'s store, re-entrant for one indexer: ``sync`` may
    run inside ``follow``; the lock is taken by the outermost and released when it exits."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._held: _Held | None = None
        self._depth = 0

    @property
    def depth(self) -> int:
        """How many nested holders are inside (0: not held)."""
        return self._depth

    def __enter__(self) -> StoreLock:
        if self._depth == 0:
            self._held = _acquire(self.engine)
        self._depth += 1
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth == 0 and self._held is not None:
            held, self._held = self._held, None
            held.release()


def _acquire(engine: Engine) -> _Held | None:
    """Take the store's lock, or raise ``IndexerBusy``; None for a store that needs none."""
    if engine.url.get_backend_name() == "postgresql":
        return _AdvisoryLock.take(engine)
    database = sqlite_file(engine.url)
    return None if database is None else _FileLock.take(database.resolve())


def _since(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _busy(holder: str, store: str) -> IndexerBusy:
    return IndexerBusy(f"another indexer ({holder}) is writing the store {store}; {_ADVICE}")


class _FileLock:
    """``flock`` on the side file; its content names the holder for whoever finds it taken."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    @classmethod
    def take(cls, database: Path) -> _FileLock:
        path = database.with_name(database.name + LOCK_SUFFIX)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise _busy(_file_holder(fd), str(database)) from None
            me = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": _since(dt.datetime.now(dt.UTC)),
            }
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(me).encode(), 0)
        except BaseException:
            os.close(fd)  # unlocks it too, if this one had taken it
            raise
        return cls(fd)

    def release(self) -> None:
        # Emptied first, so a stale name is never shown; the kernel would unlock on close anyway.
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)


def _file_holder(fd: int) -> str:
    """Who holds the lock, from its file (empty while the holder has not written it yet)."""
    try:
        found = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {int(found['pid'])} on host {found['host']}, since {found['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "whose pid is not recorded yet"


class _AdvisoryLock:
    """A session advisory lock on a connection of its own, outside the engine's pool."""

    def __init__(self, conn: Connection, key: int) -> None:
        self._conn = conn
        self._key = key

    @classmethod
    def take(cls, engine: Engine) -> _AdvisoryLock:
        conn = engine.connect()
        try:
            conn.execution_options(isolation_level="AUTOCOMMIT")  # no transaction held open
            conn.detach()  # closed, not pooled, afterwards: nothing set on it can leak
            schema = str(conn.scalar(sa.text("SELECT current_schema()")))
            key = _advisory_key(schema)
            conn.execute(
                sa.text("SELECT set_config('application_name', :name, false)"),
                {"name": f"{LOCK_NAME} pid {os.getpid()} on {socket.gethostname()}"},
            )
            if not conn.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key}):
                raise _busy(_pg_holder(conn, key), _pg_store(engine, schema))
        except BaseException:
            conn.close()
            raise
        return cls(conn, key)

    def release(self) -> None:
        try:
            self._conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
        except sa.exc.DBAPIError:
            pass  # the session is gone, and its lock with it
        finally:
            self._conn.close()


def _advisory_key(schema: str) -> int:
    """A fixed signed 64-bit key for the store whose tables are in ``schema``."""
    digest = hashlib.sha256(f"{LOCK_NAME}\0{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _pg_store(engine: Engine, schema: str) -> str:
    url = engine.url
    where = f"database {url.database} on {url.host or 'localhost'}:{url.port or 5432}"
    return where if schema == "public" else f"{where}, schema {schema}"


_APPLICATION = re.compile(rf"{LOCK_NAME} pid (\d+) on (.*)")


def _pg_holder(conn: Connection, key: int) -> str:
    """The holder's session, as far as this role may see it (another role's session shows
    only its backend pid without pg_read_all_stats)."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    row = conn.execute(
        sa.text(
            "SELECT a.pid, host(a.client_addr) AS client, a.application_name, a.backend_start"
            " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND l.classid = CAST(:high AS oid) AND l.objid = CAST(:low AS oid)"
        ),
        {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF},
    ).first()
    if row is None:
        return "whose session could not be found"
    parts = []
    named = _APPLICATION.fullmatch(row.application_name or "")
    if named is not None:
        parts.append(f"pid {named[1]} on host {named[2]}")
    parts.append(f"PostgreSQL backend {row.pid}")
    if row.client:
        parts.append(f"client {row.client}")
    if row.backend_start is not None:
        parts.append(f"since {_since(row.backend_start)}")
    return ", ".join(parts)
