"""The indexer: mirrors the ledger's events into the query store, exactly once, in order.

Guarantees (docs/ARCHITECTURE.md, "Indexer"):

- **Order.** Events are applied in (block, transaction index, log index) order, and their audit
  ``seq`` must run 1, 2, 3, … without a gap: a node that omits a log is caught, not believed.
  The blocks it may be in are read again (``_recover``), after rewinding the store if it
  already took them; a node that keeps omitting it stops the indexer.
- **Atomicity.** Each step writes its events, every derived row and the checkpoint in one
  database transaction. A crash at any instant leaves the store at the previous checkpoint; the
  next run resumes from there, and applying the same blocks again changes nothing.
- **Reorgs.** Blocks deeper than ``confirmations`` below the head are final and read in adaptive
  ranges. Newer blocks are read one at a time, checking each parent hash; on a mismatch the
  indexer walks back to the common ancestor, undoes everything above it and replays. A reorg
  that reaches a block it had taken as final stops it with ``ReorgTooDeep``.
- **Identity.** It refuses a node or store whose chain id, genesis, deploy block or contract
  differs from ``deployment.json``.

Catching up, it overlaps the database with the node: while one final range is written (in a
background thread, in order, one transaction each, exactly as it would be in the foreground),
the next is fetched, decoded and derived. SQLite and psycopg release the GIL while they work, so
the two proceed in parallel; anything else (a reorg, a block newer than the confirmations, the
end of the sync, an error) first waits for the write in flight. A large answer is written in
parts of about ``PART_LOGS`` logs, each its own transaction, so that writing overlaps deriving
within it too; the first part of a large answer (which the write thread waits for) and the
last of a catch-up (which nothing overlaps) are small (``EDGE_LOGS``). A sync runs with the
cyclic garbage collector paused (``gc_paused``).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import SingletonThreadPool, StaticPool
from web3 import Web3

from chain.deployment import Deployment
from chain.errors import (
    DeploymentMismatch,
    IndexerBusy,
    IndexerError,
    MissingBlock,
    ReorgTooDeep,
    SequenceGap,
    is_retryable,
)
from chain.events import LedgerEvent, decode_logs, event_specs, gc_paused, quantity
from chain.indexer import halt
from chain.indexer.lock import StoreLock
from chain.indexer.rollback import rollback_to
from chain.indexer.source import BlockHeader, LogSource
from chain.indexer.writer import (
    AuditPosition,
    PreparedChunk,
    StoreWriter,
    upsert,
)
from chain.store import schema as s

log = logging.getLogger("carbon_ledger.indexer")
DEFAULT_CONFIRMATIONS = 12
GAP_READS = 4
"""Answers with the same hole in the audit ``seq`` after which the indexer stops: a node that
loses a log now and then is read again; one that always does is reported."""
PART_LOGS = 20_000
"""Logs a transaction takes at most about twice of, catching up: big enough that SQLite's
per-transaction work (writing the touched pages to the WAL, checkpointing) stays small, small
enough that the next part is derived while this one is written."""
EDGE_LOGS = 2_500
"""Logs the first part of a large answer takes about, and the last of a catch-up at least:
the write thread waits for the first to be derived, and nothing is derived beside the last
one's write."""
CULPRIT_PIECE = 500
"""Events applied at a time when looking for the one a failed chunk could not take (then one
by one within the failing piece): a catch-up chunk holds tens of thousands."""
MAX_BACKOFF = 60.0
"""The longest pause ``follow`` makes before trying a retryable failure again (seconds)."""


class Stop(Protocol):
    """What ``follow`` stops on: a ``threading.Event`` or a ``multiprocessing`` one."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass(frozen=True)
class Checkpoint:
    block_number: int
    block_hash: str
    audit_seq: int
    audit_head: str
    paused: bool


@dataclass(frozen=True)
class Progress:
    """Where the indexer stands; ``lag`` is blocks behind the node's head."""

    block: int
    head: int
    events: int
    audit_seq: int
    elapsed: float

    @property
    def lag(self) -> int:
        return max(0, self.head - self.block)

    @property
    def events_per_second(self) -> float:
        return self.events / self.elapsed if self.elapsed > 0 else 0.0


