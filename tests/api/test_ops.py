"""/healthz and /readyz: ready only once the indexer has caught up and the store answers."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import Services
from api.settings import Settings
from chain.indexer.core import Indexer
from chain.store import schema as s
from chain.store.engine import open_store
from tests.api.conftest import stop_the_indexer_at_a_retirement
from tests.conftest import Ledger


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


def test_readyz_metrics_and_the_dashboard_name_the_halt_and_its_event(
    ledger: Ledger, tmp_path: Path
) -> None:
    """The indexer recorded in the store why it stopped (a retirement it could not write):
    /readyz is 503 naming the block, seq and event even though the last relayed progress was
    current; /metrics says halted; the dashboard names it in English and Chinese; the audit
    verification fails naming it. Once the indexer runs again, all of them clear."""
    engine = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    recorded = stop_the_indexer_at_a_retirement(ledger, engine)
    services = Services(Settings(dev=True), engine)
    services.indexer.head, services.indexer.block = recorded.block, recorded.block - 1
    client = TestClient(create_app(services))

    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["detail"] == recorded.describe()
    assert body["detail"].startswith(
        f"the indexer stopped at block {recorded.block} (seq {recorded.seq}, CreditsRetired): "
        "IntegrityError: UNIQUE constraint failed: retirements.id"
    )
    assert body["indexer_error"]["event"] == "CreditsRetired"

    metrics = client.get("/metrics").text
    assert "\ncarbon_ledger_indexer_halted 1.0\n" in metrics
    assert f"\ncarbon_ledger_indexer_halt_block {float(recorded.block)}\n" in metrics

    page = client.get("/", headers={"Accept-Language": "en"}).text
    assert (
        f"stopped at block {recorded.block} (seq {recorded.seq}, event CreditsRetired): "
        "IntegrityError: UNIQUE constraint failed: retirements.id"
    ) in page
    zh = client.get("/?lang=zh").text
    # The Chinese page's own full-width brackets and comma (api/locales/zh.json).
    opening, comma, closing = "\uff08", "\uff0c", "\uff09"
    assert (
        f"已停止于区块 {recorded.block}{opening}序号 {recorded.seq}{comma}事件 CreditsRetired{closing}"
    ) in zh

    audit = client.get("/v1/audit/verify").json()  # no node: the store alone, and the halt
    assert audit["ok"] is False and audit["indexer_error"]["event"] == "CreditsRetired"
    assert [d["kind"] for d in audit["discrepancies"] if d["kind"] != "store"] == ["indexer"]
    assert (audit["chain_head"], audit["store_block"], audit["lag_blocks"]) == (
        recorded.block,
        recorded.block - 1,
        1,
    )

    with engine.begin() as conn:  # the row in the way goes; the indexer runs again
        conn.execute(s.retirements.delete().where(s.retirements.c.id == 2))
    done = Indexer(ledger.chain.w3, engine, ledger.deployment, confirmations=0).sync()
    services.indexer.head, services.indexer.block = done.head, done.block
    assert client.get("/readyz").status_code == 200
    assert "\ncarbon_ledger_indexer_halted 0.0\n" in client.get("/metrics").text
    assert "indexer-halt" not in client.get("/").text
    audit = client.get("/v1/audit/verify").json()
    assert audit["ok"] is True and audit["indexer_error"] is None, audit["discrepancies"]
    assert audit["lag_blocks"] == 0 and audit["max_lag_blocks"] == 120
