"""The confirmer: one thread that follows new blocks and settles the tracked transactions.

Each block with tracked transactions is settled with one receipts call and one commit. A
transaction long without a receipt (a missed block, a dropped transaction, a nonce someone else
took) is looked for, and rebroadcast or given up as the node says.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Protocol

from api.submission.model import Settled, Submission
from api.submission.node import Receipt
from api.submission.outcomes import Host, failure, outcome
from chain.errors import TransactionError

log = logging.getLogger("carbon_ledger.api.submission")

STALE_AFTER_S = 30.0
"""A submitted transaction with no receipt after this long is looked for, and rebroadcast or
given up (its nonce taken by another) as the node says."""


class Queue(Protocol):
    """An account's signing queue, as the confirmer hands it a submission to build again."""

    def push(self, sub: Submission) -> None: ...


class ConfirmerHost(Host, Protocol):
    """What the confirmer uses of the pipeline: how often to look, and each account's queue."""

    @property
    def poll_interval(self) -> float: ...

    def queue(self, address: str) -> Queue: ...


class Confirmer:
    """Follows new blocks and settles the tracked transactions mined in them."""

    def __init__(self, pipeline: ConfirmerHost) -> None:
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
            settled = outcome(p.ctx, sub, receipt)
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
                self.pipeline.settle([(sub, failure(sub, error))])
            else:
                node.send_raw([sub.signed.raw])  # the same bytes again
