"""One account's submissions, signed in rounds with consecutive nonces.

The queue runs on one of the pipeline's worker threads only while it has work. A *round* takes
everything waiting (up to ``MAX_ROUND``): builds each call (hints see every bridging signed
before), signs with consecutive nonces from the pipeline's ``NonceManager``, stores all raw
transactions in one commit, and broadcasts them in one JSON-RPC batch. A transaction the node
refuses over its nonce is signed again after a resync; any other refusal fails its submission.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import Protocol

from api.journal import Journal
from api.submission.actions import Filler
from api.submission.model import MAX_ATTEMPTS, Settled, Submission, new_id
from api.submission.node import Node
from api.submission.outcomes import Host, failure
from api.submission.rows import mark_submitted, store_signed
from chain.errors import CarbonLedgerError, NodeError, NonceConflict, TransactionError, is_retryable
from chain.transactions.fees import FeePolicy
from chain.transactions.nonces import NonceManager
from chain.transactions.signer import RawSigner

log = logging.getLogger("carbon_ledger.api.submission")

MAX_ROUND = 400
"""Transactions signed and broadcast together at most (one JSON-RPC batch)."""


class Tracker(Protocol):
    """What follows the broadcast transactions until they are mined (the confirmer)."""

    def track(self, subs: Iterable[Submission]) -> None: ...

    def untrack(self, subs: Iterable[Submission]) -> None: ...


class QueueHost(Host, Protocol):
    """What a queue uses of the pipeline: its threads, keys, fees, nonces, journal, tracker."""

    @property
    def pool(self) -> Executor: ...

    @property
    def signers(self) -> Callable[[str], RawSigner]: ...

    @property
    def fees(self) -> FeePolicy: ...

    @property
    def base_fee(self) -> Callable[[], int]: ...

    @property
    def nonces(self) -> NonceManager: ...

    @property
    def journal(self) -> Journal: ...

    @property
    def confirmer(self) -> Tracker: ...


class AccountQueue:
    """One account's submissions, signed in order with consecutive nonces (module docstring)."""

    def __init__(self, pipeline: QueueHost, address: str) -> None:
        self.pipeline = pipeline
        self.address = address
        self._items: deque[Submission] = deque()
        self._lock = threading.Lock()
        self._running = False

    def push(self, sub: Submission, *, front: bool = False) -> None:
        with self._lock:
            if front:
                self._items.appendleft(sub)
            else:
                self._items.append(sub)
            if not self._running:
                self._running = True
                self.pipeline.pool.submit(self._drain)

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._items:
                    self._running = False
                    return
                batch = [self._items.popleft() for _ in range(min(MAX_ROUND, len(self._items)))]
            self.run_round(batch)

    def run_round(self, batch: list[Submission]) -> None:
        p = self.pipeline
        started = time.perf_counter()
        try:
            signed, refused = self.sign(batch)
            built = time.perf_counter()
            self.store(signed, refused)
            stored = time.perf_counter()
        except Exception as exc:
            # Nothing of this round reached the node: the nonces are free again.
            log.exception("signing a round for %s failed", self.address)
            p.nonces.resync(self.address)
            for sub in batch:
                sub.signed = None
            error = exc if isinstance(exc, CarbonLedgerError) else TransactionError(str(exc))
            unsettled = [sub for sub in batch if sub.settled is None]
            p.settle([(sub, failure(sub, error)) for sub in unsettled])
            return
        try:
            answers = self.broadcast(signed)
        except Exception:
            # Stored and tracked: the confirmer rebroadcasts the same bytes once they are stale.
            log.exception("broadcasting a round for %s failed; it will be retried", self.address)
            return
        self.record(signed, answers)
        log.debug(
            "round of %s: %d signed in %.1f ms, stored in %.1f ms, broadcast in %.1f ms",
            self.address,
            len(signed),
            (built - started) * 1000,
            (stored - built) * 1000,
            (time.perf_counter() - stored) * 1000,
        )

    # The three steps of a round, separately callable so tests can stop between them as a
    # crash would (tests/api/submission/test_restart.py).

    def sign(
        self, batch: list[Submission]
    ) -> tuple[list[Submission], list[tuple[Submission, Settled]]]:
        p = self.pipeline
        signer = p.signers(self.address)
        max_fee = p.fees.max_fee(p.base_fee())
        signed: list[Submission] = []
        refused: list[tuple[Submission, Settled]] = []
        for sub in batch:
            try:
                call = sub.action.build(p.ctx, self.address, sub.attempts)
            except CarbonLedgerError as exc:
                sub.action.failed(p.ctx, exc, False)
                refused.append((sub, failure(sub, exc)))
                continue
            if sub.forced_nonce is not None:
                nonce = sub.forced_nonce
            else:
                nonce = p.nonces.reserve(self.address)
            sub.call = call
            sub.signed = signer.sign(
                nonce=nonce,
                to=call.to,
                data=call.data,
                gas=call.gas,
                max_fee=max_fee,
                priority_fee=p.fees.priority_fee,
                value=call.value,
            )
            sub.attempts += 1
            signed.append(sub)
        return signed, refused

    def store(self, signed: list[Submission], refused: list[tuple[Submission, Settled]]) -> None:
        """Commit the raw transactions (state ``accepted``) before anything is broadcast."""

        if signed:
            self.pipeline.journal.run_sync(lambda conn: store_signed(conn, signed))
        if refused:
            self.pipeline.settle(refused)

    def broadcast(self, signed: list[Submission]) -> list[str | NodeError]:
        if not signed:
            return []
        now = time.monotonic()
        for sub in signed:
            sub.sent_at = now
        self.pipeline.confirmer.track(signed)
        return self.pipeline.node.send_raw([sub.signed.raw for sub in signed if sub.signed])

    def record(self, signed: list[Submission], answers: list[str | NodeError]) -> None:
        p = self.pipeline
        sent: list[Submission] = []
        rejected: list[tuple[Submission, NodeError]] = []
        for sub, answer in zip(signed, answers, strict=True):
            assert sub.signed is not None
            if isinstance(answer, NodeError) and not _already_known(
                answer, p.node, sub.signed.tx_hash
            ):
                rejected.append((sub, answer))
            else:
                sent.append(sub)
        if sent:
            ids = [sub.id for sub in sent]

            p.journal.submit(lambda conn: mark_submitted(conn, ids))
        if rejected:
            self._rejected(sent, rejected)

    def _rejected(
        self, sent: list[Submission], rejected: list[tuple[Submission, NodeError]]
    ) -> None:
        """Transactions the node refused were never sent. A refusal that may pass
        (``chain.errors.is_retryable``: a nonce the node already had, from another user of the
        key or a replaced transaction; a rate limit; a node unavailable) means: sign them again
        after a resync.
        Otherwise they fail, and a nonce left empty below one that went out is filled, so the
        account's later transactions do not wait behind the gap."""
        p = self.pipeline
        p.confirmer.untrack([sub for sub, _ in rejected])
        top = max((sub.signed.nonce for sub in sent if sub.signed), default=-1)
        resend: list[Submission] = []
        failed: list[tuple[Submission, Settled]] = []
        gaps: list[int] = []
        for sub, error in rejected:
            assert sub.signed is not None
            nonce = sub.signed.nonce
            sub.signed = None
            sub.attempts -= 1
            sub.refusals += 1
            if sub.forced_nonce is None and is_retryable(error) and sub.refusals <= MAX_ATTEMPTS:
                resend.append(sub)
                continue
            log.warning("the node refused %s's transaction %s: %s", self.address, sub.id, error)
            reason = TransactionError(f"the node refused the transaction: {error.message}")
            failed.append((sub, failure(sub, reason)))
            if nonce < top and sub.forced_nonce is None:
                gaps.append(nonce)
        # The node's pending count is the truth after a conflict or when nothing went out.
        if sent and not resend:
            p.nonces.resume_at(self.address, top + 1)
        else:
            p.nonces.resync(self.address)
        if failed:
            p.settle(failed)
        for nonce in gaps:
            self.push(Submission(new_id(), self.address, Filler(), forced_nonce=nonce), front=True)
        for sub in reversed(resend):
            self.push(sub, front=True)


def _already_known(error: NodeError, node: Node, tx_hash: str) -> bool:
    text = error.message.lower()
    if "already known" in text or "already imported" in text or "known transaction" in text:
        return True
    return isinstance(error, NonceConflict) and node.known(tx_hash)
