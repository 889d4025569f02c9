"""The API audit log: a request entry before anything is attempted, an outcome entry after; the
hash chain verifies, tampering is named, and outcomes link to the ledger's own trail."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from api import tables
from api.audit_log import (
    GENESIS,
    add_to_report,
    entry_hash,
    verify_api_log,
    verify_chain_of_entries,
)
from api.journal import writer_engine
from chain.verify import verify
from tests.api.conftest import Api, issuance_body


def _entries(api: Api) -> list[dict[str, Any]]:
    with api.services.engine.connect() as conn:
        rows = conn.execute(sa.select(tables.api_audit_log).order_by(tables.api_audit_log.c.seq))
        return [r._asdict() for r in rows]


def _activity(api: Api) -> dict[str, Any]:
    issuer, holder = api.key("issuer", "VCS"), api.key("holder")
    bridged = api.post(
        "/v1/issuances", issuer, issuance_body(holder.address or ""), **{"Idempotency-Key": "i1"}
    )
    assert bridged.status_code == 201
    api.post(
        "/v1/issuances", issuer, issuance_body(holder.address or ""), **{"Idempotency-Key": "i1"}
    )
    api.post("/v1/issuances", issuer, {"program": "VCS"})  # 422
    api.post("/v1/transfers", issuer, {})  # 403: an issuer is no holder
    api.client.get("/v1/keys")  # anonymous: 401, never authenticated, not logged
    return bridged.json()


def test_every_authenticated_request_has_a_request_then_an_outcome(api: Api) -> None:
    bridged = _activity(api)
    entries = _entries(api)
    requests = {e["seq"]: e for e in entries if e["kind"] == "request"}
    outcomes = [e for e in entries if e["kind"] == "outcome"]
    assert len(requests) == len(outcomes) == 6  # two key creations, four writes
    for outcome in outcomes:
        request = requests[outcome["request_seq"]]
        assert request["seq"] < outcome["seq"]
        assert (request["method"], request["path"], request["key_id"]) == (
            outcome["method"],
            outcome["path"],
            outcome["key_id"],
        )
    statuses = [(requests[o["request_seq"]]["path"], o["status"]) for o in outcomes]
    assert statuses == [
        ("/v1/keys", 201),
        ("/v1/keys", 201),
        ("/v1/issuances", 201),
        ("/v1/issuances", 201),
        ("/v1/issuances", 422),
        ("/v1/transfers", 403),
    ]
    first, replay = outcomes[2], outcomes[3]
    assert first["tx_hash"] == bridged["tx_hash"] and first["outcome"] == "confirmed"
    assert replay["outcome"] == "replayed" and replay["tx_hash"] is None
    assert requests[first["request_seq"]]["idempotency_key"] == "i1"
    assert requests[first["request_seq"]]["body_hash"].startswith("0x")
    # The ledger's own audit seq after the bridging: BatchBridged then SerialsMoved.
    assert first["ledger_seq"] == api.ledger.admin.audit_state().seq
    # Written before the action: the submission names its request entry.
    with api.services.engine.connect() as conn:
        seq = conn.execute(
            sa.select(tables.submissions.c.audit_seq).where(
                tables.submissions.c.id == bridged["id"]
            )
        ).scalar_one()
    assert seq == first["request_seq"]


def test_the_chain_verifies_and_links_to_the_ledger(api: Api) -> None:
    _activity(api)
    check = verify_api_log(api.services.engine, api.ledger.chain.w3)  # store not indexed: receipts
    assert check.discrepancies == [] and check.linked == 1
    assert check.entries == len(_entries(api)) and check.head == _entries(api)[-1]["hash"]
    api.index()
    report = verify(api.ledger.chain.w3, api.ledger.deployment, api.services.engine)
    assert add_to_report(report, api.services.engine, api.ledger.chain.w3) is not None
    assert report.ok, report.discrepancies


def test_the_formula_is_the_documented_one(api: Api) -> None:
    _activity(api)
    prev = GENESIS
    for entry in _entries(api):
        assert entry["prev_hash"] == prev
        assert entry["hash"] == entry_hash(prev, entry)
        prev = entry["hash"]


def _tamper(api: Api, statement: sa.Executable) -> list[tuple[str | None, str | None]]:
    with api.services.engine.begin() as conn:
        conn.execute(statement)
    check = verify_chain_of_entries(api.services.engine)
    return [(d.event, d.field) for d in check.discrepancies]


def test_edits_deletions_and_insertions_are_named(api: Api) -> None:
    _activity(api)
    log = tables.api_audit_log
    assert _tamper(api, log.update().where(log.c.seq == 7).values(status=200)) == [
        ("api_audit_log seq 7", "hash")
    ]
    found = _tamper(api, log.delete().where(log.c.seq == 9))
    assert ("api_audit_log seq 10", "seq") in found and (
        "api_audit_log seq 10",
        "prev_hash",
    ) in found


def test_a_forged_ledger_seq_is_caught(api: Api) -> None:
    _activity(api)
    log = tables.api_audit_log
    # IMMEDIATE, as the API's own writers: a read-then-write transaction would otherwise fail at
    # once with "database is locked" when the indexer commits between its read and its write.
    with writer_engine(api.services.engine).begin() as conn:
        seq = conn.execute(sa.select(log.c.seq).where(log.c.ledger_seq.is_not(None))).scalar_one()
        row = conn.execute(sa.select(log).where(log.c.seq == seq)).one()._asdict()
        # Re-hash the whole chain from there, as a forger who controls the database would.
        row["ledger_seq"] += 1
        rows = [row] + [
            r._asdict()
            for r in conn.execute(sa.select(log).where(log.c.seq > seq).order_by(log.c.seq))
        ]
        prev = row["prev_hash"]
        for r in rows:
            r["prev_hash"] = prev
            r["hash"] = prev = entry_hash(prev, r)
            conn.execute(log.update().where(log.c.seq == r["seq"]).values(**r))
    check = verify_api_log(api.services.engine, api.ledger.chain.w3)
    assert [(d.event, d.field) for d in check.discrepancies] == [
        (f"api_audit_log seq {seq}", "ledger_seq")
    ]


def test_a_202_gets_an_outcome_when_it_settles(api: Api) -> None:
    issuer, holder = api.key("issuer", "VCS"), api.key("holder")
    api.services.settings.confirm_timeout_s = 0.2
    with api.mining_paused():
        answer = api.post("/v1/issuances", issuer, issuance_body(holder.address or ""))
        assert answer.status_code == 202
        api.mine()
    api.chain.pipeline.settled(answer.json()["request_id"], timeout=30)
    outcomes = [e for e in _entries(api) if e["kind"] == "outcome"][-2:]
    assert [o["status"] for o in outcomes] == [202, 201]
    assert outcomes[0]["request_seq"] == outcomes[1]["request_seq"]
    assert outcomes[1]["outcome"] == "settled: confirmed"
    assert outcomes[1]["ledger_seq"] == api.ledger.admin.audit_state().seq
    assert verify_api_log(api.services.engine, api.ledger.chain.w3).discrepancies == []
