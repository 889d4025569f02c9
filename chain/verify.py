"""The auditor's check of a deployment against its own chain.

1. Fetch every log of the contract from its deploy block with ``eth_getLogs`` (never from a
   store), recompute the audit hash chain, and compare with ``auditSeq``/``auditHead`` read at
   the same block.
2. Replay holdings from the log (``chain.replay``): every move must spend serials its sender
   held, every range must stay within its batch, and per batch
   bridged = held + retired + detokenised + cancelled.
3. Compare the replayed ranges and totals with the contract's own storage, batch by batch.
   Per pool (``chain._verify_pools``): the unit supply the log implies (minted less burned)
   equals the tonnes the pool's token address holds in the replayed ranges and the contract's
   own supply; every unit balance equals the contract's; the ranges it holds are as many as
   its order list has; no move spends units its sender did not hold. With a store (4), also
   the store's supply against the sum of its balances and the tonnes its token holds in
   ``serial_ranges``.
4. With a query store: re-index the chain's logs up to the store's checkpoint into an in-memory
   store and diff every table row by row, so an edited, deleted or inserted row is named.
5. Check the store's recent ``blocks`` (what the indexer finds a reorg's common ancestor by)
   against the node's headers: they cannot be diffed, since how many a store keeps depends on
   the ``--confirmations`` it was built with, which is not recorded.
6. With a store: report every cross-programme overlap among linked projects
   (``linked_overlaps``): two batches of one link group, bridged under different programmes,
   whose vintage periods overlap, before the link or since (the contract refuses those since,
   but not the periods bridged before the link).
7. Say whether the store has stopped behind the chain: a halt its indexer recorded
   (``chain.indexer.halt``), or more than ``max_lag_blocks`` behind the chain head. A store
   that merely lags less than that is verified up to its own block, and is ok.

Checks 4 and 5 read the store as one snapshot (one transaction, REPEATABLE READ on
PostgreSQL), so an indexer writing beside the verification cannot make the diff see rows
above the checkpoint it re-indexed to.

Each finding names the block, the event and the field, so the first one says where to look.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from web3 import Web3

from chain import audit
from chain._verify_pools import (
    PoolFinding,
    check_chain_pools,
    check_store_pools,
    replay_pools,
)
from chain.client import LedgerClient
from chain.deployment import Deployment
from chain.domain import RangeState
from chain.errors import MissingBlock
from chain.events import LedgerEvent, decode_logs, event_specs
from chain.indexer import halt
from chain.indexer.source import BlockHeader, LogSource
from chain.replay import HoldingsReplay
from chain.store import schema
from chain.succession import LedgerState, check_carry

DEFAULT_MAX_LAG_BLOCKS = 120
"""Blocks a store may be behind the chain head and still pass ``audit verify``: two minutes
of 1-s blocks, enough for an indexer catching up under load; more, and the store is taken as
stopped (``--max-lag-blocks``)."""


@dataclass(frozen=True)
class Discrepancy:
    kind: str
    block: int | None
    event: str | None
    field: str | None
    message: str


@dataclass
class VerificationReport:
    ok: bool
    audit_seq: int
    audit_head: str
    block: int
    events: int
    batches: int
    discrepancies: list[Discrepancy] = field(default_factory=list)
    store_block: int | None = None
    """The block the store holds (its checkpoint), which the store was verified up to."""
    chain_head: int | None = None
    """The chain's head block when verified (``block``)."""
    lag_blocks: int | None = None
    """How far the store is behind ``chain_head``."""
    max_lag_blocks: int | None = None
    """The bound on ``lag_blocks`` past which the store is taken as stopped."""
    indexer_error: dict[str, Any] | None = None
    """The halt the store's indexer recorded (``chain.indexer.halt.Halt``), if any."""
    predecessors: list[dict[str, Any]] = field(default_factory=list)
    """For a successor ledger: each sealed predecessor verified with it, nearest first
    (``address``, ``audit_seq``, ``audit_head``, ``events``, ``batches``, and the carry-over:
    ``live_ranges``, ``live_tonnes``, ``carried_ranges``, ``carried_tonnes``, ``not_carried``,
    ``links``, ``carried_links``)."""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def first(self) -> Discrepancy | None:
        return self.discrepancies[0] if self.discrepancies else None


