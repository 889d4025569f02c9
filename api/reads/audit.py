"""``GET /v1/audit/verify``: the audit verification, run against the chain when the server has
a node, else against the store alone, and remembered so pages can show "last verified".

Verification reads every event, so it is not run on every request: a result stays current
while the store's checkpoint and its indexer's recorded halt have not changed and it is younger
than ``max_age``; ``refresh`` forces a new run (at most one every ``MIN_INTERVAL_S``). One run at
a time per store: a request that arrives during a run waits for it and shares its result.

Like ``carbon-ledger audit verify``, it verifies the store up to its own block and reports the
chain head and the lag: a store that merely lags is ok; one whose indexer recorded a halt, or
further behind than ``max_lag_blocks``, is not (``chain.verify.check_progress``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import weakref
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.engine import Engine
from web3 import Web3

from api.reads._common import Model
from api.reads.storecheck import verify_store_only
from chain.deployment import Deployment
from chain.store import schema as s
from chain.verify import DEFAULT_MAX_LAG_BLOCKS, VerificationReport, check_progress, verify

log = logging.getLogger("carbon_ledger.api.audit")

MAX_AGE_S = 300.0
MIN_INTERVAL_S = 5.0


class Discrepancy(Model):
    kind: str
    """``audit``, ``event``, ``holdings``, ``conservation``, ``store``, ``indexer`` (a halt
    its indexer recorded), ``lag`` (further behind than the bound), ``registry``, or for a
    successor ledger ``succession`` (its link to its predecessor), ``carry`` (carried credits
    that differ from the predecessor's final live state) or ``not_carried`` (a live range or a
    project link of the predecessor not carried yet)."""
    block: int | None
    event: str | None
    field: str | None
    message: str


class PredecessorCheck(Model):
    """A sealed predecessor verified with its successor (docs/AUDIT.md, "Migration")."""

    address: str
    audit_seq: int
    audit_head: str
    """Its final head, which the successor's genesis folds in."""
    events: int
    batches: int
    live_ranges: int
    """Ranges held live at its seal: what the successor must carry."""
    live_tonnes: int
    carried_ranges: int
    carried_tonnes: int
    not_carried: int
    """Live ranges, project links and programmes of it the successor does not have yet."""
    links: int
    """Its project links across programmes: the successor must have each (both projects in
    one link group)."""
    carried_links: int


class IndexerHalt(Model):
    """Why the store's indexer stopped, as it recorded it; ``block``, ``seq`` and ``event``
    locate the event the store could not take, when known."""

    error: str
    block: int | None
    seq: int | None
    event: str | None
    stopped_at: int
    """Unix seconds."""


class AuditResult(Model):
    ok: bool
    audit_seq: int
    audit_head: str
    discrepancies: list[Discrepancy]
    chain_head: int | None
    """The chain's head block (``chain``: read from the node; ``store``: as the indexer beside
    the server last saw it, ``None`` if none runs)."""
    store_block: int | None
    """The block the store holds: it is verified up to there."""
    lag_blocks: int | None
    """``chain_head - store_block``: lag alone is no discrepancy up to ``max_lag_blocks``."""
    max_lag_blocks: int
    """Past this lag the store is taken as stopped: ``ok`` false, a ``lag`` discrepancy."""
    indexer_error: IndexerHalt | None
    """The halt the store's indexer recorded: ``ok`` false, an ``indexer`` discrepancy."""
    scope: Literal["chain", "store"]
    """``chain``: the trail recomputed from the node's raw logs, compared with the contract's
    head and storage, and the store diffed against it; ``store``: no node was available, so
    only what the store proves on its own (see ``note``)."""
    note: str
    block: int | None
    """The chain head verified (``chain``), or the store's checkpoint block (``store``)."""
    events: int
    batches: int
    verified_at: dt.datetime
    duration_s: float
    cached: bool
    """Whether this is an earlier run's result (the store has not moved since)."""
    predecessors: list[PredecessorCheck] = Field(default_factory=list)
    """For a successor ledger, each sealed predecessor verified with it, nearest first."""


STORE_NOTE = (
    "no chain connection is configured: verified the store alone (the events' audit hash "
    "chain against each row and the checkpoint, their decoding, holdings replayed against the "
    "stored ranges and totals, conservation); run `carbon-ledger audit verify` against a node "
    "to compare the head with the contract"
)
CHAIN_NOTE = (
    "audit chain recomputed from the node's raw logs and compared with the contract's "
    "auditSeq/auditHead; holdings replayed and compared with contract storage; the store "
    "diffed row by row against a re-index of the chain"
)


