"""A submission (a write on its way to the chain) and how it settled.

A submission moves ``accepted`` → ``submitted`` → ``confirmed`` | ``failed``; the pipeline
(``api.submission.pipeline``) drives it, and ``api.submission.rows`` stores it.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from api.submission.actions import Action
from chain.transactions.signer import Call, SignedTx

MAX_ATTEMPTS = 4
"""Transactions one submission may have mined (stale hints are retried)."""


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
