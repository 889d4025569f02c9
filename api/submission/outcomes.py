"""How a submission ends, and settling it: what every part of the pipeline shares.

``failure`` and ``outcome`` say what a refusal or a receipt means (a ``Settled``, or ``None``
when the transaction is to be built and sent again); ``InFlight`` holds the submissions on
their way and settles them (one commit, then their futures). ``Host`` is what each part
(``account_queue``, ``confirmer``, ``reconcile``) uses of the pipeline that composes them: the
parts sit below ``pipeline`` and never import it.
"""

from __future__ import annotations

from typing import Protocol

from api.journal import Journal, Waiters
from api.problems import problem_for
from api.submission.actions import Context
from api.submission.model import MAX_ATTEMPTS, Settled, Submission
from api.submission.node import Node, Receipt
from api.submission.rows import store_outcomes
from chain.errors import CarbonLedgerError


def failure(sub: Submission, error: CarbonLedgerError, receipt: Receipt | None = None) -> Settled:
    """``sub`` failed with ``error``: its problem body, and the receipt's transaction if mined."""
    problem = problem_for(error, signed=sub.action.relayed)
    body = problem.body()
    body["request_id"] = sub.id
    return Settled(
        sub.id,
        "failed",
        problem.status,
        body,
        tx_hash=receipt.tx_hash if receipt else None,
        block_number=receipt.block_number if receipt else None,
    )


def outcome(ctx: Context, sub: Submission, receipt: Receipt) -> Settled | None:
    """What a receipt means for ``sub``; ``None`` when it is to be built and sent again."""
    if receipt.status == 1:
        body = sub.action.confirmed(ctx, receipt)
        body["request_id"] = sub.id
        return Settled(
            sub.id,
            "confirmed",
            201,
            body,
            tx_hash=receipt.tx_hash,
            block_number=receipt.block_number,
            ledger_seq=receipt.ledger_seq(),
        )
    call = sub.call
    assert call is not None
    error = ctx.node.revert_reason(receipt, sub.sender, call.to, call.data)
    retry = sub.action.retryable(error) and sub.attempts < MAX_ATTEMPTS
    sub.action.failed(ctx, error, retry)
    if retry:
        return None
    return failure(sub, error, receipt)


class InFlight:
    """The submissions not yet settled, by id; settling records them and resolves them."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._subs: dict[str, Submission] = {}

    def add(self, sub: Submission) -> None:
        self._subs[sub.id] = sub

    def get(self, submission_id: str) -> Submission | None:
        return self._subs.get(submission_id)

    def settle(
        self, results: list[tuple[Submission, Settled]], *, pending_entries: bool = False
    ) -> None:
        """Record outcomes (one commit), then resolve their futures.

        Each idempotency record still waiting on its submission gets its response, and a
        submission whose client was answered 202 (or whose answer a restart lost:
        ``pending_entries``) gets an outcome entry in the API audit log."""
        entries: list[tuple[Submission, Settled]] = []
        for sub, settled in results:
            with sub.lock:
                sub.settled = settled
                if (sub.answered_pending or pending_entries) and sub.audit_seq is not None:
                    entries.append((sub, settled))

        self.journal.run_sync(
            lambda conn: store_outcomes(conn, results, entries, pending_entries=pending_entries)
        )
        waiters = Waiters()
        for sub, settled in results:
            self._subs.pop(sub.id, None)
            with sub.lock:
                if not sub.done.done():
                    sub.done.set_result(settled)
                pending, sub.waiters = sub.waiters, []
            for loop, future in pending:
                waiters.add(loop, future, True, settled)
        waiters.deliver()


class Host(Protocol):
    """What every part of the pipeline uses of it: the node, the actions' context, settling.
    Each part adds what else it needs in its own protocol."""

    @property
    def node(self) -> Node: ...

    @property
    def ctx(self) -> Context: ...

    def settle(
        self, results: list[tuple[Submission, Settled]], *, pending_entries: bool = False
    ) -> None: ...