def fetch_logs(
    w3: Web3, address: str, from_block: int, to_block: int, *, step: int = 5000
) -> Iterator[dict[str, Any]]:
    """All logs of ``address`` in ``from_block..to_block``, in chunks the node accepts."""
    start = from_block
    while start <= to_block:
        end = min(start + step - 1, to_block)
        yield from w3.eth.get_logs(
            {"address": Web3.to_checksum_address(address), "fromBlock": start, "toBlock": end}
        )  # type: ignore[misc]
        start = end + 1


Count = Callable[[str, int, int], None]
"""``(step, done, total)``: how far a long step of a verification is (``batches compared``,
``blocks re-indexed``), for a progress bar; ``progress`` gets the steps' names as text."""


def verify_chain(
    w3: Web3,
    deployment: Deployment,
    *,
    progress: Callable[[str], None] | None = None,
    count: Count | None = None,
) -> VerificationReport:
    """Run checks 1-3 above at the current head block; for a successor ledger, its
    predecessors' too and the boundary between them (``verify_succession``)."""
    report, trail = _verify_ledger(w3, deployment, progress=progress, count=count)
    if deployment.predecessor or (trail and trail[0].name == "LedgerSucceeded"):
        verify_succession(w3, deployment, report, trail, progress=progress, count=count)
        report.ok = not report.discrepancies
    return report


def _verify_ledger(
    w3: Web3,
    deployment: Deployment,
    *,
    progress: Callable[[str], None] | None = None,
    count: Count | None = None,
) -> tuple[VerificationReport, list[LedgerEvent]]:
    """Checks 1-3 of one ledger, and its audited events."""
    say = progress or (lambda _msg: None)
    deployment.check(w3)
    client = LedgerClient.for_deployment(w3, deployment)
    block = w3.eth.block_number
    say(f"reading logs {deployment.deploy_block}..{block}")
    events = decode_logs(fetch_logs(w3, deployment.address, deployment.deploy_block, block))
    audited = set(event_specs("ICarbonLedgerEvents"))
    trail = [e for e in events if e.topics[0] in audited]
    found: list[Discrepancy] = []

    say(f"recomputing the audit chain over {len(trail)} events")
    start = audit.AuditState(0, deployment.audit_genesis)
    state = _recompute(trail, start, found)
    seq = int(client.contract.functions.auditSeq().call(block_identifier=block))
    head = bytes(client.contract.functions.auditHead().call(block_identifier=block))
    if state.seq != seq:
        found.append(
            Discrepancy(
                "audit", block, None, "auditSeq", f"log has {state.seq} events, contract says {seq}"
            )
        )
    elif state.head != head:
        found.append(
            Discrepancy(
                "audit",
                block,
                None,
                "auditHead",
                f"log hashes to {state.head_hex}, contract says 0x{head.hex()}",
            )
        )

    say("replaying holdings")
    replay = HoldingsReplay().apply_all(trail)
    for v in replay.violations:
        found.append(
            Discrepancy("holdings", v.block, v.event, v.field, f"seq {v.seq}: {v.message}")
        )

    say(f"comparing {len(replay.batches)} batches with contract storage")
    for done, (batch_id, replayed) in enumerate(sorted(replay.batches.items()), 1):
        found.extend(_compare_batch(client, batch_id, replayed, block))
        if count is not None:
            count("batches compared", done, len(replay.batches))

    pools, broken = replay_pools(trail)
    if pools or broken:
        say(f"checking {len(pools)} pools: unit supply against the tonnes each holds")
        broken += check_chain_pools(pools, replay.batches.values(), client.contract, block)
        found.extend(_pool_discrepancy(p) for p in broken)

    report = VerificationReport(
        ok=not found,
        audit_seq=seq,
        audit_head="0x" + head.hex(),
        block=block,
        events=len(trail),
        batches=len(replay.batches),
        discrepancies=found,
        chain_head=block,
    )
    return report, trail


