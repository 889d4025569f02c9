"""The submission pipeline: one signing queue per account, pipelined nonces, tracked receipts.

A submission moves ``accepted`` → ``submitted`` → ``confirmed`` | ``failed``:

- **accepted**: its transaction is signed and the raw bytes are stored (committed) before they
  are broadcast, so a crash can only leave bytes that were, or were not, sent: a restart
  (``reconcile``) looks for their receipt, and rebroadcasts the *same* bytes (same nonce, same
  hash) if the node never got them. Nothing is ever signed twice for one submission unless its
  first transaction was mined and failed on a stale hint.
- **submitted**: the node has it.
- **confirmed** / **failed**: mined, with the response body or the decoded contract error as a
  problem body. A request refused before anything is sent (an overlap the part book sees)
  also ends ``failed``, without a transaction.

Each account's queue runs on a worker thread only while it has work. A *round* takes everything
waiting: builds each call (hints see every bridging signed before), signs with consecutive
nonces, stores all raw transactions in one commit, and broadcasts them in one JSON-RPC batch.
While a round is on the wire the next one fills, so under load rounds grow instead of queues.
One confirmer thread follows new blocks and settles every tracked transaction in a block with
one receipts call and one commit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import rlp  # type: ignore[import-untyped]
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api import audit_log, tables
from api.journal import Journal, Waiters
from api.problems import problem_for
from api.submission import calls
from api.submission.actions import ACTIONS, Action, Call, Context, Filler
from api.submission.node import Node, Receipt
from api.submission.parts import PartBook
from api.submission.signer import SignedTx, Signer
from chain.errors import CarbonLedgerError, NodeError, NonceConflict, TransactionError, is_retryable

log = logging.getLogger("carbon_ledger.api.submission")

MAX_ROUND = 400
"""Transactions signed and broadcast together at most (one JSON-RPC batch)."""
MAX_ATTEMPTS = 4
"""Transactions one submission may have mined (stale hints are retried)."""
STALE_AFTER_S = 30.0
"""A submitted transaction with no receipt after this long is looked for, and rebroadcast or
given up (its nonce taken by another) as the node says."""
FINAL = ("confirmed", "failed")


@dataclass(frozen=True)
class Settled:
    """How a submission ended: the HTTP status and body it answers with."""

    id: str
    state: str
    status: int
    body: dict[str, Any]
    tx_hash: str | None = None
    block_number: int | None = None
    ledger_seq: int | None = None


@dataclass(eq=False)
class Submission:
    id: str
    sender: str
    action: Action
    key_id: str | None = None
    audit_seq: int | None = None
    path: str = ""
    attempts: int = 0
    signed: SignedTx | None = None
    call: Call | None = None
    sent_at: float = 0.0
    done: Future[Settled] = field(default_factory=Future)
    answered_pending: bool = False
    """The client got a 202 for it: its settlement gets its own audit entry."""
    settled: Settled | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    forced_nonce: int | None = None
    refusals: int = 0
    """Times the node refused its transaction in a way that may pass (a nonce, a rate limit:
    ``chain.errors.is_retryable``); it is signed again, up to a limit."""
    stored: bool = False
    """Its row exists (written by a committed job)."""
    waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[Settled]]] = field(
        default_factory=list
    )
    claimed: bool = False
    """An Idempotency-Key record waits on it (``api.idempotency``)."""

    @property
    def kind(self) -> str:
        return self.action.kind

    def outcome_future(self) -> asyncio.Future[Settled]:
        """``done`` for the running event loop; settlements wake each loop once per batch
        (``api.journal.Waiters``) rather than once per submission."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Settled] = loop.create_future()
        with self.lock:
            if self.done.done():
                future.set_result(self.done.result())
            else:
                self.waiters.append((loop, future))
        return future

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "key_id": self.key_id,
            "sender": self.sender,
            "request": {"path": self.path, **self.action.request()},
            "attempts": self.attempts,
            "audit_seq": self.audit_seq,
        }


