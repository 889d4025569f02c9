"""Per-caller rate limiting (429 + Retry-After) and request size limits (413).

Both run as plain ASGI middleware, ahead of routing, so a flood is refused before it costs a
database lookup. The caller is identified by a digest of its bearer key (without looking the
key up: an unknown key still spends its own budget) or, anonymous, by its client address.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import Problem, problem_response
from chain.errors import CarbonLedgerError


@dataclass
class _Bucket:
    tokens: float
    at: float


clock_of_buckets: Callable[[], float] = time.monotonic
"""The clock buckets made without one read (the app's): a test of the served app sets it, as a
slow machine may otherwise refill a token between two requests of a burst."""


class TokenBuckets:
    """``rate`` requests per minute per caller, with bursts up to ``burst``.

    Thread-safe: the sync routes run in a thread pool, and middleware may too."""

    def __init__(
        self, rate_per_minute: int, burst: int, clock: Callable[[], float] | None = None
    ) -> None:
        if rate_per_minute < 1 or burst < 1:
            raise ValueError("rate and burst must be at least 1")
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst)
        self._clock = clock or clock_of_buckets
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, caller: str) -> float:
        """Spend one token: 0.0 if allowed, else the seconds until one is available."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(caller)
            if bucket is None:
                if len(self._buckets) > 100_000:
                    self._forget_full(now)
                bucket = self._buckets[caller] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        """Drop callers whose buckets have refilled: they are indistinguishable from new."""
        full = [
            k for k, b in self._buckets.items() if b.tokens + (now - b.at) * self.rate >= self.burst
        ]
        for k in full:
            del self._buckets[k]


def caller_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return "key:" + hashlib.sha256(value).hexdigest()[:32]
    client = scope.get("client")
    return f"addr:{client[0]}" if client else "addr:unknown"


class _BodyTooLarge(HTTPException, CarbonLedgerError):
    """An ``HTTPException`` first: FastAPI re-raises those from body parsing (anything else it
    turns into a 400), and ``api.problems`` renders them as problem+json (its handlers are
    looked up along the class's MRO, so the HTTP one answers, not the ledger errors' one)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds {limit} bytes")


class LimitsMiddleware:
    """Refuses over-budget callers with 429 and oversized bodies with 413."""

    def __init__(self, app: ASGIApp, buckets: TokenBuckets, max_body_bytes: int) -> None:
        self.app = app
        self.buckets = buckets
        self.max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _EXEMPT:
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(caller_of(scope))
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            problem = Problem(
                429,
                "rate-limited",
                "Too many requests",
                f"rate limit of {round(self.buckets.rate * 60)} requests a minute exceeded; "
                f"retry after {seconds} s",
                headers={"Retry-After": str(seconds)},
            )
            await problem_response(problem)(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            problem = Problem(
                413,
                "request-body-too-large",
                "Request body too large",
                f"the request body exceeds {self.max_body} bytes",
            )
            await problem_response(problem)(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        """``receive`` that stops a body (chunked, or lying about its length) at the limit."""
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _BodyTooLarge(self.max_body)
            return message

        return counted


_EXEMPT = frozenset({"/healthz", "/readyz", "/metrics"})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def install(app: FastAPI) -> None:
    """Add the limits configured in ``app.state.services.settings``."""
    settings = app.state.services.settings
    rate = settings.rate_limit_per_minute
    buckets = TokenBuckets(rate, burst=max(1, rate // 6))  # ten seconds' worth at once
    app.add_middleware(LimitsMiddleware, buckets=buckets, max_body_bytes=settings.max_body_bytes)
