"""/metrics: Prometheus text with requests by route template, latencies, submissions by state
and the indexer's position."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api import tables
from api.app import create_app
from api.deps import Services
from api.settings import Settings
from chain.store.engine import open_store


@pytest.fixture
def services(tmp_path: Path) -> Services:
    return Services(Settings(dev=True), open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}"))


def _samples(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_requests_are_counted_by_route_template_and_status(services: Services) -> None:
    client = TestClient(create_app(services))
    for _ in range(3):
        client.get("/healthz")
    client.get("/no/such/path")
    client.get("/another/missing/path")
    samples = _samples(client)
    ok = frozenset({("method", "GET"), ("route", "/healthz"), ("status", "200")})
    assert samples["carbon_ledger_http_requests_total", ok] == 3
    missing = frozenset({("method", "GET"), ("route", "unmatched"), ("status", "404")})
    assert samples["carbon_ledger_http_requests_total", missing] == 2  # one series for all 404s
    timed = frozenset({("method", "GET"), ("route", "/healthz")})
    assert samples["carbon_ledger_http_request_duration_seconds_count", timed] == 3


def test_submissions_are_reported_by_state(services: Services) -> None:
    rows = [
        {
            "id": f"r{i}",
            "kind": "issuance",
            "sender": "0x" + "11" * 20,
            "nonce": i,
            "state": state,
            "request": {},
            "created_at": 0,
            "updated_at": 0,
        }
        for i, state in enumerate(["confirmed", "confirmed", "failed", "submitted"])
    ]
    with services.engine.begin() as conn:
        conn.execute(sa.insert(tables.submissions), rows)
    samples = _samples(TestClient(create_app(services)))
    by_state = {
        dict(labels)["state"]: value
        for (name, labels), value in samples.items()
        if name == "carbon_ledger_submissions"
    }
    assert by_state == {"accepted": 0, "submitted": 1, "confirmed": 2, "failed": 1}


def test_the_indexer_position_is_exported_once_known(services: Services) -> None:
    client = TestClient(create_app(services))
    assert ("carbon_ledger_indexer_lag_blocks", frozenset()) not in _samples(client)
    services.indexer.head, services.indexer.block = 120, 117
    samples = _samples(client)
    assert samples["carbon_ledger_indexer_lag_blocks", frozenset()] == 3
    assert samples["carbon_ledger_indexer_block", frozenset()] == 117
    assert samples["carbon_ledger_chain_head_block", frozenset()] == 120


def test_two_apps_keep_separate_counters(services: Services) -> None:
    first, second = TestClient(create_app(services)), TestClient(create_app(services))
    first.get("/healthz")
    ok = frozenset({("method", "GET"), ("route", "/healthz"), ("status", "200")})
    assert ("carbon_ledger_http_requests_total", ok) not in _samples(second)
