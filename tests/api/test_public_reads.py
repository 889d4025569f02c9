"""Reads are public by default; with public reads off, every read route needs a valid key."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.deps import Services
from api.settings import Settings
from chain.store.engine import open_store

ADMIN = "an-admin-key-for-this-test"
READS = ["/v1/batches", "/v1/events", "/v1/stats", "/v1/retirements", "/"]


def _client(tmp_path: Path, *, public: bool) -> TestClient:
    settings = Settings(dev=True, public_reads=public, admin_key=SecretStr(ADMIN))
    engine = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    return TestClient(create_app(Services(settings, engine)))


@pytest.mark.parametrize("path", READS)
def test_reads_are_public_by_default(tmp_path: Path, path: str) -> None:
    client = _client(tmp_path, public=True)
    assert client.get(path).status_code == 200
    # A public read does not even look at a key, so a stale one does not break it.
    assert client.get(path, headers={"Authorization": "Bearer stale"}).status_code == 200


@pytest.mark.parametrize("path", READS)
def test_private_reads_need_a_valid_key(tmp_path: Path, path: str) -> None:
    client = _client(tmp_path, public=False)
    anonymous = client.get(path)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert "public reads are off" in anonymous.json()["detail"]
    assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get(path, headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200


def test_health_stays_open_when_reads_are_private(tmp_path: Path) -> None:
    assert _client(tmp_path, public=False).get("/healthz").status_code == 200
