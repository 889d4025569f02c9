"""GET /v1/audit/verify: on the store alone (no node configured) and against the chain; each
kind of tampering caught and named; results remembered while the store does not move."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.app import create_app
from api.deps import Services
from api.reads import audit
from chain.store.engine import open_store
from tests.api.reads.conftest import Filled, client_for, settings
from tests.api.reads.support import get


@pytest.fixture
def copy_store(filled: Filled, tmp_path: Path) -> Iterator[Callable[[], Engine]]:
    """Makes private copies of the filled SQLite store, to tamper with."""
    source = filled.engines["sqlite"].url.database
    assert source is not None
    engines: list[Engine] = []

    def make() -> Engine:
        target = tmp_path / f"copy{len(engines)}.sqlite3"
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        engines.append(open_store(f"sqlite:///{target}"))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()


def _chain_client(engine: Engine, filled: Filled) -> TestClient:
    services = Services(settings(), engine)
    # Only the node and the deployment of the server's ledger are read (services.ledger.w3,
    # services.ledger.deployment); the rest of it serves the writes.
    services.ledger = SimpleNamespace(w3=filled.env.chain.w3, deployment=filled.env.deployment)  # type: ignore[assignment]
    return TestClient(create_app(services))


def test_the_store_alone_verifies(client: TestClient, filled: Filled) -> None:
    body = get(client, "/v1/audit/verify", refresh="true")
    state = filled.chain.audit_state()
    assert body["ok"] is True and body["discrepancies"] == []
    assert (body["audit_seq"], body["audit_head"]) == (state.seq, state.head_hex)
    assert body["scope"] == "store" and "no chain connection" in body["note"]
    assert body["batches"] == filled.chain.batch_count() and body["events"] == state.seq


def test_results_are_remembered_until_the_store_moves(
    copy_store: Callable[[], Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = copy_store()
    client = client_for(engine)
    first = get(client, "/v1/audit/verify")
    assert first["cached"] is False
    assert audit.verifier_for(engine).last() is not None
    again = get(client, "/v1/audit/verify")
    assert again["cached"] is True and again["verified_at"] == first["verified_at"]
    assert get(client, "/v1/audit/verify", refresh=True)["cached"] is True  # too soon to rerun
    monkeypatch.setattr(audit, "MIN_INTERVAL_S", 0.0)
    assert get(client, "/v1/audit/verify", refresh=True)["cached"] is False
    with engine.begin() as conn:  # the indexer moving on invalidates the result
        conn.execute(sa.text("UPDATE checkpoint SET audit_seq = audit_seq + 1"))
    moved = get(client, "/v1/audit/verify")
    assert moved["cached"] is False and moved["ok"] is False
    assert moved["discrepancies"][0]["event"] == "checkpoint"


def test_against_the_chain(copy_store: Callable[[], Engine], filled: Filled) -> None:
    engine = copy_store()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE retirements SET beneficiary = 'someone else' WHERE id = 1"))
    body = get(_chain_client(engine, filled), "/v1/audit/verify")
    assert body["scope"] == "chain" and "raw logs" in body["note"]
    assert (body["audit_seq"], body["audit_head"]) == (
        filled.chain.audit_state().seq,
        filled.chain.audit_state().head_hex,
    )
    # the chain itself checks out; the one edited row is the only finding
    assert body["ok"] is False
    (finding,) = body["discrepancies"]
    assert (finding["kind"], finding["event"], finding["field"]) == (
        "store",
        "retirements",
        "beneficiary",
    )


TAMPERING = [
    (
        "UPDATE events SET audit_head = '0x' || printf('%064d', 0) WHERE seq = 100",
        "audit",
        "audit_head",
    ),
    (
        "UPDATE events SET fields = json_set(fields, '$.lastSerial', 1) WHERE seq = "
        "(SELECT MIN(seq) FROM events WHERE name = 'SerialsMoved')",
        "event",
        "fields",
    ),
    ("UPDATE events SET data = CAST(X'00' || data AS BLOB) WHERE seq = 50", "audit", "audit_head"),
    ("UPDATE events SET data = 'text' WHERE seq = 50", "store", "row"),
    ("UPDATE events SET fields = '{}' WHERE name = 'CreditsRetired'", "event", "fields"),
    ("DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM events)", "audit", "audit_seq"),
    ("DELETE FROM events WHERE seq = 7", "audit", "seq"),
    (
        "UPDATE serial_ranges SET holder = '0x' || printf('%040d', 1) WHERE rowid = 3",
        "store",
        "holder/state",
    ),
    ("UPDATE batches SET retired = retired + 1 WHERE id = 2", "conservation", "retired"),
    ("UPDATE retirements SET quantity = quantity + 1 WHERE id = 3", "store", "quantity"),
    ("DELETE FROM serial_ranges WHERE rowid = 5", "store", "row"),
    ("UPDATE retirements SET beneficiary = 'someone else' WHERE id = 4", "store", "beneficiary"),
    (
        "DELETE FROM cancellations WHERE seq = (SELECT MIN(seq) FROM cancellations)",
        "store",
        "quantity",
    ),
    ("UPDATE detokenisations SET registry_reference = 'X'", "store", "registry_reference"),
]


@pytest.mark.parametrize(("sql", "kind", "field"), TAMPERING)
def test_tampering_is_caught_and_named(
    copy_store: Callable[[], Engine], sql: str, kind: str, field: str
) -> None:
    engine = copy_store()
    with engine.begin() as conn:
        conn.exec_driver_sql(sql)
    body = get(client_for(engine), "/v1/audit/verify")
    assert body["ok"] is False
    first = body["discrepancies"][0]
    assert (first["kind"], first["field"]) == (kind, field), body["discrepancies"]


def test_a_batch_whose_ranges_were_edited_is_not_conserved(
    copy_store: Callable[[], Engine], filled: Filled
) -> None:
    engine = copy_store()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE serial_ranges SET last_serial = last_serial - 1 WHERE batch_id = :b "
                "AND first_serial = :f"
            ),
            {"b": filled.batch, "f": filled.first},
        )
    client = client_for(engine)
    assert get(client, f"/v1/batches/{filled.batch}")["conserved"] is False
    assert get(client, "/v1/batches/1")["conserved"] is True


def test_a_store_the_indexer_never_filled(fresh_store: Engine) -> None:
    body = get(client_for(fresh_store), "/v1/audit/verify")
    assert body["ok"] is False and body["audit_seq"] == 0
    # Neither the ledger the trail starts from nor a checkpoint: both are named.
    assert [d["message"] for d in body["discrepancies"]] == [
        "the store names no ledger to start from",
        "the store has no checkpoint",
    ]