class Indexer:
    def __init__(
        self,
        w3: Web3,
        engine: Engine,
        deployment: Deployment,
        *,
        confirmations: int = DEFAULT_CONFIRMATIONS,
        source: LogSource | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        if confirmations < 0:
            raise ValueError("confirmations must be >= 0")
        self.w3 = w3
        self.engine = engine
        self.deployment = deployment
        self.confirmations = confirmations
        self.source = source or LogSource(w3, deployment.address)
        self.on_progress = on_progress
        self.writer = StoreWriter()
        self.store_lock = StoreLock(engine)
        """Held while syncing or following: a second indexer on the store gets ``IndexerBusy``."""
        self._audited = frozenset(event_specs("ICarbonLedgerEvents"))
        self.head = 0
        self.reorgs = 0
        self.rewinds = 0
        """Rollbacks after a node's answer lacked logs (``_recover``); not reorgs."""
        self._halted = False
        """The store records a halt (``chain.indexer.halt``), to clear on the next success."""
        self._failed: tuple[Checkpoint, list[LedgerEvent]] | None = None
        """The chunk whose deriving or writing failed: where it started, and its events."""
        self._halt_at: tuple[int | None, int | None] = (None, None)
        """The block and seq an error raised outside a chunk is about, when it knows them."""

    # ------------------------------------------------------------ identity

    def initialise(self) -> Checkpoint:
        """Check node and store against the deployment; create the checkpoint on first run."""
        self.deployment.check(self.w3)
        d = self.deployment
        with self.engine.begin() as conn:
            info = conn.execute(sa.select(s.chain_info)).one_or_none()
            expected = {
                "chain_id": d.chain_id,
                "genesis_hash": d.genesis_hash,
                "contract_address": d.address.lower(),
                "deploy_block": d.deploy_block,
                "deploy_block_hash": d.deploy_block_hash,
            }
            if info is None:
                conn.execute(s.chain_info.insert().values(id=1, **expected))
                conn.execute(
                    s.checkpoint.insert().values(
                        id=1,
                        block_number=d.deploy_block - 1,
                        block_hash="",
                        audit_seq=0,
                        audit_head="0x" + d.audit_genesis.hex(),
                        paused=False,
                        updated_at=int(time.time()),
                    )
                )
            else:
                for name, value in expected.items():
                    if getattr(info, name) != value:
                        raise DeploymentMismatch(
                            f"the store was built from {name} {getattr(info, name)}, "
                            f"but deployment.json says {value}: use another --db"
                        )
            self._halted = halt.read(conn) is not None
            return self._checkpoint(conn)

    def _checkpoint(self, conn: Connection) -> Checkpoint:
        row = conn.execute(sa.select(s.checkpoint)).one()
        return Checkpoint(
            row.block_number, row.block_hash, row.audit_seq, row.audit_head, row.paused
        )

    def checkpoint(self) -> Checkpoint:
        with self.engine.connect() as conn:
            return self._checkpoint(conn)

    # ------------------------------------------------------------ syncing

    def sync(self, *, until: int | None = None) -> Progress:
        """Index up to the head (or ``until``); returns the progress at the end."""
        # Catching up allocates objects by the million (answers, events, rows, cached ranges),
        # all freed by reference counting: the cyclic collector would only re-scan them.
        with self.store_lock, gc_paused():
            self._failed, self._halt_at = None, (None, None)
            try:
                progress = self._sync(until)
            except Exception as exc:
                self._record_halt(exc)
                raise
            if self._halted:
                with self.engine.begin() as conn:
                    halt.clear(conn)
                self._halted = False
            return progress

    def _record_halt(self, exc: Exception) -> None:
        """Record in the store why the sync stopped, naming the event that caused it when a
        chunk failed: its events are applied again, in a transaction rolled back after, until
        one fails. The error being raised is the one to tell: a store that cannot take the
        record either is only logged."""
        block, seq = self._halt_at
        event: str | None = None
        try:
            if self._failed is not None:
                before, events = self._failed
                culprit = self._culprit(before, events)
                if culprit is not None:
                    block, seq, event = culprit.block_number, culprit.seq, culprit.name
                elif events:  # it did not fail again: the chunk is all that is known
                    block, seq = events[0].block_number, events[0].seq
            with self.engine.begin() as conn:
                halt.record(conn, halt.halt_from(exc, block, seq, event))
            self._halted = True
        except Exception:
            log.exception("could not record in the store why the indexer stopped")

    def _culprit(self, before: Checkpoint, events: list[LedgerEvent]) -> LedgerEvent | None:
        """The first of ``events`` (a chunk that failed after ``before``) that the store does
        not take, applied again in pieces and then one by one in a transaction rolled back;
        ``None`` if none fails this time (the failure was not the events')."""
        good = 0  # events[:good] apply cleanly
        for size in (CULPRIT_PIECE, 1):
            writer = StoreWriter()
            failed: int | None = None
            with self.engine.connect() as conn:
                conn.begin()
                try:
                    position = _position(before)
                    if good:
                        position = writer.apply(conn, events[:good], position)[0]
                    for start in range(good, len(events), size):
                        piece = events[start : start + size]
                        try:
                            position = writer.apply(conn, piece, position)[0]
                        except Exception:
                            failed = start
                            break
                finally:
                    conn.rollback()
            if failed is None:
                return None
            good = failed
        return events[good]

    def _sync(self, until: int | None) -> Progress:
        started, events = time.monotonic(), 0
        cp = self.initialise()
        background = _Background(self, started) if self._can_write_behind() else None
        reads: dict[int, int] = {}  # missing seq -> answers that lacked it
        try:
            while True:
                self.head = self.source.head()
                target = self.head if until is None else min(until, self.head)
                try:
                    if cp.block_number >= target:
                        # Caught up, unless the chain was replaced by one no longer than ours.
                        if self._on_chain(cp):
                            if target == self.head:
                                self._check_complete(cp)
                            break
                        if background is not None:
                            background.wait()
                        cp = self._reorg(cp)
                        continue
                    if not self._on_chain(cp):
                        if background is not None:
                            background.wait()  # the reorg reads what is written
                        cp = self._reorg(cp)
                    final = self.head - self.confirmations
                    if cp.block_number < final:
                        upto = min(final, target)
                        logs, end = self.source.logs(cp.block_number + 1, upto)
                        header = self.source.header(end)
                        for part, last in _parts(logs, end, last=end == upto):
                            at = header if last == end else self.source.header(last)
                            if background is not None:
                                step = self._prepare(cp, part, at, [at])
                                events += step.prepared.events
                                background.submit(step, events)
                                cp = step.checkpoint
                            else:
                                cp, applied = self._commit(cp, part, at, [at])
                                events += applied
                                self._report(cp, events, started)
                        continue
                    if background is not None:
                        background.wait()
                    header = self.source.header(cp.block_number + 1)
                    if cp.block_hash and header.parent_hash != cp.block_hash:
                        cp = self._reorg(cp)
                        continue
                    logs = self.source.logs_in_block(header.hash)
                    cp, applied = self._commit(cp, logs, header, [header])
                    events += applied
                    self._report(cp, events, started)
                except SequenceGap as gap:
                    # Nothing of the chunk with the gap was written; what was before it must be.
                    if background is not None:
                        background.wait()
                    before = self.checkpoint().audit_seq
                    cp = self._recover(gap, reads)
                    events -= before - cp.audit_seq  # rewound, to be applied again
            if background is not None:
                background.wait()
        except BaseException:
            if background is not None:
                background.abandon()
            raise
        finally:
            if background is not None:
                background.close()
        return Progress(
            cp.block_number, self.head, events, cp.audit_seq, time.monotonic() - started
        )

    def catch_up(self, *, timeout: float = 120.0, poll: float = 0.25) -> Checkpoint:
        """Bring the store up to the node's head for a caller that then reads it (``import``,
        reconciliation): sync it; or, when another indexer holds it (``serve`` beside the
        command), wait until that one has indexed up to the head as it is now, less the
        confirmations. ``IndexerBusy`` if it does not get there within ``timeout`` seconds."""
        try:
            self.sync()
            return self.checkpoint()
        except IndexerBusy as busy:
            target = self.source.head() - self.confirmations
            deadline = time.monotonic() + timeout
            while (reached := self._reached()) < target:
                if time.monotonic() > deadline:
                    at = "has no checkpoint yet" if reached < 0 else f"is at block {reached}"
                    raise IndexerBusy(
                        f"{busy}; waited {timeout:.0f} s for it to index up to block {target}, "
                        f"but the store {at}"
                    ) from busy
                time.sleep(poll)
            return self.checkpoint()

    def _reached(self) -> int:
        """The checkpoint's block; -1 before the first run has made one."""
        with self.engine.connect() as conn:
            block = conn.execute(sa.select(s.checkpoint.c.block_number)).scalar_one_or_none()
        return -1 if block is None else int(block)

    def follow(
        self,
        stop: Stop,
        *,
        poll_interval: float = 1.0,
        on_sync: Callable[[Progress], None] | None = None,
        backoff: float = 1.0,
    ) -> None:
        """Keep syncing until ``stop`` is set, holding the store's lock in between too;
        ``on_sync`` gets each sync's progress (``serve`` relays it to ``/readyz``).

        A sync that fails in a way that may pass (``chain.errors.is_retryable``: the node
        unreachable or rate limiting after the source's own retries) is tried again after a
        pause of ``backoff`` seconds, doubling up to ``MAX_BACKOFF``; its halt stays recorded
        until a sync succeeds. A fatal failure (a refusal, a reorg too deep, an event the store
        cannot take) ends the loop with its halt recorded (``chain.indexer.halt``)."""
        failures = 0
        with self.store_lock:
            while not stop.is_set():
                try:
                    progress = self.sync()
                except Exception as exc:
                    if not is_retryable(exc):
                        raise
                    failures += 1
                    pause = min(MAX_BACKOFF, backoff * 2 ** (failures - 1))
                    log.warning("sync failed (%s); trying again in %.3g s", exc, pause)
                    stop.wait(pause)
                    continue
                failures = 0
                if on_sync is not None:
                    on_sync(progress)
                stop.wait(poll_interval)

    def _report(self, cp: Checkpoint, events: int, started: float) -> None:
        if self.on_progress is not None:
            self.on_progress(
                Progress(
                    cp.block_number, self.head, events, cp.audit_seq, time.monotonic() - started
                )
            )

    def _can_write_behind(self) -> bool:
        """Whether a second connection may write while this thread reads: not with one shared
        connection (an in-memory SQLite store)."""
        return not isinstance(self.engine.pool, StaticPool | SingletonThreadPool)

    def _decode(self, logs: list[dict[str, object]]) -> list[LedgerEvent]:
        return [e for e in decode_logs(logs) if e.topics[0] in self._audited]

    def _commit(
        self,
        cp: Checkpoint,
        logs: list[dict[str, object]],
        header: BlockHeader,
        blocks: list[BlockHeader],
    ) -> tuple[Checkpoint, int]:
        events = self._decode(logs)
        try:
            with self.engine.begin() as conn:
                prepared = self.writer.prepare(conn, events, _position(cp))
                step = _Step(prepared, header, blocks, _after(cp, header, prepared), cp, events)
                self._write_step(conn, step)
        except BaseException as exc:
            self.writer.forget()  # the transaction rolled back; so must the cache
            if not isinstance(exc, SequenceGap):  # a gap is the node's: its blocks are read again
                self._failed = (cp, events)
            raise
        return step.checkpoint, prepared.events

    def _prepare(
        self,
        cp: Checkpoint,
        logs: list[dict[str, object]],
        header: BlockHeader,
        blocks: list[BlockHeader],
    ) -> _Step:
        """Decode and derive a final range after ``cp`` (which may still be being written):
        the cache holds every batch touched since, so the reads here are of settled batches."""
        events = self._decode(logs)
        try:
            with self.engine.connect() as conn:
                prepared = self.writer.prepare(conn, events, _position(cp))
        except BaseException as exc:
            self.writer.forget()
            if not isinstance(exc, SequenceGap):
                self._failed = (cp, events)
            raise
        return _Step(prepared, header, blocks, _after(cp, header, prepared), cp, events)

    def _write(self, step: _Step) -> None:
        """One prepared range, its blocks and checkpoint, in one transaction."""
        try:
            with self.engine.begin() as conn:
                self._write_step(conn, step)
        except BaseException:
            self._failed = (step.before, step.events)
            raise

    def _write_step(self, conn: Connection, step: _Step) -> None:
        self.writer.write(conn, step.prepared)
        if self._halted:  # it runs again: the halt is over once this commits
            halt.clear(conn)
            self._halted = False
        upsert(conn, s.blocks, [_block_row(b) for b in step.blocks])
        # Only blocks that may still be reorganised are worth keeping.
        conn.execute(
            s.blocks.delete().where(s.blocks.c.number < step.header.number - self.confirmations - 1)
        )
        new = step.checkpoint
        conn.execute(
            s.checkpoint.update().values(
                block_number=new.block_number,
                block_hash=new.block_hash,
                audit_seq=new.audit_seq,
                audit_head=new.audit_head,
                paused=new.paused,
                updated_at=int(time.time()),
            )
        )

    # ------------------------------------------------------------ gaps

    def _check_complete(self, cp: Checkpoint) -> None:
        """At the head, whose state every node keeps: the contract's ``auditSeq`` must be the
        checkpoint's, or the node's last answer lacked its last logs (nothing after them
        shows a gap yet)."""
        on_chain = self.source.audit_seq(cp.block_number)
        if on_chain > cp.audit_seq:
            raise SequenceGap(
                f"the logs up to block {cp.block_number} end at seq {cp.audit_seq}, but the "
                f"contract's auditSeq there is {on_chain}: the node returned an incomplete log",
                cp.audit_seq + 1,
                on_chain + 1,
                cp.block_number,
                None,
            )
        if on_chain < cp.audit_seq:
            raise IndexerError(
                f"the store holds seq {cp.audit_seq} at block {cp.block_number}, but the "
                f"contract's auditSeq there is {on_chain}: the node contradicts itself"
            )

    def _recover(self, gap: SequenceGap, reads: dict[int, int]) -> Checkpoint:
        """After the node's answer had a hole at ``gap`` (nothing of that chunk written, every
        write before it done): make the store hold no block the missing logs could be in, and
        return the checkpoint to read on from; after ``GAP_READS`` answers with the same hole,
        raise instead (the store stays consistent, at that checkpoint).

        A hole inside a chunk lies in its own blocks, which are simply read again. A hole at its
        start may be in blocks already stored: a node that drops the last log of an answer
        leaves no gap inside it, only before the next one. So the store is rewound to just
        before the block of its last event (which may share that block with the missing one)."""
        self.writer.forget()  # the chunk with the gap advanced the cache, and was not written
        cp = self.checkpoint()
        low = gap.previous_block
        if low is None:
            cp, low = self._rewind(cp)
        reads[gap.expected] = count = reads.get(gap.expected, 0) + 1
        if count >= GAP_READS:
            if gap.found > gap.expected:
                missing = "seq " + (
                    str(gap.expected)
                    if gap.found == gap.expected + 1
                    else f"{gap.expected}..{gap.found - 1}"
                )
                what = f"left audit {missing} out of"
            else:
                what = f"put seq {gap.found} where seq {gap.expected} belongs in"
            self._halt_at = (gap.block, gap.expected)
            raise IndexerError(
                f"the node {what} its logs of blocks {low}..{gap.block} in {count} answers; "
                f"the store stays at block {cp.block_number} (seq {cp.audit_seq}): index "
                f"through another node (--rpc), or again once this one answers in full"
            )
        self.source.pause(count)
        return cp

    def _rewind(self, cp: Checkpoint) -> tuple[Checkpoint, int]:
        """Roll the store back to the block before that of its last event; returns the new
        checkpoint and that block (the first the missing logs may be in)."""
        first, kept = self.deployment.deploy_block, None
        if cp.audit_seq > 0:
            with self.engine.connect() as conn:
                block = conn.execute(
                    sa.select(s.events.c.block_number).where(s.events.c.seq == cp.audit_seq)
                ).scalar_one_or_none()
                if block is None:
                    raise IndexerError(
                        f"the checkpoint is at seq {cp.audit_seq}, but the events table lacks "
                        "it: the store was changed by hand; re-index into a fresh store"
                    )
                first = block
                kept = conn.execute(
                    sa.select(s.blocks.c.hash).where(s.blocks.c.number == first - 1)
                ).scalar_one_or_none()
        header = None
        if first <= self.deployment.deploy_block:
            first, block_hash = self.deployment.deploy_block, ""  # as the first run starts
        elif kept is None:
            # Final blocks are not reorganised: the node's header is the one the store had.
            header = self.source.header(first - 1)
            block_hash = header.hash
        else:
            block_hash = kept  # within the window: the stored hash
        self.rewinds += 1
        try:
            with self.engine.begin() as conn:
                rollback_to(conn, first - 1, block_hash)
                if header is not None:  # the checkpoint's block keeps its row, as after a write
                    upsert(conn, s.blocks, [_block_row(header)])
                cp = self._checkpoint(conn)
        finally:
            self.writer.forget()
        return cp, first

    # ------------------------------------------------------------ reorgs

    def _continuity(self, cp: Checkpoint) -> Checkpoint:
        """Is the checkpoint block still on the chain? If not, roll back to the ancestor."""
        return cp if self._on_chain(cp) else self._reorg(cp)

    def _on_chain(self, cp: Checkpoint) -> bool:
        """Whether the checkpoint block is still on the chain (asks the node)."""
        return not cp.block_hash or self._hash_at(cp.block_number) == cp.block_hash

    def _hash_at(self, number: int) -> str | None:
        """The node's hash of block ``number``; None if its chain is shorter than that."""
        try:
            return self.source.header(number).hash
        except MissingBlock:
            return None

    def _reorg(self, cp: Checkpoint) -> Checkpoint:
        with self.engine.connect() as conn:
            known = conn.execute(
                sa.select(s.blocks.c.number, s.blocks.c.hash).order_by(s.blocks.c.number.desc())
            ).all()
        for number, block_hash in known:
            if number > cp.block_number:
                continue
            if cp.block_number - number > self.confirmations:
                break
            if self._hash_at(number) == block_hash:
                return self._rollback(number, block_hash)
        self._halt_at = (cp.block_number, cp.audit_seq)
        raise ReorgTooDeep(
            f"the chain no longer contains block {cp.block_number} ({cp.block_hash}) and no common "
            f"ancestor lies within the last {self.confirmations} confirmations; the store stays "
            f"at that block: re-index into a fresh store, or raise --confirmations"
        )

    def _rollback(self, block: int, block_hash: str) -> Checkpoint:
        self.reorgs += 1
        try:
            with self.engine.begin() as conn:
                rollback_to(conn, block, block_hash)
                cp = self._checkpoint(conn)
        finally:
            self.writer.forget()
        return cp


@dataclass(frozen=True)
class _Step:
    """A range ready to write: its rows, the blocks to remember, the checkpoint after it."""

    prepared: PreparedChunk
    header: BlockHeader
    blocks: list[BlockHeader]
    checkpoint: Checkpoint
    before: Checkpoint
    events: list[LedgerEvent]
    """Kept until written: if the write fails, the halt names the event that caused it."""


def _parts(
    logs: list[dict[str, object]], end: int, *, last: bool
) -> list[tuple[list[dict[str, object]], int]]:
    """A final range's ``logs`` (ending at block ``end``) as transactions of about
    ``PART_LOGS`` logs each, cut between blocks: the node's answer after the span grew over
    sparse blocks can be far larger. Each part comes with its last block.

    The first part is smaller (``EDGE_LOGS``), so the write thread starts sooner; the
    ``last`` answer of a catch-up also ends with its last block(s) of at least
    ``EDGE_LOGS`` logs in a part of their own, so the sync ends sooner."""
    size = PART_LOGS
    if len(logs) <= 2 * size and (not last or len(logs) <= EDGE_LOGS):
        return [(logs, end)]
    numbers = [quantity(log["blockNumber"]) for log in logs]
    if any(b < a for a, b in itertools.pairwise(numbers)):
        return [(logs, end)]  # out of order: the decoder sorts them; take them as one
    cuts: list[int] = []
    start = 0
    while len(logs) - start > 2 * size:
        first = min(size, EDGE_LOGS) if not cuts else size
        cut = _block_start(numbers, start + first, forward=True)
        if cut >= len(logs):
            break
        cuts.append(cut)
        start = cut
    if last:
        cut = _block_start(numbers, len(logs) - EDGE_LOGS, forward=False)
        if cut > start:
            cuts.append(cut)
    bounds = [0, *cuts, len(logs)]
    return [
        (logs[a:b], numbers[b - 1] if b < len(logs) else end) for a, b in itertools.pairwise(bounds)
    ]


def _block_start(numbers: list[int], at: int, *, forward: bool) -> int:
    """The index of the first log of a block nearest ``at`` (from block ``numbers`` in
    order), searching ``forward`` or back: a block's logs stay in one transaction."""
    step = 1 if forward else -1
    while 0 < at < len(numbers) and numbers[at] == numbers[at - 1]:
        at += step
    return at


def _block_row(header: BlockHeader) -> dict[str, object]:
    return {
        "number": header.number,
        "hash": header.hash,
        "parent_hash": header.parent_hash,
        "timestamp": header.timestamp,
    }


def _position(cp: Checkpoint) -> AuditPosition:
    return AuditPosition(cp.audit_seq, bytes.fromhex(cp.audit_head[2:]))


def _after(cp: Checkpoint, header: BlockHeader, prepared: PreparedChunk) -> Checkpoint:
    return Checkpoint(
        header.number,
        header.hash,
        prepared.position.seq,
        "0x" + prepared.position.head.hex(),
        cp.paused if prepared.paused is None else prepared.paused,
    )


class _Background:
    """Writes prepared final ranges on one background thread, in order, one at a time."""

    def __init__(self, indexer: Indexer, started: float) -> None:
        self._indexer = indexer
        self._started = started
        self._executor: ThreadPoolExecutor | None = None
        self._pending: tuple[Future[None], Checkpoint, int] | None = None

    def submit(self, step: _Step, events: int) -> None:
        """Write ``step`` once the write before it is done (raising what that one raised)."""
        self.wait()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="indexer-write")
        future = self._executor.submit(self._indexer._write, step)
        self._pending = (future, step.checkpoint, events)

    def wait(self) -> None:
        """Let the write in flight finish; report it, or forget the cache and raise."""
        if self._pending is None:
            return
        future, cp, events = self._pending
        self._pending = None
        try:
            future.result()
        except BaseException:
            self._indexer.writer.forget()  # it rolled back; what was derived after it goes too
            raise
        self._indexer._report(cp, events, self._started)

    def abandon(self) -> None:
        """After an error: the write in flight finishes or rolls back, and the cache, which
        may hold ranges derived after it, is dropped."""
        if self._pending is not None:
            future, self._pending = self._pending[0], None
            with contextlib.suppress(BaseException):  # the error being raised is the one to tell
                future.result()
        self._indexer.writer.forget()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