def verify_succession(
    w3: Web3,
    deployment: Deployment,
    report: VerificationReport,
    trail: list[LedgerEvent],
    *,
    progress: Callable[[str], None] | None = None,
    count: Count | None = None,
) -> None:
    """Verify a successor's sealed predecessor (and so on back) and the boundary: the
    predecessor's trail up to its seal, the successor's genesis and first event naming it
    with its final head and state commitment, and the carried-over credits equal to its final
    live state (``chain.succession.check_carry``). Findings join ``report``; those of the
    predecessor's own trail name its address."""
    say = progress or (lambda _msg: None)
    found = report.discrepancies

    def boundary(block: int | None, event: str, fld: str, message: str) -> None:
        found.append(Discrepancy("succession", block, event, fld, message))

    old_record = deployment.predecessor_record
    first = trail[0] if trail else None
    named = str(first.fields["predecessor"]) if first and first.name == "LedgerSucceeded" else None
    if old_record is None:
        boundary(
            first.block_number if first else None,
            "LedgerSucceeded",
            "predecessor",
            f"the ledger succeeds {named or deployment.predecessor}, but deployment.json keeps "
            "no record of it (predecessor_deployment): its trail cannot be verified",
        )
        return
    say(f"verifying the predecessor {old_record.address}")
    old_report, old_trail = _verify_ledger(w3, old_record, progress=progress, count=count)
    if old_record.predecessor or (old_trail and old_trail[0].name == "LedgerSucceeded"):
        verify_succession(w3, old_record, old_report, old_trail, progress=progress, count=count)
    found.extend(
        Discrepancy(
            d.kind, d.block, d.event, d.field, f"predecessor {old_record.address}: {d.message}"
        )
        for d in old_report.discrepancies
    )
    old = LedgerState.from_trail(old_trail).finish()
    new = LedgerState.from_trail(trail).finish()
    old_head = bytes.fromhex(old_report.audit_head[2:])
    last = old_trail[-1] if old_trail else None
    sealed_last = last is not None and last.name == "SealRecorded" and old.sealed
    if not sealed_last:
        boundary(
            last.block_number if last else None,
            last.name if last else "SealRecorded",
            "step",
            f"the predecessor {old_record.address}'s trail does not end with its seal "
            "(SealRecorded step 2): it is not sealed, or events follow the seal",
        )
    if named is None or first is None:
        boundary(
            first.block_number if first else None,
            first.name if first else "LedgerSucceeded",
            "seq",
            "the successor's first event (seq 1) is not LedgerSucceeded",
        )
    else:
        if named.lower() != old_record.address.lower():
            boundary(
                first.block_number,
                "LedgerSucceeded",
                "predecessor",
                f"names {named}, deployment.json's predecessor is {old_record.address}",
            )
        if bytes(first.fields["predecessorHead"]) != old_head:
            boundary(
                first.block_number,
                "LedgerSucceeded",
                "predecessorHead",
                f"names head 0x{bytes(first.fields['predecessorHead']).hex()}, the predecessor's "
                f"trail ends at {old_report.audit_head}",
            )
        want = old.commitment(old_head)
        if bytes(first.fields["predecessorCommitment"]) != want:
            boundary(
                first.block_number,
                "LedgerSucceeded",
                "predecessorCommitment",
                f"names commitment 0x{bytes(first.fields['predecessorCommitment']).hex()}, the "
                f"predecessor's trail gives 0x{want.hex()} ({old.batch_count} batches, "
                f"{old.retirement_count} retirements, seq {old.seq})",
            )
    if deployment.predecessor_head != old_report.audit_head:
        boundary(
            None,
            "deployment",
            "predecessor_head",
            f"deployment.json says {deployment.predecessor_head}, the predecessor's trail ends "
            f"at {old_report.audit_head}: the successor's genesis is "
            "keccak(keccak(chainid, address) ‖ that head)",
        )
    say("checking the carried-over credits against the predecessor's final live state")
    carry = check_carry(old, new)
    for c in carry.findings:
        kind = "not_carried" if c.pending else "carry"
        found.append(Discrepancy(kind, c.block, c.event, c.field, c.message))
    report.predecessors = [
        {
            "address": old_record.address,
            "audit_seq": old_report.audit_seq,
            "audit_head": old_report.audit_head,
            "events": old_report.events,
            "batches": old_report.batches,
            "live_ranges": carry.live_ranges,
            "live_tonnes": carry.live_tonnes,
            "carried_ranges": carry.carried_ranges,
            "carried_tonnes": carry.carried_tonnes,
            "not_carried": len(carry.pending),
            "links": carry.links,
            "carried_links": carry.carried_links,
        },
        *old_report.predecessors,
    ]


