"""/healthz and /readyz: ready only once the indexer has caught up and the store answers."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import Services
from api.settings import Settings
from chain.store.engine import open_store


@pytest.fixture
def services(tmp_path: Path) -> Services:
    return Services(Settings(dev=True), open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}"))


@pytest.fixture
def client(services: Services) -> TestClient:
    return TestClient(create_app(services))


def test_healthz_answers_without_the_indexer(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_503_before_the_indexer_has_looked(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "not reached the chain" in response.json()["detail"]


def test_readyz_is_503_while_the_indexer_is_behind(client: TestClient, services: Services) -> None:
    services.indexer.head, services.indexer.block = 100, 90
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["lag"] == 10
    assert "10 blocks behind head 100" in body["detail"]


def test_readyz_is_200_within_the_allowed_lag(client: TestClient, services: Services) -> None:
    lag = services.settings.ready_lag_blocks
    services.indexer.head, services.indexer.block = 100, 100 - lag
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "head": 100, "block": 100 - lag, "lag": lag}


def test_readyz_names_why_the_indexer_stopped(client: TestClient, services: Services) -> None:
    services.indexer.head, services.indexer.block = 5, 5
    services.indexer.error = "ReorgTooDeep: reorg below block 3"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "ReorgTooDeep" in response.json()["detail"]


def test_readyz_is_503_when_the_store_is_down(
    client: TestClient, services: Services, tmp_path: Path
) -> None:
    services.indexer.head, services.indexer.block = 5, 5
    services.engine = sa.create_engine(f"sqlite:///{tmp_path / 'missing' / 'store.sqlite3'}")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "store is unreachable" in response.json()["detail"]
