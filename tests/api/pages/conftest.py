"""Fixtures for the page tests: the demo's store (once per session), its hostile copy, and
clients over them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from chain.store.engine import open_store
from tests.api.pages.support import (
    DemoStore,
    HostileStore,
    demo_store,
    hostile_store,
    open_demo,
    pages_app,
)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoStore:
    return demo_store(tmp_path_factory)


@pytest.fixture(scope="session")
def engine(demo: DemoStore) -> Iterator[Engine]:
    engine = open_demo(demo)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app(engine: Engine) -> FastAPI:
    return pages_app(engine)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    """A fresh client per test: the language cookie one test sets must not leak into the next."""
    return TestClient(app)


@pytest.fixture
def empty_client(tmp_path: Path) -> Iterator[TestClient]:
    """Pages over a freshly migrated store that no indexer has written to yet."""
    engine = open_store(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    yield TestClient(pages_app(engine))
    engine.dispose()


@pytest.fixture(scope="session")
def hostile(demo: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileStore]:
    """The demo's store with hostile text in its rows (``support.BENEFICIARIES``)."""
    store = hostile_store(demo, tmp_path_factory.mktemp("hostile"))
    yield store
    store.engine.dispose()


@pytest.fixture(scope="session")
def hostile_app(hostile: HostileStore) -> FastAPI:
    return pages_app(hostile.engine)


@pytest.fixture
def hostile_client(hostile_app: FastAPI) -> TestClient:
    return TestClient(hostile_app)
