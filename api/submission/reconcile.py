"""After a restart: settle or resume what the previous run left in flight, before serving.

For every submission not yet confirmed or failed, in nonce order per account:

- never signed (no raw transaction): nothing reached the chain. It fails ("interrupted"), and
  the idempotency record waiting on it is dropped, so the client's retry runs it afresh;
- its transaction has a receipt: settled from it, as if the confirmer had seen it;
- the node has it pending: tracked again;
- the node does not have it, and the account's nonce has moved past it: another transaction took
  the nonce, so this one can never be mined. It fails, having done nothing;
- otherwise the stored bytes are broadcast again (same nonce, same hash) and tracked.

Idempotency records still ``running`` with no submission behind them (the previous run stopped
before sending anything) are dropped for the same reason.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api import tables
from api.journal import Journal
from api.submission.model import Settled, Submission
from api.submission.outcomes import Host, failure, outcome
from api.submission.rows import load_rows, rebuild
from chain.errors import TransactionError

log = logging.getLogger("carbon_ledger.api.submission")


class Interrupted(TransactionError):
    """The server stopped before this request's transaction could be mined: it did nothing."""


class ReconcileHost(Host, Protocol):
    """What reconciling uses of the pipeline: the stored rows, and following, or submitting
    again, what it finds in flight."""

    @property
    def journal(self) -> Journal: ...

    def resume(self, sub: Submission) -> None: ...

    def submit(self, sub: Submission) -> Future[Settled]: ...


def reconcile(pipeline: ReconcileHost) -> dict[str, int]:
    """Bring every stored submission to a final state or back in flight; returns counts."""
    node = pipeline.node
    with pipeline.journal.engine.connect() as conn:
        rows = load_rows(conn, ("accepted", "submitted"))
    counts = {"confirmed": 0, "failed": 0, "tracked": 0, "rebroadcast": 0, "interrupted": 0}
    settled: list[tuple[Submission, Settled]] = []
    retry: list[Submission] = []
    for row in rows:
        sub = rebuild(row)
        error: TransactionError
        if sub.signed is None:
            error = Interrupted(
                "the server stopped before this request's transaction was signed; nothing was sent"
            )
            settled.append((sub, failure(sub, error)))
            counts["interrupted"] += 1
            continue
        receipt = node.receipt(sub.signed.tx_hash)
        if receipt is not None:
            result = outcome(pipeline.ctx, sub, receipt)
            if result is None:
                sub.signed = None
                retry.append(sub)
            else:
                settled.append((sub, result))
                counts[result.state] += 1
            continue
        sub.sent_at = time.monotonic()
        if node.known(sub.signed.tx_hash):
            pipeline.resume(sub)
            counts["tracked"] += 1
        elif node.nonce(sub.sender, "latest") > sub.signed.nonce:
            error = Interrupted(
                "dropped: another transaction took its nonce while the server was down; this "
                "request did nothing"
            )
            sub.signed = None  # never mined: nothing of it happened
            settled.append((sub, failure(sub, error)))
            counts["interrupted"] += 1
        else:
            pipeline.resume(sub)
            (answer,) = node.send_raw([sub.signed.raw])
            counts["rebroadcast"] += 1
            log.info("rebroadcast %s (%s): %s", sub.id, sub.signed.tx_hash, answer)
    if settled:
        pipeline.settle(settled, pending_entries=True)
    interrupted = [sub.id for sub, st in settled if st.tx_hash is None and sub.signed is None]
    pipeline.journal.run_sync(lambda conn: _drop_orphans(conn, interrupted))
    for sub in retry:
        pipeline.submit(sub)
    if any(counts.values()):
        log.info("reconciled submissions left in flight: %s", counts)
    return counts


def _drop_orphans(conn: Connection, interrupted: list[str]) -> None:
    """Idempotency records of requests that never sent anything: a retry must run again."""
    keys = tables.idempotency_keys
    if interrupted:
        conn.execute(keys.delete().where(keys.c.submission_id.in_(interrupted)))
    conn.execute(
        keys.delete()
        .where(keys.c.state == "running")
        .where(
            sa.or_(
                keys.c.submission_id.is_(None),
                ~sa.exists().where(tables.submissions.c.id == keys.c.submission_id),
            )
        )
    )