def _pool_discrepancy(p: PoolFinding) -> Discrepancy:
    return Discrepancy("pool", p.block, p.event, p.field, p.message)


def _recompute(
    trail: list[LedgerEvent], state: audit.AuditState, found: list[Discrepancy]
) -> audit.AuditState:
    for event in trail:
        if event.seq != state.seq + 1:
            found.append(
                Discrepancy(
                    "audit",
                    event.block_number,
                    event.name,
                    "seq",
                    f"expected seq {state.seq + 1}, found {event.seq}",
                )
            )
        state = audit.AuditState(event.seq, audit.fold(state.head, event.topics, event.data))
    return state


def _compare_batch(
    client: LedgerClient, batch_id: int, replayed: Any, block: int
) -> list[Discrepancy]:
    out: list[Discrepancy] = []
    b = client.batch(batch_id)
    totals = replayed.totals()
    expected = {
        "quantity": replayed.quantity,
        "retired": totals[RangeState.RETIRED],
        "detokenised": totals[RangeState.DETOKENISED],
        "cancelled": totals[RangeState.CANCELLED],
    }
    for name, value in expected.items():
        if getattr(b, name) != value:
            out.append(
                Discrepancy(
                    "conservation",
                    block,
                    "batch",
                    name,
                    f"batch {batch_id}: log gives {value}, contract {getattr(b, name)}",
                )
            )
    if sum(totals.values()) != replayed.quantity:
        out.append(
            Discrepancy(
                "conservation",
                block,
                "batch",
                "held",
                f"batch {batch_id}: ranges cover {sum(totals.values())} of {replayed.quantity} serials",
            )
        )
    on_chain = [(r.first, r.last, r.holder.lower(), r.state) for r in client.ranges(batch_id)]
    from_log = [(r.first, r.last, r.holder.lower(), r.state) for r in replayed.ranges]
    if on_chain != from_log:
        first_diff = next(
            (i for i, (a, c) in enumerate(zip(on_chain, from_log, strict=False)) if a != c),
            min(len(on_chain), len(from_log)),
        )
        out.append(
            Discrepancy(
                "holdings",
                block,
                "range",
                "holder/state",
                f"batch {batch_id}: range #{first_diff} differs (contract "
                f"{on_chain[first_diff] if first_diff < len(on_chain) else None}, log "
                f"{from_log[first_diff] if first_diff < len(from_log) else None})",
            )
        )
    return out


def verify_store(
    w3: Web3,
    deployment: Deployment,
    engine: Engine,
    *,
    progress: Callable[[str], None] | None = None,
    count: Count | None = None,
) -> tuple[int, list[Discrepancy]]:
    """Diff the store under audit against the store the chain implies at its checkpoint, then
    check its recent ``blocks`` against the node's headers (check 5)."""
    from chain.indexer.core import Indexer
    from chain.store.diff import diff_stores
    from chain.store.engine import migrate

    say = progress or (lambda _msg: None)
    # One transaction for every read of the store: the checkpoint, its blocks and each table
    # as of one moment, while its indexer goes on writing (SQLite: a WAL read transaction).
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        cp = conn.execute(sa.select(schema.checkpoint)).one_or_none()
        stored = [
            BlockHeader(r.number, r.hash, r.parent_hash, r.timestamp)
            for r in conn.execute(sa.select(schema.blocks).order_by(schema.blocks.c.number))
        ]
        if cp is None:
            return -1, [
                Discrepancy("store", None, "checkpoint", None, "the store has no checkpoint")
            ]
        say(f"re-indexing the chain up to the store's block {cp.block_number} in memory")
        expected = sa.create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        migrate(expected)
        until = int(cp.block_number)
        Indexer(
            w3,
            expected,
            deployment,
            confirmations=0,
            on_progress=None
            if count is None
            else (lambda p: count("blocks re-indexed", p.block, until)),
        ).sync(until=until)
        say("diffing every table")
        found = [
            Discrepancy("store", d.block, d.table, d.column or "row", d.describe())
            for d in diff_stores(expected, conn)
        ]
        found.extend(_pool_discrepancy(p) for p in check_store_pools(conn))
    with expected.connect() as conn:
        want = conn.execute(sa.select(schema.checkpoint)).one()
    for name in ("block_number", "block_hash", "audit_seq", "audit_head", "paused"):
        if getattr(want, name) != getattr(cp, name):
            found.append(
                Discrepancy(
                    "store",
                    cp.block_number,
                    "checkpoint",
                    name,
                    f"chain implies {getattr(want, name)!r}, store has {getattr(cp, name)!r}",
                )
            )
    say(f"checking the store's {len(stored)} recent blocks against the node")
    found.extend(
        _check_blocks(LogSource(w3, deployment.address), cp.block_number, cp.block_hash, stored)
    )
    return int(cp.block_number), found


