"""Fixtures for the query store and indexer tests (tests/chain/store, tests/chain/indexer).

- ``store_url`` / ``store_factory``: parametrised over SQLite (a file in the test's tmp folder)
  and PostgreSQL (the local server at 127.0.0.1:5432, user ``postgres``). The session creates
  one database ``carbon_ledger_test_<hex>`` and drops it at the end (``WITH (FORCE)``); every
  store a test asks for is a fresh schema in it, selected through ``search_path`` in the URL,
  so a test may hold several independent PostgreSQL stores at once.
- ``anvil_node``: one anvil per test module (``chain.anvil.LocalNode`` in a tmp folder: pruned
  history, its own cache folder, automine); ``anvil_ledger``: a freshly deployed and
  configured ledger on it for each test (see ``tests.chain.indexer.support``).
"""

from __future__ import annotations

import itertools
import os
import secrets
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import Engine
from web3 import Web3

from chain.anvil import LocalNode, NodeOptions
from chain.store.engine import open_store
from chain.transactions import NonceManager
from tests.chain.indexer.support import AnvilLedger, deploy_anvil_ledger, set_automine

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"


def _pg_admin() -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=PG_HOST,
        port=PG_PORT,
        user=PG_USER,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    )


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database of our own on the local server, dropped (forcefully) at session end."""
    name = f"carbon_ledger_test_{secrets.token_hex(6)}"
    try:
        admin = _pg_admin()
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {PG_HOST}:{PG_PORT} is not reachable: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_url(database: str, schema: str | None = None) -> str:
    url = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"
    return f"{url}?options=-csearch_path%3D{schema}" if schema else url


_schemas = itertools.count(1)


def new_pg_schema(database: str) -> str:
    schema = f"s{next(_schemas)}_{secrets.token_hex(3)}"
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database, autocommit=True
    ) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


StoreFactory = Callable[[], str]


@pytest.fixture
def store_factory(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> StoreFactory:
    """Makes URLs of fresh, empty stores of the test's backend."""
    counter = itertools.count(1)
    database = request.getfixturevalue("pg_database") if backend == "postgresql" else None

    def make() -> str:
        n = next(counter)
        if database is None:
            return f"sqlite:///{tmp_path / f'store{n}.sqlite3'}"
        return pg_url(database, new_pg_schema(database))

    return make


@pytest.fixture
def store_url(store_factory: StoreFactory) -> str:
    return store_factory()


EngineOpener = Callable[[str], Engine]


@pytest.fixture
def open_engine() -> Iterator[EngineOpener]:
    """``open_store`` whose engines are disposed of when the test ends."""
    engines: list[Engine] = []

    def opener(url: str) -> Engine:
        engine = open_store(url)
        engines.append(engine)
        return engine

    yield opener
    for engine in engines:
        engine.dispose()


@pytest.fixture
def store(store_url: str, open_engine: EngineOpener) -> Engine:
    """A migrated, empty store of the test's backend."""
    return open_engine(store_url)


# ---------------------------------------------------------------- anvil


@pytest.fixture(scope="module")
def anvil_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNode]:
    node = LocalNode(tmp_path_factory.mktemp("anvil"), NodeOptions())
    node.start()
    try:
        yield node
    finally:
        # Nothing to keep: SIGKILL our own anvil (by pid) instead of waiting for its state dump.
        if node.pid is not None and node.is_running():
            os.kill(node.pid, signal.SIGKILL)
        node.stop()


@pytest.fixture(scope="module")
def anvil_w3(anvil_node: LocalNode) -> Web3:
    return Web3(Web3.HTTPProvider(anvil_node.url, request_kwargs={"timeout": 60}))


@pytest.fixture(scope="module")
def anvil_nonces(anvil_w3: Web3) -> NonceManager:
    return NonceManager(anvil_w3)


@pytest.fixture
def anvil_ledger(anvil_w3: Web3, anvil_nonces: NonceManager) -> AnvilLedger:
    """A new ledger deployed on the module's anvil, mining on every transaction."""
    set_automine(anvil_w3, True)
    anvil_nonces.reset()
    return deploy_anvil_ledger(anvil_w3, anvil_nonces)