def chain_of(services: Any) -> tuple[Web3, Deployment] | None:
    """The node and deployment the server runs against: ``services.ledger.w3`` and
    ``services.ledger.deployment``; ``None`` for a server without a chain connection."""
    ledger = getattr(services, "ledger", None)
    w3, deployment = getattr(ledger, "w3", None), getattr(ledger, "deployment", None)
    if isinstance(w3, Web3) and isinstance(deployment, Deployment):
        return w3, deployment
    return None


class AuditVerifier:
    """The last verification of one store, and the lock that makes runs single-flight."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: AuditResult | None = None
        self._last_seq: tuple[int | None, int | None] | None = None
        self._ran_at = 0.0

    def last(self) -> AuditResult | None:
        """The latest result, without running anything (``None`` before the first run)."""
        last = self._last
        return None if last is None else last.model_copy(update={"cached": True})

    def result(
        self,
        engine: Engine,
        chain: tuple[Web3, Deployment] | None = None,
        *,
        refresh: bool = False,
        max_age: float = MAX_AGE_S,
        max_lag_blocks: int = DEFAULT_MAX_LAG_BLOCKS,
        relayed_head: int | None = None,
    ) -> AuditResult:
        """A current result: the remembered one if still current, else a new run.
        ``relayed_head`` is the chain head the indexer beside the server last saw, for a
        server with no node (the lag cannot be known otherwise)."""
        with self._lock:
            seq = _store_position(engine)
            age = time.monotonic() - self._ran_at
            fresh = self._last is not None and seq == self._last_seq and age < max_age
            if fresh and not (refresh and age >= MIN_INTERVAL_S):
                assert self._last is not None
                return self._last.model_copy(update={"cached": True})
            result = _run(engine, chain, max_lag_blocks, relayed_head)
            self._last, self._last_seq, self._ran_at = result, seq, time.monotonic()
            return result


_verifiers: weakref.WeakKeyDictionary[Engine, AuditVerifier] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def verifier_for(engine: Engine) -> AuditVerifier:
    """The verifier of the store behind ``engine`` (one per engine, for the process)."""
    with _registry_lock:
        verifier = _verifiers.get(engine)
        if verifier is None:
            verifier = _verifiers[engine] = AuditVerifier()
        return verifier


def _store_position(engine: Engine) -> tuple[int | None, int | None]:
    """What a remembered result depends on: the checkpoint's seq, and when the store's
    indexer recorded its halt (if it did)."""
    with engine.connect() as conn:
        seq = conn.execute(sa.select(s.checkpoint.c.audit_seq)).scalar_one_or_none()
        stopped = conn.execute(sa.select(s.indexer_halt.c.stopped_at)).scalar_one_or_none()
    return seq, stopped


def _run(
    engine: Engine,
    chain: tuple[Web3, Deployment] | None,
    max_lag_blocks: int,
    relayed_head: int | None,
) -> AuditResult:
    started, at = time.monotonic(), dt.datetime.now(dt.UTC)
    scope: Literal["chain", "store"] = "store"
    note = STORE_NOTE
    report: VerificationReport | None = None
    if chain is not None:
        try:
            report = verify(chain[0], chain[1], engine, max_lag_blocks=max_lag_blocks)
            scope, note = "chain", CHAIN_NOTE
        except Exception as exc:
            # Whatever the node or its client raised (down, refusing, another chain): say so
            # in the result, and still check what the store proves on its own.
            log.warning("audit verification against the chain failed: %s", exc)
            note = f"the chain could not be read ({exc}); " + STORE_NOTE.split(": ", 1)[1]
    if report is None:
        report = verify_store_only(engine)
        report.discrepancies.extend(check_progress(report, engine, relayed_head, max_lag_blocks))
        report.ok = not report.discrepancies
    halted = report.indexer_error
    return AuditResult(
        ok=report.ok,
        audit_seq=report.audit_seq,
        audit_head=report.audit_head,
        discrepancies=[Discrepancy(**vars(d)) for d in report.discrepancies],
        chain_head=report.chain_head,
        store_block=report.store_block,
        lag_blocks=report.lag_blocks,
        max_lag_blocks=max_lag_blocks,
        indexer_error=None if halted is None else IndexerHalt(**halted),
        scope=scope,
        note=note,
        block=report.block if scope == "chain" else report.store_block,
        events=report.events,
        batches=report.batches,
        verified_at=at,
        duration_s=round(time.monotonic() - started, 3),
        cached=False,
        predecessors=[PredecessorCheck(**p) for p in report.predecessors],
    )