def new_id() -> str:
    return str(uuid.uuid4())


class Fees:
    """EIP-1559 fee caps from the latest base fee (read at most once per block interval)."""

    def __init__(self, node: Node, multiplier: int = 4, floor: int = 0) -> None:
        self.node = node
        self.multiplier = multiplier
        self.floor = floor
        self._cached: tuple[float, int] = (0.0, 0)
        self._lock = threading.Lock()

    def base_fee(self) -> int:
        with self._lock:
            at, fee = self._cached
            if time.monotonic() - at > 0.5:
                fee = self.node.latest()[2]
                self._cached = (time.monotonic(), fee)
            return fee

    def max_fee(self) -> int:
        return max(self.base_fee() * self.multiplier, self.floor)


class Pipeline:
    def __init__(
        self,
        node: Node,
        journal: Journal,
        contract: str,
        signers: Callable[[str], Signer],
        *,
        fees: Fees | None = None,
        poll_interval: float = 0.05,
        workers: int = 8,
    ) -> None:
        self.node = node
        self.journal = journal
        self.contract = contract
        self.signers = signers
        self.ctx = Context(node, contract, PartBook(self._parts_from))
        self.fees = fees or Fees(node)
        self.poll_interval = poll_interval
        self._queues: dict[str, AccountQueue] = {}
        self._queues_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="signer")
        self.confirmer = Confirmer(self)
        self._inflight: dict[str, Submission] = {}

    def _parts_from(self, start: int, count: int) -> tuple[list[int], list[tuple[int, int]]]:
        keys, parts = calls.result(
            "partsFrom", self.node.call(self.contract, calls.calldata("partsFrom", start, count))
        )
        return [int(k) for k in keys], [(int(p[0]), int(p[1])) for p in parts]

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Reconcile what a previous run left in flight, then follow the chain."""
        from api.submission.reconcile import reconcile  # it builds on this module

        reconcile(self)
        self.confirmer.start()

    def stop(self) -> None:
        self.confirmer.stop()
        self._pool.shutdown(wait=True)

    def queue(self, address: str) -> AccountQueue:
        address = address.lower()
        with self._queues_lock:
            q = self._queues.get(address)
            if q is None:
                q = self._queues[address] = AccountQueue(self, address)
            return q

    # ------------------------------------------------------------ submitting

    def submit(self, sub: Submission) -> Future[Settled]:
        """Queue ``sub`` on its sender's queue; the future resolves when it settles."""
        self._inflight[sub.id] = sub
        self.queue(sub.sender).push(sub)
        return sub.done

    def resume(self, sub: Submission) -> None:
        """Follow a transaction a previous run sent (``reconcile``)."""
        self._inflight[sub.id] = sub
        self.confirmer.track([sub])

    def settled(self, submission_id: str, timeout: float) -> Settled | None:
        """Wait for an in-flight submission by id (``None`` if none is in flight)."""
        sub = self._inflight.get(submission_id)
        return None if sub is None else sub.done.result(timeout=timeout)

    def submit_action(
        self, sender: str, action: Action, *, path: str = "", key_id: str | None = None
    ) -> Submission:
        sub = Submission(new_id(), sender.lower(), action, key_id=key_id, path=path)
        self.submit(sub)
        return sub

    def wait(self, subs: Iterable[Submission], timeout: float) -> list[Settled]:
        """Block until every submission settles (raises ``TimeoutError``)."""
        return [sub.done.result(timeout=timeout) for sub in subs]

    # ------------------------------------------------------------ settling

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

        def job(conn: Connection) -> None:
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

        self.journal.run_sync(job)
        waiters = Waiters()
        for sub, settled in results:
            self._inflight.pop(sub.id, None)
            with sub.lock:
                if not sub.done.done():
                    sub.done.set_result(settled)
                pending, sub.waiters = sub.waiters, []
            for loop, future in pending:
                waiters.add(loop, future, True, settled)
        waiters.deliver()

    def failure(
        self, sub: Submission, error: CarbonLedgerError, receipt: Receipt | None = None
    ) -> Settled:
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

    def outcome(self, sub: Submission, receipt: Receipt) -> Settled | None:
        """What a receipt means for ``sub``; ``None`` when it is to be built and sent again."""
        if receipt.status == 1:
            body = sub.action.confirmed(self.ctx, receipt)
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
        error = self.node.revert_reason(receipt, sub.sender, call.to, call.data)
        retry = sub.action.retryable(error) and sub.attempts < MAX_ATTEMPTS
        sub.action.failed(self.ctx, error, retry)
        if retry:
            return None
        return self.failure(sub, error, receipt)


