"""Rate limits per caller (429 + Retry-After) and body size limits (413), as problem+json."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api import limits
from api.app import create_app
from api.deps import Services
from api.limits import TokenBuckets
from api.settings import Settings
from chain.store.engine import open_store


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate() -> None:
    clock = _Clock()
    buckets = TokenBuckets(60, burst=3, clock=clock)  # one a second
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(1.0)
    clock.now = 0.5
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now = 1.0
    assert buckets.take("a") == 0.0
    assert buckets.take("b") == 0.0  # callers do not share budgets


def test_a_bucket_never_holds_more_than_its_burst() -> None:
    clock = _Clock()
    buckets = TokenBuckets(60, burst=2, clock=clock)
    clock.now = 3600.0
    assert [buckets.take("a") > 0 for _ in range(3)] == [False, False, True]


def test_buckets_refuse_nonsense_rates() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        TokenBuckets(0, burst=1)


class _Echo(BaseModel):
    text: str


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    # Time stands still: a burst is a burst however slowly the machine serves it.
    monkeypatch.setattr(limits, "clock_of_buckets", _Clock())
    settings = Settings(dev=True, rate_limit_per_minute=60, max_body_bytes=100)
    app: FastAPI = create_app(Services(settings, open_store(f"sqlite:///{tmp_path / 's.db'}")))

    @app.post("/echo")
    def echo(body: _Echo) -> _Echo:
        return body

    with TestClient(app) as client:
        yield client


def test_a_caller_over_its_budget_gets_429_with_retry_after(client: TestClient) -> None:
    alice = {"Authorization": "Bearer alice"}
    answers = [client.get("/v1/nothing", headers=alice).status_code for _ in range(11)]
    assert answers == [404] * 10 + [429]  # a burst of ten seconds' worth at 60 a minute
    refused = client.get("/v1/nothing", headers=alice)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "1"
    assert "60 requests a minute" in refused.json()["detail"]
    bob = {"Authorization": "Bearer bob"}
    assert client.get("/v1/nothing", headers=bob).status_code == 404


def test_health_probes_are_never_rate_limited(client: TestClient) -> None:
    assert {client.get("/healthz").status_code for _ in range(30)} == {200}


def test_a_declared_oversized_body_is_413(client: TestClient) -> None:
    response = client.post("/echo", json={"text": "x" * 200})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "the request body exceeds 100 bytes"


def test_a_streamed_oversized_body_is_413(client: TestClient) -> None:
    chunks = iter([b'{"text": "', b"x" * 80, b"x" * 80, b'"}'])  # no Content-Length
    response = client.post("/echo", content=chunks, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Request body too large"


def test_a_body_within_the_limit_passes(client: TestClient) -> None:
    response = client.post("/echo", json={"text": "fits"})
    assert response.status_code == 200
    assert response.json() == {"text": "fits"}