def _check_blocks(
    node: LogSource, cp_block: int, cp_hash: str, stored: list[BlockHeader], *, limit: int = 50
) -> list[Discrepancy]:
    """Up to ``limit`` problems with the store's ``blocks`` rows (in number order).

    Each row must be the node's header at its number, at or below the checkpoint's block; that
    block must be among them with the checkpoint's hash (unless the store has not begun:
    ``cp_hash`` empty), and each row whose number follows another's must name that one as its
    parent. Neither how far down they reach (that depends on ``--confirmations``) nor holes
    between them are checked: catching up, the indexer keeps one row per range it reads (the
    range's last block), so a store stopped mid catch-up holds rows some blocks apart."""
    found: list[Discrepancy] = []

    def add(number: int, column: str, message: str) -> None:
        if len(found) < limit:
            found.append(Discrepancy("store", number, "blocks", column, message))

    wrong: set[int] = set()  # rows already reported: their successors' links say nothing new
    for row in stored:
        if row.number > cp_block:
            wrong.add(row.number)
            add(
                row.number,
                "row",
                f"blocks row ({row.number}) above the checkpoint's block {cp_block} in the store",
            )
            continue
        try:
            header = node.header(row.number)
        except MissingBlock:
            wrong.add(row.number)
            add(
                row.number,
                "row",
                f"blocks row ({row.number}) in the store, but the node has "
                f"no block {row.number}: tampered, or the chain reorganised since",
            )
            continue
        for column in ("hash", "parent_hash", "timestamp"):
            want, have = getattr(header, column), getattr(row, column)
            if want != have:
                wrong.add(row.number)
                add(
                    row.number,
                    column,
                    f"blocks ({row.number}).{column}: the node has {want!r} "
                    f"at that height, store has {have!r}: tampered, or the chain reorganised since",
                )
                break

    below = [row for row in stored if row.number <= cp_block]
    if cp_hash:
        top = below[-1] if below and below[-1].number == cp_block else None  # in number order
        if top is None:
            add(
                cp_block,
                "row",
                f"blocks row ({cp_block}) missing from the store: the checkpoint's block",
            )
        elif top.hash != cp_hash and cp_block not in wrong:
            add(
                cp_block,
                "hash",
                f"blocks ({cp_block}).hash: the checkpoint says {cp_hash!r}, "
                f"store has {top.hash!r}",
            )
    for prev, row in itertools.pairwise(below):
        if (
            row.number == prev.number + 1
            and row.parent_hash != prev.hash
            and not wrong & {prev.number, row.number}
        ):
            add(
                row.number,
                "parent_hash",
                f"blocks ({row.number}).parent_hash: the stored block "
                f"{prev.number} is {prev.hash!r}, store has {row.parent_hash!r}",
            )
    return found


def verify(
    w3: Web3,
    deployment: Deployment,
    engine: Engine | None = None,
    *,
    max_lag_blocks: int = DEFAULT_MAX_LAG_BLOCKS,
    progress: Callable[[str], None] | None = None,
    count: Count | None = None,
) -> VerificationReport:
    """The chain checks, then (given a store) the store diff and whether it has stopped."""
    report = verify_chain(w3, deployment, progress=progress, count=count)
    if engine is not None:
        report.store_block, found = verify_store(
            w3, deployment, engine, progress=progress, count=count
        )
        report.discrepancies.extend(found)
        report.discrepancies.extend(linked_overlaps(engine))
        report.discrepancies.extend(check_progress(report, engine, report.block, max_lag_blocks))
        report.ok = not report.discrepancies
    return report


