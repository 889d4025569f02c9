"""GET /v1/audit/verify of a successor ledger: its predecessor verified with it, the carried
credits checked, a range not carried yet and a double counting named."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import Services
from chain import migration
from chain.deployment import Deployment
from chain.indexer.core import Indexer
from chain.store.engine import migrate, open_store
from tests.api.reads.conftest import settings
from tests.api.reads.support import get
from tests.chain.test_succession import _busy, _succeed
from tests.conftest import Ledger


def _verify(ledger: Ledger, successor: Deployment, tmp_path: Path) -> dict[str, object]:
    engine = open_store(f"sqlite:///{tmp_path / 'successor.sqlite3'}")
    migrate(engine)
    Indexer(ledger.chain.w3, engine, successor, confirmations=0).sync()
    services = Services(settings(), engine)
    services.ledger = SimpleNamespace(w3=ledger.chain.w3, deployment=successor)  # type: ignore[assignment]
    body: dict[str, object] = get(TestClient(create_app(services)), "/v1/audit/verify")
    engine.dispose()
    return body


def test_a_successor_verifies_across_the_boundary_through_the_api(
    ledger: Ledger, tmp_path: Path
) -> None:
    _busy(ledger)
    moved = _succeed(ledger)
    (tmp_path / "a").mkdir()
    pending = _verify(ledger, moved.successor, tmp_path / "a")
    assert pending["ok"] is False and pending["scope"] == "chain"
    kinds = {d["kind"] for d in pending["discrepancies"]}  # type: ignore[attr-defined]
    assert kinds == {"not_carried"}

    migration.carry_credits(moved.issuer, moved.successor, "VCS")
    migration.carry_accounts(moved.admin, moved.successor)
    (tmp_path / "b").mkdir()
    body = _verify(ledger, moved.successor, tmp_path / "b")
    assert body["ok"] is True, body["discrepancies"]
    [before] = body["predecessors"]  # type: ignore[misc]
    assert before["address"] == ledger.deployment.address
    assert before["not_carried"] == 0 and before["carried_ranges"] == 4
