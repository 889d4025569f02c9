"""The server stops at the worst moments; on restart, what was in flight is reconciled against
the chain: nothing is done twice, nothing is lost, and a retry gets the outcome.

A stop is modelled exactly: the pipeline's round is run step by step (sign, store, broadcast,
record, the same code a live round runs), and the services are closed between two steps, so
only what was committed to the store survives, as after a SIGKILL. (The end-to-end test on
anvil kills a real ``carbon-ledger serve`` too.)
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient
from web3 import Web3

from api import audit_log, idempotency, tables
from api.app import create_app
from api.auth import Principal
from api.deps import Services
from api.submission.model import Submission, new_id
from api.submission.rows import upsert_row
from api.writes import issuances
from api.writes.models import IssuanceCreate
from tests.api.conftest import Api, Key, issuance_body, open_api
from tests.conftest import Ledger


def _claimed(api: Api, issuer: Key, body: dict[str, object], key: str) -> Submission:
    """What ``POST /v1/issuances`` has done by the time it hands its submission to the queue:
    the Idempotency-Key claimed, the request logged, the bridging planned."""
    sid = new_id()
    chain = api.chain
    raw = json.dumps(body).encode()

    def claim(conn: sa.Connection) -> int:
        conn.execute(
            tables.idempotency_keys.insert().values(
                key_id=issuer.id,
                idempotency_key=key,
                method="POST",
                path="/v1/issuances",
                request_hash=idempotency.fingerprint("POST", "/v1/issuances", raw),
                state="running",
                created_at=audit_log.now_ms(),
                submission_id=sid,
            )
        )
        return audit_log.append(
            kind="request", key_id=issuer.id, method="POST", path="/v1/issuances"
        )(conn)

    seq = api.services.journal.run_sync(claim)
    who = Principal(issuer.id, "issuer", "VCS", issuer.address)
    action, _ = issuances.plan(chain, who, IssuanceCreate.model_validate(body), sid)
    return Submission(
        sid, issuer.address or "", action, key_id=issuer.id, audit_seq=seq, path="/v1/issuances"
    )


def _restart(api: Api, ledger: Ledger, folder: Path) -> tuple[Services, TestClient]:
    api.services.close()  # the stop: in-memory state is gone, the store keeps what it had
    services = open_api(ledger, folder)
    return services, TestClient(create_app(services))


def _state(services: Services, sid: str) -> dict[str, object]:
    with services.engine.connect() as conn:
        return dict(
            conn.execute(sa.select(tables.submissions).where(tables.submissions.c.id == sid))
            .one()
            ._asdict()
        )


def test_stopped_after_storing_before_broadcast_the_same_bytes_go_out(
    api: Api, ledger: Ledger, tmp_path: Path
) -> None:
    issuer, holder = api.key("issuer", "VCS"), api.key("holder")
    body = issuance_body(holder.address or "")
    sub = _claimed(api, issuer, body, "crash-1")
    queue = api.chain.pipeline.queue(sub.sender)
    signed, refused = queue.sign([sub])
    queue.store(signed, refused)
    assert sub.signed is not None
    stored_hash = sub.signed.tx_hash
    assert ledger.admin.batch_count() == 0
    services, client = _restart(api, ledger, tmp_path)
    try:
        assert services.ledger is not None
        settled = services.ledger.pipeline.settled(sub.id, timeout=30)  # rebroadcast at start
        assert settled is not None and settled.tx_hash == stored_hash
        row = _state(services, sub.id)
        assert row["state"] == "confirmed" and row["tx_hash"] == stored_hash
        assert ledger.admin.batch_count() == 1
        # The client's retry gets the outcome, and nothing runs again.
        retry = client.post(
            "/v1/issuances", json=body, headers=issuer.headers | {"Idempotency-Key": "crash-1"}
        )
        assert retry.status_code == 201, retry.text
        assert retry.json()["tx_hash"] == stored_hash and retry.json()["batch_id"] == 1
        assert ledger.admin.batch_count() == 1
    finally:
        services.close()


def test_stopped_after_broadcast_before_recording_nothing_is_sent_again(
    api: Api, ledger: Ledger, tmp_path: Path
) -> None:
    issuer, holder = api.key("issuer", "VCS"), api.key("holder")
    sub = _claimed(api, issuer, issuance_body(holder.address or ""), "crash-2")
    queue = api.chain.pipeline.queue(sub.sender)
    with api.mining_paused():
        signed, refused = queue.sign([sub])
        queue.store(signed, refused)
        assert queue.broadcast(signed) == [sub.signed.tx_hash]  # type: ignore[union-attr]
        services, _ = _restart(api, ledger, tmp_path)
        assert services.ledger is not None
        assert _state(services, sub.id)["state"] == "accepted"  # in the pool, tracked again
        api.mine()
        settled = services.ledger.pipeline.settled(sub.id, timeout=30)
    try:
        assert settled is not None and settled.state == "confirmed"
        assert settled.tx_hash == sub.signed.tx_hash  # type: ignore[union-attr]
        assert ledger.admin.batch_count() == 1
        assert _state(services, sub.id)["state"] == "confirmed"
    finally:
        services.close()


def test_stopped_after_the_transaction_was_mined_the_outcome_is_recorded(
    api: Api, ledger: Ledger, tmp_path: Path
) -> None:
    issuer, holder = api.key("issuer", "VCS"), api.key("holder")
    sub = _claimed(api, issuer, issuance_body(holder.address or ""), "crash-3")
    queue = api.chain.pipeline.queue(sub.sender)
    with api.mining_paused():
        signed, refused = queue.sign([sub])
        queue.store(signed, refused)
        queue.broadcast(signed)
        api.services.close()
        api.mine()  # mined while the server is down
    services = open_api(ledger, tmp_path)
    try:
        row = _state(services, sub.id)
        assert row["state"] == "confirmed" and row["block_number"] is not None
        assert ledger.admin.batch_count() == 1
        # The settlement the client never saw is in the API audit log, linked to the chain.
        with services.engine.connect() as conn:
            outcome = conn.execute(
                sa.select(tables.api_audit_log).where(
                    tables.api_audit_log.c.request_seq == sub.audit_seq
                )
            ).one()
        assert outcome.outcome == "settled: confirmed" and outcome.tx_hash == row["tx_hash"]
        assert audit_log.verify_api_log(services.engine, ledger.chain.w3).discrepancies == []
    finally:
        services.close()


def test_a_nonce_taken_while_down_fails_the_request_and_its_retry_runs(
    api: Api, ledger: Ledger, tmp_path: Path
) -> None:
    issuer, holder = api.key("issuer", "VCS"), api.key("holder")
    body = issuance_body(holder.address or "")
    sub = _claimed(api, issuer, body, "crash-4")
    queue = api.chain.pipeline.queue(sub.sender)
    signed, refused = queue.sign([sub])
    queue.store(signed, refused)
    assert sub.signed is not None
    # While the server is down, someone with the custodial key uses that nonce.
    account = api.chain.custody.account(sub.sender)
    w3 = ledger.chain.w3
    api.services.close()
    other = account.sign_transaction(
        {
            "to": Web3.to_checksum_address(sub.sender),
            "value": 0,
            "gas": 21_000,
            "maxFeePerGas": 10**11,
            "maxPriorityFeePerGas": 0,
            "nonce": sub.signed.nonce,
            "chainId": w3.eth.chain_id,
            "type": 2,
        }
    )
    w3.eth.send_raw_transaction(other.raw_transaction)
    services = open_api(ledger, tmp_path)
    client = TestClient(create_app(services))
    try:
        row = _state(services, sub.id)
        assert row["state"] == "failed" and "did nothing" in json.dumps(row["error"])
        assert ledger.admin.batch_count() == 0
        retry = client.post(
            "/v1/issuances", json=body, headers=issuer.headers | {"Idempotency-Key": "crash-4"}
        )
        assert retry.status_code == 201, retry.text  # the claim was dropped: it runs now
        assert ledger.admin.batch_count() == 1
    finally:
        services.close()


def test_a_request_never_signed_is_failed_and_its_retry_runs(
    api: Api, ledger: Ledger, tmp_path: Path
) -> None:
    issuer, holder = api.key("issuer", "VCS"), api.key("holder")
    body = issuance_body(holder.address or "")
    sub = _claimed(api, issuer, body, "crash-5")

    def accepted(conn: sa.Connection) -> None:
        upsert_row(conn, sub, {"updated_at": audit_log.now_ms()})

    api.services.journal.run_sync(accepted)
    services, client = _restart(api, ledger, tmp_path)
    try:
        assert _state(services, sub.id)["state"] == "failed"
        retry = client.post(
            "/v1/issuances", json=body, headers=issuer.headers | {"Idempotency-Key": "crash-5"}
        )
        assert retry.status_code == 201, retry.text
        assert ledger.admin.batch_count() == 1
    finally:
        services.close()
