"""The ``submissions`` rows: batched writes of the pipeline's states, and loading them back.

Every state change is written here in one batch per round or per settled block; after a
restart ``load_rows`` and ``rebuild`` give back the submissions still in flight
(``api.submission.reconcile``).
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api import audit_log, tables
from api.submission.actions import ACTIONS
from api.submission.model import Settled, Submission
from chain.transactions.signer import SignedTx, call_of


def store_outcomes(
    conn: Connection,
    results: list[tuple[Submission, Settled]],
    entries: list[tuple[Submission, Settled]],
    *,
    pending_entries: bool,
) -> None:
    """What settling ``results`` writes, in the caller's transaction: each submission's row,
    the response of each idempotency record waiting on one, and an outcome entry in the API
    audit log for each of ``entries``."""
    now = audit_log.now_ms()
    write_rows(
        conn,
        [
            (
                sub,
                {
                    "state": settled.state,
                    "result": settled.body if settled.state == "confirmed" else None,
                    "error": settled.body if settled.state == "failed" else None,
                    "block_number": settled.block_number,
                    "tx_hash": settled.tx_hash,
                    "nonce": sub.signed.nonce if sub.signed else None,
                    "attempts": sub.attempts,
                    "updated_at": now,
                },
            )
            for sub, settled in results
        ],
    )
    answers = [
        {
            "b_id": sub.id,
            "b_status": settled.status,
            "b_response": _json(settled.body),
        }
        for sub, settled in results
        if sub.claimed or pending_entries
    ]
    if answers:
        keys = tables.idempotency_keys
        conn.execute(
            keys.update()
            .where(keys.c.submission_id == sa.bindparam("b_id"))
            .where(keys.c.state == "running")
            .values(
                state="done",
                status=sa.bindparam("b_status"),
                response=sa.bindparam("b_response"),
                headers=None,
            ),
            answers,
        )
    for sub, settled in entries:
        audit_log.append(
            kind="outcome",
            request_seq=sub.audit_seq,
            key_id=sub.key_id,
            method="POST",
            path=sub.path or f"/v1/requests/{sub.id}",
            status=settled.status,
            outcome=f"settled: {settled.state}",
            tx_hash=settled.tx_hash,
            ledger_seq=settled.ledger_seq,
        )(conn)


def store_signed(conn: Connection, signed: list[Submission]) -> None:
    """The raw transactions of a round (state ``accepted``), before any is broadcast."""
    now = audit_log.now_ms()
    write_rows(
        conn,
        [
            (
                sub,
                {
                    "state": "accepted",
                    "nonce": sub.signed.nonce,
                    "raw_tx": sub.signed.raw,
                    "tx_hash": sub.signed.tx_hash,
                    "attempts": sub.attempts,
                    "updated_at": now,
                },
            )
            for sub in signed
            if sub.signed is not None
        ],
    )


def mark_submitted(conn: Connection, ids: list[str]) -> None:
    """The node took these submissions' transactions."""
    conn.execute(
        tables.submissions.update()
        .where(tables.submissions.c.id.in_(ids))
        .where(tables.submissions.c.state == "accepted")
        .values(state="submitted", updated_at=audit_log.now_ms())
    )


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def write_rows(conn: Connection, items: list[tuple[Submission, dict[str, Any]]]) -> None:
    """Submissions' rows, batched: one INSERT for new ones, one UPDATE for the rest. Every
    ``values`` of one call has the same keys. A row that is not where its flag says (another
    job got there first) falls back to ``upsert_row``."""
    if not items:
        return
    fresh = [(sub, values) for sub, values in items if not sub.stored]
    known = [(sub, values) for sub, values in items if sub.stored]
    if fresh:
        now = audit_log.now_ms()
        rows = [
            {"state": "accepted"} | sub.row() | {"created_at": now, "updated_at": now} | values
            for sub, values in fresh
        ]
        try:
            with conn.begin_nested():
                conn.execute(tables.submissions.insert(), rows)
        except sa.exc.IntegrityError:
            known += fresh
        else:
            for sub, _ in fresh:
                sub.stored = True
    if known:
        names = sorted(known[0][1])
        table = tables.submissions
        update = (
            table.update()
            .where(table.c.id == sa.bindparam("b_id"))
            .values({name: sa.bindparam(f"b_{name}") for name in names})
        )
        params = [
            {"b_id": sub.id} | {f"b_{name}": values[name] for name in names}
            for sub, values in known
        ]
        if conn.execute(update, params).rowcount != len(known):
            for sub, values in known:
                upsert_row(conn, sub, values)


def upsert_row(conn: Connection, sub: Submission, values: dict[str, Any]) -> None:
    """Update the submission's row, or insert it (``accepted`` unless ``values`` say else)."""
    updated = conn.execute(
        tables.submissions.update().where(tables.submissions.c.id == sub.id).values(**values)
    ).rowcount
    if not updated:
        now = audit_log.now_ms()
        row = {"state": "accepted"} | sub.row() | {"created_at": now, "updated_at": now}
        conn.execute(tables.submissions.insert().values(**(row | values)))
    sub.stored = True


def load_rows(conn: Connection, states: tuple[str, ...]) -> list[Any]:
    return list(
        conn.execute(
            sa.select(tables.submissions)
            .where(tables.submissions.c.state.in_(states))
            .order_by(tables.submissions.c.sender, tables.submissions.c.nonce)
        )
    )


def rebuild(row: Any) -> Submission:
    """The in-memory submission for a stored row (after a restart)."""
    request = dict(row.request)
    path = request.pop("path", "")
    action = ACTIONS[row.kind].from_request(request)
    sub = Submission(
        row.id,
        row.sender,
        action,
        key_id=row.key_id,
        audit_seq=row.audit_seq,
        path=path,
        attempts=row.attempts,
        stored=True,
        claimed=True,  # not known after a restart: look for a record waiting on it
    )
    if row.raw_tx is not None:
        sub.signed = SignedTx(bytes(row.raw_tx), row.tx_hash, int(row.nonce))
        sub.call = call_of(bytes(row.raw_tx))
    return sub