class AccountQueue:
    """One account's submissions, signed in order with consecutive nonces (module docstring)."""

    def __init__(self, pipeline: Pipeline, address: str) -> None:
        self.pipeline = pipeline
        self.address = address
        self._items: deque[Submission] = deque()
        self._lock = threading.Lock()
        self._running = False
        self.next_nonce: int | None = None

    def push(self, sub: Submission, *, front: bool = False) -> None:
        with self._lock:
            if front:
                self._items.appendleft(sub)
            else:
                self._items.append(sub)
            if not self._running:
                self._running = True
                self.pipeline._pool.submit(self._drain)

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
            self.next_nonce = None
            for sub in batch:
                sub.signed = None
            error = exc if isinstance(exc, CarbonLedgerError) else TransactionError(str(exc))
            unsettled = [sub for sub in batch if sub.settled is None]
            p.settle([(sub, p.failure(sub, error)) for sub in unsettled])
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
        if self.next_nonce is None:
            self.next_nonce = p.node.nonce(self.address, "pending")
        max_fee = p.fees.max_fee()
        signed: list[Submission] = []
        refused: list[tuple[Submission, Settled]] = []
        for sub in batch:
            try:
                call = sub.action.build(p.ctx, self.address, sub.attempts)
            except CarbonLedgerError as exc:
                sub.action.failed(p.ctx, exc, False)
                refused.append((sub, p.failure(sub, exc)))
                continue
            if sub.forced_nonce is not None:
                nonce = sub.forced_nonce
            else:
                nonce = self.next_nonce
                self.next_nonce += 1
            sub.call = call
            sub.signed = signer.sign(
                nonce=nonce,
                to=call.to,
                data=call.data,
                gas=call.gas,
                max_fee=max_fee,
                value=call.value,
            )
            sub.attempts += 1
            signed.append(sub)
        return signed, refused

    def store(self, signed: list[Submission], refused: list[tuple[Submission, Settled]]) -> None:
        """Commit the raw transactions (state ``accepted``) before anything is broadcast."""

        def job(conn: Connection) -> None:
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

        if signed:
            self.pipeline.journal.run_sync(job)
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

            def job(conn: Connection) -> None:
                conn.execute(
                    tables.submissions.update()
                    .where(tables.submissions.c.id.in_(ids))
                    .where(tables.submissions.c.state == "accepted")
                    .values(state="submitted", updated_at=audit_log.now_ms())
                )

            p.journal.submit(job)
        if rejected:
            self._rejected(sent, rejected)

    def _rejected(
        self, sent: list[Submission], rejected: list[tuple[Submission, NodeError]]
    ) -> None:
        """Transactions the node refused were never sent. A refusal that may pass
        (``chain.errors.is_retryable``: a nonce the node already had, from another user of the
        key or a replaced transaction; a rate limit; a node unavailable) means: sign them again
        after a resync. Otherwise they fail, and a nonce left empty below one that went out is
        filled, so the account's later transactions do not wait behind the gap."""
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
            failed.append((sub, p.failure(sub, reason)))
            if nonce < top and sub.forced_nonce is None:
                gaps.append(nonce)
        # The node's pending count is the truth after a conflict or when nothing went out.
        self.next_nonce = top + 1 if sent and not resend else None
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