@dataclass(frozen=True)
class _LinkedBatch:
    batch_id: int
    program: str
    project_id: str
    start: int
    end: int
    block: int

    def describe(self) -> str:
        return f"batch {self.batch_id} ({self.program} {self.project_id}, {self.start}-{self.end})"


def linked_overlaps(engine: Engine, *, limit: int = 50) -> list[Discrepancy]:
    """Check 6: up to ``limit`` pairs of batches of one project link group, bridged under two
    different programmes, whose vintage periods overlap (the same tonnes issued twice). Voided
    batches were never issued and are left out."""
    s = schema
    with engine.connect() as conn:
        links = conn.execute(
            sa.select(s.project_links.c.project_key, s.project_links.c.other_key)
            .add_columns(s.project_links.c.group_id)
            .order_by(s.project_links.c.seq)
        ).all()
        if not links:
            return []
        group_of: dict[str, int] = {}
        for project, other, group in links:
            group_of[str(project)] = group_of[str(other)] = int(group)
        voided = set(
            conn.execute(
                sa.select(s.events.c.batch_id).where(s.events.c.name == "BatchVoided")
            ).scalars()
        )
        b, p, pr = s.batches, s.projects, s.programs
        rows = conn.execute(
            sa.select(
                b.c.id,
                b.c.project_key,
                pr.c.code,
                p.c.project_id,
                b.c.vintage_start,
                b.c.vintage_end,
                b.c.block_number,
            )
            .join(p, p.c.key == b.c.project_key)
            .join(pr, pr.c.id == b.c.program_id)
            .where(b.c.project_key.in_(list(group_of)))
            .order_by(b.c.vintage_start, b.c.id)
        ).all()
    by_group: dict[int, list[_LinkedBatch]] = {}
    for r in rows:
        if r.id in voided:
            continue
        by_group.setdefault(group_of[str(r.project_key)], []).append(
            _LinkedBatch(
                int(r.id),
                str(r.code),
                str(r.project_id),
                int(r.vintage_start),
                int(r.vintage_end),
                int(r.block_number),
            )
        )
    found: list[Discrepancy] = []
    for group, batches in sorted(by_group.items()):
        open_: list[_LinkedBatch] = []  # earlier batches (by start) that may still overlap
        for batch in batches:  # in order of vintage start
            open_ = [e for e in open_ if e.end >= batch.start]
            for earlier in open_:
                if earlier.program != batch.program and len(found) < limit:
                    found.append(
                        Discrepancy(
                            "link",
                            max(earlier.block, batch.block),
                            "BatchBridged",
                            "vintage",
                            f"link group {group}: {earlier.describe()} and {batch.describe()} "
                            "overlap: the same period issued under two programmes",
                        )
                    )
            open_.append(batch)
    return found


def check_progress(
    report: VerificationReport, engine: Engine, chain_head: int | None, max_lag_blocks: int
) -> list[Discrepancy]:
    """Check 7: fill in ``report``'s chain head, lag and the indexer's recorded halt, and
    return what says the store has stopped behind the chain (``chain_head`` ``None``: not
    known, so only the halt is checked)."""
    with engine.connect() as conn:
        stopped = halt.read(conn)
    store_block = report.store_block
    report.chain_head, report.max_lag_blocks = chain_head, max_lag_blocks
    report.indexer_error = None if stopped is None else stopped.as_json()
    found: list[Discrepancy] = []
    if stopped is not None:
        found.append(
            Discrepancy("indexer", stopped.block, stopped.event, "halt", stopped.describe())
        )
    if chain_head is not None and store_block is not None and store_block >= 0:
        report.lag_blocks = lag = max(0, chain_head - store_block)
        if lag > max_lag_blocks:
            found.append(
                Discrepancy(
                    "lag",
                    store_block,
                    "checkpoint",
                    "block_number",
                    f"the store is at block {store_block}, {lag} blocks behind the chain head "
                    f"{chain_head}: more than the {max_lag_blocks} allowed (--max-lag-blocks)",
                )
            )
    return found
