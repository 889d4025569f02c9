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

The parts: this module composes them and submits; ``account_queue`` signs each account's
rounds, ``confirmer`` follows the blocks, ``reconcile`` settles what a restart finds in flight,
``outcomes`` says what a receipt or a refusal means and settles (every part's one way to end a
submission), ``rows`` stores the ``submissions`` rows and ``model`` is the submission itself.
The parts never import this module: each takes what it needs of the pipeline through a small
protocol (``outcomes.Host`` and its own additions). Transactions are signed, priced and
numbered by ``chain.transactions`` (``RawSigner``, ``FeePolicy``, ``NonceManager``), as every
other sender of the project's are.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from api.journal import Journal
from api.submission import calls
from api.submission.account_queue import AccountQueue
from api.submission.actions import Action, Context
from api.submission.confirmer import Confirmer
from api.submission.model import Settled, Submission, new_id
from api.submission.node import Node
from api.submission.outcomes import InFlight
from api.submission.parts import PartBook
from api.submission.reconcile import reconcile
from chain.transactions.fees import FeePolicy, LatestBaseFee
from chain.transactions.nonces import NonceManager
from chain.transactions.signer import RawSigner


class Pipeline:
    """Every account's queue, the confirmer, and what ties them: submitting and settling."""

    def __init__(
        self,
        node: Node,
        journal: Journal,
        contract: str,
        signers: Callable[[str], RawSigner],
        *,
        fees: FeePolicy | None = None,
        poll_interval: float = 0.05,
        workers: int = 8,
    ) -> None:
        self.node = node
        self.journal = journal
        self.contract = contract
        self.signers = signers
        self.ctx = Context(node, contract, PartBook(self._parts_from))
        self.fees = fees or FeePolicy()
        self.base_fee = LatestBaseFee(lambda: node.latest()[2])
        self.nonces = NonceManager.counting(lambda address: node.nonce(address, "pending"))
        self.poll_interval = poll_interval
        self._queues: dict[str, AccountQueue] = {}
        self._queues_lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="signer")
        self.inflight = InFlight(journal)
        self.confirmer = Confirmer(self)

    def _parts_from(self, start: int, count: int) -> tuple[list[int], list[tuple[int, int]]]:
        """Keys and (next, span) of consecutive parts. A part names its batch, whose quantity
        gives the span: read for the whole page in one ``multicall`` round trip."""
        keys, parts = calls.result(
            "partsFrom", self.node.call(self.contract, calls.calldata("partsFrom", start, count))
        )
        batch_ids = sorted({int(p[1]) for p in parts if int(p[1]) != 0})
        quantities = {0: 1}  # the head sentinel ends where it starts
        if batch_ids:
            (answers,) = calls.result(
                "multicall",
                self.node.call(
                    self.contract,
                    calls.calldata("multicall", [calls.calldata("batch", b) for b in batch_ids]),
                ),
            )
            for batch_id, answer in zip(batch_ids, answers, strict=True):
                (record,) = calls.result("batch", answer)
                quantities[batch_id] = int(record[4])  # BatchRecord.quantity
        return [int(k) for k in keys], [(int(p[0]), quantities[int(p[1])] - 1) for p in parts]

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Reconcile what a previous run left in flight, then follow the chain."""
        reconcile(self)
        self.confirmer.start()

    def stop(self) -> None:
        self.confirmer.stop()
        self.pool.shutdown(wait=True)

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
        self.inflight.add(sub)
        self.queue(sub.sender).push(sub)
        return sub.done

    def resume(self, sub: Submission) -> None:
        """Follow a transaction a previous run sent (``reconcile``)."""
        self.inflight.add(sub)
        self.confirmer.track([sub])

    def settled(self, submission_id: str, timeout: float) -> Settled | None:
        """Wait for an in-flight submission by id (``None`` if none is in flight)."""
        sub = self.inflight.get(submission_id)
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
        """Record outcomes and resolve their futures (``InFlight.settle``)."""
        self.inflight.settle(results, pending_entries=pending_entries)