class Confirmer:
    """Follows new blocks and settles the tracked transactions mined in them."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self._tracked: dict[str, Submission] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.next_block: int | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="confirmer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()

    def track(self, subs: Iterable[Submission]) -> None:
        with self._lock:
            if not self._tracked and self.next_block is None:
                # Everything tracked from now on is mined after this head: scan from here.
                self.next_block = self.pipeline.node.block_number() + 1
            for sub in subs:
                assert sub.signed is not None
                self._tracked[sub.signed.tx_hash] = sub
        self._wake.set()

    def untrack(self, subs: Iterable[Submission]) -> None:
        with self._lock:
            for sub in subs:
                for h, tracked in list(self._tracked.items()):
                    if tracked is sub:
                        del self._tracked[h]

    @property
    def tracked(self) -> int:
        return len(self._tracked)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.step()
            except Exception:
                log.exception("confirmer step failed; retrying")
                busy = False
                self._stop.wait(1.0)
            if not busy:
                self._wake.wait(self.pipeline.poll_interval)
                self._wake.clear()

    def step(self) -> bool:
        """Settle what the blocks since the last step mined; ``True`` if it did any work."""
        with self._lock:
            if not self._tracked:
                self.next_block = None
                return False
            start = self.next_block
        node = self.pipeline.node
        head = node.block_number()
        if start is None:
            start = head
        worked = False
        for number in range(start, head + 1):
            hashes = node.block_transactions(number)
            if hashes is None:
                break
            with self._lock:
                mine = [h for h in hashes if h in self._tracked]
            if mine:
                self._settle(node.block_receipts(number, mine))
                worked = True
            with self._lock:
                self.next_block = number + 1
        self._look_for_stale()
        return worked

    def _settle(self, receipts: list[Receipt]) -> None:
        p = self.pipeline
        results: list[tuple[Submission, Settled]] = []
        for receipt in receipts:
            with self._lock:
                sub = self._tracked.pop(receipt.tx_hash, None)
            if sub is None:
                continue
            settled = p.outcome(sub, receipt)
            if settled is None:
                sub.signed = None
                p.queue(sub.sender).push(sub)  # built again with a fresh hint and nonce
            else:
                results.append((sub, settled))
        if results:
            p.settle(results)

    def _look_for_stale(self) -> None:
        """Transactions long without a receipt: a missed block, a dropped transaction, or a
        nonce someone else took. Ask the node about each."""
        now = time.monotonic()
        with self._lock:
            stale = [sub for sub in self._tracked.values() if now - sub.sent_at > STALE_AFTER_S]
        node = self.pipeline.node
        for sub in stale:
            assert sub.signed is not None
            receipt = node.receipt(sub.signed.tx_hash)
            if receipt is not None:
                self._settle([receipt])
                continue
            sub.sent_at = now
            if node.known(sub.signed.tx_hash):
                continue
            if node.nonce(sub.sender, "latest") > sub.signed.nonce:
                with self._lock:
                    self._tracked.pop(sub.signed.tx_hash, None)
                error = TransactionError(
                    "dropped: another transaction took its nonce; it did nothing"
                )
                self.pipeline.settle([(sub, self.pipeline.failure(sub, error))])
            else:
                node.send_raw([sub.signed.raw])  # the same bytes again


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
        sub.call = _call_of(bytes(row.raw_tx))
    return sub


def _call_of(raw: bytes) -> Call:
    """The call inside a signed EIP-1559 transaction (to replay a revert after a restart)."""
    fields = rlp.decode(raw[1:])
    to = "0x" + bytes(fields[5]).hex()
    return Call(to, bytes(fields[7]), int.from_bytes(fields[4]), int.from_bytes(fields[6]))
