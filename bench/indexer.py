"""Indexer throughput on anvil, and store lookup latency at a million ranges.

    python bench/indexer.py [--events N] [--ranges N] [--skip-postgres] [--postgres URL] [--json]

1. Generates at least N audited events on a throw-away anvil (``bench/_anvil.py``): bridgings,
   transfers, retirements and a few detokenisations and label updates, over many batches and
   seven holders, 2,000 transactions a block.
2. The ceiling: ``eth_getLogs`` over raw JSON-RPC plus ``chain.events`` decoding, nothing
   stored, through the same ``LogSource`` the indexer uses and with the cyclic garbage
   collector paused as the indexer's sync pauses it (``chain.events.gc_paused``), so the two
   differ only in the work the store needs.
3. The indexer end to end (``Indexer(...).sync()``, ``confirmations=0``) into a fresh SQLite
   file and into a fresh PostgreSQL database (created and dropped here); then
   ``chain.verify.verify`` checks each store against the chain.

   Each timed run, of the ceiling and of the indexer alike, runs in a fresh process of its
   own (``in_fresh_process``), as the indexer runs in production (``carbon-ledger index``,
   or serve's indexer process): not in this one, whose heap the generation has grown and
   fragmented and which holds the other stages' engines, which slows whatever runs after
   them by 10-20 %. Each timed stage runs more than once and its fastest run is reported:
   on a 2-core machine shared by anvil, PostgreSQL and Python one run can differ from the
   next by 10-20 % (more on a busy host). Every stage runs the same number of times
   (``RUNS``), so that neither gets more chances at a fast run: the indexer three times per
   store, into a fresh store each time; the ceiling twice before it and once after it (right
   after the generation anvil can still be busy, which would flatter the indexer's share).
   ``--json`` gives every run's seconds.
4. Lookups: a store of N synthetic but schema-valid serial ranges (default 1,000,000), built
   with SQLAlchemy Core, on both backends; p50/p99 of the API's two reads: a serial lookup
   (the batch by (programme, namespace, first serial), then the range holding the serial) and
   an account's holdings (a page of its live ranges joined to their batches).

The indexer's source starts at one block per request and adapts (``LogSource.span``): a fresh
``LogSource`` asks for 1,000 blocks at once, which on this dense chain (about 3,000 events a
block) would be the whole chain in one response and one database transaction.

Prints a table, or with ``--json`` exactly one JSON object (progress goes to stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository's `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from web3 import Web3
from web3.providers.rpc import HTTPProvider

from bench._anvil import Generated, anvil_node, generate_events
from chain.deployment import Deployment
from chain.domain import RangeState
from chain.events import decode_logs, event_specs, gc_paused
from chain.indexer.core import Indexer
from chain.indexer.source import LogSource
from chain.store import schema as s
from chain.store.engine import open_store
from chain.verify import verify, verify_store

POSTGRES_ENV = "CARBON_LEDGER_BENCH_POSTGRES"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
GOAL_SHARE = 0.5  # of the ceiling
GOAL_RATE = 10_000  # events/s
GOAL_P99_MS = 5.0
RUNS = 3  # of every timed stage; the fastest is reported (the first also warms anvil's caches)
MILLION = 1_000_000
HOLDINGS_PAGE = 100
RETIRED_ONLY = 1  # the synthetic account (a big buyer) that has retired everything it held
WARMUP, SAMPLES = 200, 2_000  # lookups per query and store

Say = Callable[[str], None]


# ---------------------------------------------------------------- throughput


@dataclass
class Stage:
    name: str
    events: int
    seconds: float
    runs: tuple[float, ...] = ()  # every run's seconds; ``seconds`` is the fastest

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    @property
    def million_seconds(self) -> float:
        """The time 1,000,000 events would take at this rate."""
        return MILLION / self.rate if self.rate > 0 else math.inf


def bench_source(w3: Web3, deployment: Deployment) -> LogSource:
    """The indexer's own source, starting at one block per request (see the module doc)."""
    source = LogSource(w3, deployment.address)
    source.span = 1
    return source


def measure_ceiling(w3: Web3, deployment: Deployment, head: int) -> Stage:
    """Fetch every log over raw JSON-RPC and decode it; keep nothing."""
    audited = frozenset(event_specs("ICarbonLedgerEvents"))
    source = bench_source(w3, deployment)
    events, block = 0, deployment.deploy_block
    with gc_paused():
        started = time.perf_counter()
        while block <= head:
            logs, end = source.logs(block, head)
            events += sum(1 for e in decode_logs(logs) if e.topics[0] in audited)
            block = end + 1
        seconds = time.perf_counter() - started
    return Stage("ceiling", events, seconds)


def measure_indexer(w3: Web3, deployment: Deployment, engine: Engine, name: str) -> Stage:
    indexer = Indexer(w3, engine, deployment, confirmations=0, source=bench_source(w3, deployment))
    started = time.perf_counter()
    progress = indexer.sync()
    return Stage(name, progress.events, time.perf_counter() - started)


def _node(url: str) -> Web3:
    return Web3(HTTPProvider(url, request_kwargs={"timeout": 600}))


def ceiling_run(url: str, deployment: Deployment, head: int) -> Stage:
    """``measure_ceiling`` on the node at ``url`` (a process's own connection)."""
    return measure_ceiling(_node(url), deployment, head)


def indexer_run(url: str, deployment: Deployment, store: str, name: str) -> Stage:
    """``measure_indexer`` into the store at ``store`` (opened, migrated, then timed)."""
    engine = open_store(store)
    try:
        return measure_indexer(_node(url), deployment, engine, name)
    finally:
        engine.dispose()


def in_fresh_process(measure: Callable[..., Stage], *args: Any) -> Stage:
    """``measure(*args)`` in a new Python process (see the module doc)."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        return pool.submit(measure, *args).result()


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh database on the server of ``admin_url``; yields its URL, drops it afterwards."""
    import psycopg

    name = f"carbon_ledger_bench_{os.getpid()}_{random.randrange(10**6)}"
    conninfo = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = sa.engine.make_url(admin_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------- lookups


@dataclass
class Synthetic:
    """What ``build_lookup_store`` wrote: enough to ask questions with known answers."""

    batches: list[tuple[int, int, str, int, int]] = field(default_factory=list)
    # (id, program, namespace, first, last)
    holders: list[str] = field(default_factory=list)
    weights: list[int] = field(default_factory=list)  # ranges per holder
    ranges: int = 0
    seconds: float = 0.0


def _address(i: int) -> str:
    return f"0x{i:040x}"


def build_lookup_store(engine: Engine, ranges: int, seed: int = 7) -> Synthetic:
    """``ranges`` serial ranges tiling ~ranges/20 batches of 2,000 namespaces, held by 10,000
    accounts with a skewed distribution (a few hold a lot); a quarter of the accounts have
    retired most of what they held. Bulk-inserted with SQLAlchemy Core, then ANALYZEd."""
    rng = random.Random(seed)
    out = Synthetic(holders=[_address(0x1000 + i) for i in range(10_000)])
    out.weights = [0] * len(out.holders)
    started = time.perf_counter()
    n_batches = max(1, ranges // 20)
    namespaces = [f"VCS-VCU-{1000 + i}-VER-XX-14-{3000 + i}-01012020-31122020" for i in range(2000)]
    projects = [f"0x{i:064x}" for i in range(1, 501)]
    next_first = dict.fromkeys(namespaces, 10**9)
    seq = 0
    with engine.begin() as conn:
        conn.execute(s.programs.insert(), [{"id": 1, "code": "VCS", "seq": 1}])
        conn.execute(
            s.projects.insert(),
            [
                {
                    "key": key,
                    "program_id": 1,
                    "project_id": str(3000 + i),
                    "name": f"Project {i}",
                    "country": "XX",
                    "methodology": "VM0015",
                    "project_type": "AFOLU",
                    "seq": 2 + i,
                }
                for i, key in enumerate(projects)
            ],
        )
    left = ranges
    batch_rows: list[dict[str, Any]] = []
    range_rows: list[dict[str, Any]] = []

    def flush(final: bool = False) -> None:
        if len(range_rows) < 50_000 and not final:
            return
        with engine.begin() as conn:
            if batch_rows:
                conn.execute(s.batches.insert(), batch_rows)
            if range_rows:
                conn.execute(s.serial_ranges.insert(), range_rows)
        batch_rows.clear()
        range_rows.clear()

    for batch_id in range(1, n_batches + 1):
        count = left if batch_id == n_batches else min(left, rng.randint(1, 39))
        if count <= 0:
            break
        left -= count
        ns = namespaces[batch_id % len(namespaces)]
        size = max(count, rng.choice((1_000, 5_000, 20_000, 100_000)))
        first = next_first[ns] + rng.choice((0, 0, 1_000))
        last = first + size - 1
        next_first[ns] = last + 1
        seq += 1
        batch_rows.append(
            {
                "id": batch_id,
                "program_id": 1,
                "project_key": projects[batch_id % len(projects)],
                "namespace": ns,
                "first_serial": first,
                "last_serial": last,
                "quantity": size,
                "recipient": out.holders[0],
                "vintage_start": 20200101,
                "vintage_end": 20201231,
                "labels": 0,
                "metadata_hash": "0x" + "11" * 32,
                "registry_reference": str(batch_id),
                "frozen": False,
                "retired": 0,
                "detokenised": 0,
                "cancelled": 0,
                "bridged_by": out.holders[0],
                "seq": seq,
                "block_number": seq,
                "tx_hash": f"0x{seq:064x}",
            }
        )
        out.batches.append((batch_id, 1, ns, first, last))
        cuts = sorted(rng.sample(range(first + 1, last + 1), count - 1)) if count > 1 else []
        for lo, hi in zip([first, *cuts], [*(c - 1 for c in cuts), last], strict=True):
            h = int(len(out.holders) * rng.random() ** 3)  # skewed: low indices hold most
            out.weights[h] += 1
            retirer = h % 4 == 0
            roll = rng.random()
            state = (
                RangeState.RETIRED
                if roll < (0.85 if retirer else 0.15) or h == RETIRED_ONLY
                else RangeState.DETOKENISED
                if roll < (0.88 if retirer else 0.19)
                else RangeState.HELD
            )
            seq += 1
            range_rows.append(
                {
                    "batch_id": batch_id,
                    "first_serial": lo,
                    "last_serial": hi,
                    "holder": out.holders[h],
                    "state": int(state),
                    "seq": seq,
                }
            )
            out.ranges += 1
        flush()
    flush(final=True)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    out.seconds = time.perf_counter() - started
    return out


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass(frozen=True)
class Latency:
    p50_ms: float
    p99_ms: float
    max_ms: float


def _latency(samples: Sequence[float]) -> Latency:
    return Latency(
        _percentile(samples, 0.5) * 1000, _percentile(samples, 0.99) * 1000, max(samples) * 1000
    )


b, r = s.batches, s.serial_ranges
BATCH_OF_SERIAL = (
    sa.select(b.c.id, b.c.first_serial, b.c.last_serial)
    .where(
        b.c.program_id == sa.bindparam("program"),
        b.c.namespace == sa.bindparam("namespace"),
        b.c.first_serial <= sa.bindparam("serial"),
    )
    .order_by(b.c.first_serial.desc())
    .limit(1)
)
RANGE_OF_SERIAL = (
    sa.select(r.c.first_serial, r.c.last_serial, r.c.holder, r.c.state)
    .where(r.c.batch_id == sa.bindparam("batch"), r.c.first_serial <= sa.bindparam("serial"))
    .order_by(r.c.first_serial.desc())
    .limit(1)
)
HOLDINGS = (
    sa.select(
        r.c.batch_id,
        r.c.first_serial,
        r.c.last_serial,
        b.c.program_id,
        b.c.namespace,
        b.c.project_key,
        b.c.vintage_start,
        b.c.vintage_end,
        b.c.labels,
    )
    .join(b, b.c.id == r.c.batch_id)
    .where(r.c.holder == sa.bindparam("holder"), r.c.state == int(RangeState.HELD))
    .order_by(r.c.batch_id, r.c.first_serial)
    .limit(HOLDINGS_PAGE)
)


def lookup_serial(conn: sa.Connection, program: int, namespace: str, serial: int) -> Any:
    """The API's serial lookup: the batch holding ``serial``, then its range (or None)."""
    batch = conn.execute(
        BATCH_OF_SERIAL, {"program": program, "namespace": namespace, "serial": serial}
    ).first()
    if batch is None or batch.last_serial < serial:
        return None
    return conn.execute(RANGE_OF_SERIAL, {"batch": batch.id, "serial": serial}).first()


def measure_lookups(engine: Engine, data: Synthetic, seed: int = 11) -> dict[str, Latency]:
    rng = random.Random(seed)
    serials = []
    for _ in range(WARMUP + SAMPLES):
        batch_id, program, namespace, first, last = rng.choice(data.batches)
        serials.append((program, namespace, rng.randint(first, last), batch_id))
    # Accounts in proportion to their ranges: the busiest are asked about most (and have the
    # longest lists to skip through); the retirers among them have mostly retired ranges. The
    # account that retired everything is timed on its own ("holdings_retired_only").
    weights = [0 if i == RETIRED_ONLY else w for i, w in enumerate(data.weights)]
    holders = rng.choices(data.holders, weights=weights, k=WARMUP + SAMPLES)
    retired_only = [data.holders[RETIRED_ONLY]] * (WARMUP // 4 + SAMPLES // 20)
    timings: dict[str, list[float]] = {"lookup": [], "holdings": [], "holdings_retired_only": []}
    with engine.connect() as conn:
        for i, (program, namespace, serial, batch_id) in enumerate(serials):
            started = time.perf_counter()
            found = lookup_serial(conn, program, namespace, serial)
            elapsed = time.perf_counter() - started
            if found is None or not found.first_serial <= serial <= found.last_serial:
                raise AssertionError(f"serial {serial} of batch {batch_id} not found")
            if i >= WARMUP:
                timings["lookup"].append(elapsed)
        for name, accounts, warmup in (
            ("holdings", holders, WARMUP),
            ("holdings_retired_only", retired_only, WARMUP // 4),
        ):
            for i, holder in enumerate(accounts):
                started = time.perf_counter()
                conn.execute(HOLDINGS, {"holder": holder}).all()
                if i >= warmup:
                    timings[name].append(time.perf_counter() - started)
    return {name: _latency(values) for name, values in timings.items()}


# ---------------------------------------------------------------- the run


@dataclass
class Results:
    generated: Generated | None = None
    ceiling: Stage | None = None
    stores: dict[str, Stage] = field(default_factory=dict)
    verified: dict[str, bool] = field(default_factory=dict)
    verify_first: dict[str, str] = field(default_factory=dict)
    lookups: dict[str, dict[str, Latency]] = field(default_factory=dict)
    lookup_build_seconds: dict[str, float] = field(default_factory=dict)
    retired_only: dict[str, int] = field(default_factory=dict)  # that account's ranges
    ranges: int = 0

    def as_json(self) -> dict[str, Any]:
        g, c = self.generated, self.ceiling
        assert c is not None
        out: dict[str, Any] = {
            "events": c.events,
            "transactions": g.transactions if g else None,
            "blocks": g.blocks if g else None,
            "batches": g.batches if g else None,
            "generate_seconds": round(g.seconds, 2) if g else None,
            "ceiling_events_per_s": round(c.rate),
            "ceiling_seconds": round(c.seconds, 3),
            "ceiling_runs_seconds": [round(s, 3) for s in c.runs],
            "goal_share_of_ceiling": GOAL_SHARE,
            "goal_events_per_s": GOAL_RATE,
            "goal_p99_ms": GOAL_P99_MS,
            "ranges": self.ranges,
        }
        for key, name in (("sqlite", "sqlite"), ("postgres", "postgresql")):
            stage = self.stores.get(name)
            out[f"{key}_events_per_s"] = round(stage.rate) if stage else None
            out[f"{key}_seconds"] = round(stage.seconds, 3) if stage else None
            out[f"{key}_runs_seconds"] = [round(s, 3) for s in stage.runs] if stage else None
            out[f"{key}_share_of_ceiling"] = round(stage.rate / c.rate, 3) if stage else None
            out[f"extrapolated_1m_seconds_{key}"] = (
                round(stage.million_seconds, 1) if stage else None
            )
            out[f"{key}_verified"] = self.verified.get(name)
            lat = self.lookups.get(name)
            for query in ("lookup", "holdings"):
                for stat in ("p50", "p99"):
                    value = getattr(lat[query], f"{stat}_ms") if lat else None
                    out[f"{query}_{stat}_ms_{key}"] = round(value, 3) if value is not None else None
            worst = lat["holdings_retired_only"] if lat else None
            out[f"holdings_retired_only_p50_ms_{key}"] = round(worst.p50_ms, 3) if worst else None
            out[f"retired_only_ranges_{key}"] = self.retired_only.get(name)
            build = self.lookup_build_seconds.get(name)
            out[f"lookup_store_build_seconds_{key}"] = round(build, 1) if build else None
        for query in ("lookup", "holdings"):
            for stat in ("p50", "p99"):
                values = [getattr(v[query], f"{stat}_ms") for v in self.lookups.values()]
                out[f"{query}_{stat}_ms"] = round(max(values), 3) if values else None
        out["verified"] = all(self.verified.values()) if self.verified else None
        return out


def run(
    events: int,
    ranges: int,
    postgres: str | None,
    say: Say,
    *,
    seed: int = 1,
    rpc: str | None = None,
    deployment: Path | None = None,
) -> Results:
    """Everything above; with ``rpc`` and ``deployment``, on that node's ledger as it is."""
    results = Results(ranges=ranges)
    stores = ["sqlite"] + (["postgresql"] if postgres else [])
    with tempfile.TemporaryDirectory(prefix="carbon-ledger-bench-") as tmp_name:
        tmp = Path(tmp_name)
        with contextlib.ExitStack() as node:
            if rpc is None or deployment is None:
                url = node.enter_context(anvil_node(tmp))
                say(f"generating {events:,} events on anvil")
                g = generate_events(url, events, seed=seed, say=say)
                say(
                    f"  {g.events:,} events in {g.transactions:,} transactions, {g.blocks} "
                    f"blocks, {g.batches:,} batches: {g.seconds:.1f} s"
                )
                results.generated, ledger = g, g.deployment
            else:
                url, ledger = rpc, Deployment.load(deployment)
            _throughput(results, url, ledger, tmp, stores, postgres, say)
        _lookups(results, tmp, stores, postgres, say)
    return results


def _best(runs: list[Stage]) -> Stage:
    """The fastest of ``runs`` (of the same work), with every run's seconds."""
    best = min(runs, key=lambda st: st.seconds)
    return Stage(best.name, best.events, best.seconds, tuple(st.seconds for st in runs))


def _seconds(stage: Stage) -> str:
    return f"{stage.seconds:.2f} s (runs: {', '.join(f'{s:.2f}' for s in stage.runs)} s)"


def _database(name: str, tmp: Path, file: str, postgres: str | None, stack: Any) -> str:
    if name == "sqlite":
        return f"sqlite:///{tmp / file}"
    assert postgres is not None
    return str(stack.enter_context(postgres_database(postgres)))


def _throughput(
    results: Results,
    url: str,
    deployment: Deployment,
    tmp: Path,
    stores: list[str],
    postgres: str | None,
    say: Say,
) -> None:
    w3 = _node(url)
    head = w3.eth.block_number
    say(f"ceiling: eth_getLogs + decode ({RUNS - 1} runs now, one after the indexer)")
    ceilings = [in_fresh_process(ceiling_run, url, deployment, head) for _ in range(RUNS - 1)]
    say(f"  {ceilings[0].events:,} events in {_seconds(_best(ceilings))}")
    engines: dict[str, Engine] = {}
    with contextlib.ExitStack() as stack:
        for name in stores:
            say(f"indexing into {name} (best of {RUNS}, each into a fresh store)")
            runs = []
            for run in range(RUNS):
                store = _database(name, tmp, f"index-{run}.sqlite3", postgres, stack)
                runs.append(in_fresh_process(indexer_run, url, deployment, store, name))
            engines[name] = open_store(store)  # the last run's store is the one verified
            stack.callback(engines[name].dispose)
            stage = results.stores[name] = _best(runs)
            say(f"  {stage.events:,} events in {_seconds(stage)}")
        # Once more with the machine quiet: right after generating, anvil may still be busy.
        ceilings.append(in_fresh_process(ceiling_run, url, deployment, head))
        results.ceiling = _best(ceilings)
        say(f"ceiling (best of {len(ceilings)}): {_seconds(results.ceiling)}")
        chain_report = None
        for name, engine in engines.items():
            say(f"verifying the {name} store against the chain")
            if chain_report is None:  # the chain's own checks once, the store diff for each
                chain_report = verify(w3, deployment, engine)
                found = chain_report.discrepancies
            else:
                _, store_found = verify_store(w3, deployment, engine)
                chain_found = [d for d in chain_report.discrepancies if d.kind != "store"]
                found = chain_found + store_found
            results.verified[name] = not found
            results.verify_first[name] = found[0].message if found else ""
            say(f"  {'ok' if not found else 'NOT OK: ' + found[0].message}")


def _lookups(
    results: Results, tmp: Path, stores: list[str], postgres: str | None, say: Say
) -> None:
    with contextlib.ExitStack() as stack:
        for name in stores:
            engine = open_store(_database(name, tmp, "lookups.sqlite3", postgres, stack))
            stack.callback(engine.dispose)
            say(f"building a {name} store of {results.ranges:,} ranges")
            data = build_lookup_store(engine, results.ranges)
            results.lookup_build_seconds[name] = data.seconds
            results.retired_only[name] = data.weights[RETIRED_ONLY]
            say(f"  {data.ranges:,} ranges in {len(data.batches):,} batches: {data.seconds:.1f} s")
            results.lookups[name] = measure_lookups(engine, data)


# ---------------------------------------------------------------- report


def _duration(seconds: float) -> str:
    if math.isinf(seconds):
        return "-"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _table(rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


STORE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def report(results: Results) -> str:
    g, c = results.generated, results.ceiling
    assert c is not None
    rows: list[tuple[str, ...]] = [
        ("stage", "events", "seconds", "events/s", "% of ceiling", "1M events in")
    ]
    if g is not None:
        rate = f"{g.events / g.seconds:,.0f}"
        rows.append(("generate (anvil, Python sender)", f"{g.events:,}", f"{g.seconds:.1f}", rate,
                     "", _duration(MILLION * g.seconds / g.events)))  # fmt: skip
    rows.append(("ceiling: eth_getLogs + decode", f"{c.events:,}", f"{c.seconds:.2f}",
                 f"{c.rate:,.0f}", "100%", _duration(c.million_seconds)))  # fmt: skip
    for name, stage in results.stores.items():
        rows.append(
            (
                f"indexer -> {STORE_NAMES[name]}",
                f"{stage.events:,}",
                f"{stage.seconds:.2f}",
                f"{stage.rate:,.0f}",
                f"{stage.rate / c.rate:.0%}",
                _duration(stage.million_seconds),
            )
        )
    chain = (
        f"anvil: {g.events:,} events, {g.transactions:,} transactions, {g.blocks} blocks, "
        f"{g.batches:,} batches"
        if g is not None
        else f"an existing ledger: {c.events:,} events"
    )
    lines = [
        f"Indexer throughput on {chain}",
        "",
        *_table(rows, {1, 2, 3, 4}),
        "",
    ]
    verdicts = []
    for name, stage in results.stores.items():
        share, fast = stage.rate / c.rate >= GOAL_SHARE, stage.rate >= GOAL_RATE
        verdicts.append(
            f"{STORE_NAMES[name]}: {'meets' if share and fast else 'MISSES'} the goal "
            f"(>= {GOAL_SHARE:.0%} of the ceiling and >= {GOAL_RATE:,} events/s)"
        )
    lines += verdicts
    for name, ok in results.verified.items():
        detail = "" if ok else f": {results.verify_first[name]}"
        lines.append(
            f"chain.verify on the {STORE_NAMES[name]} store: {'ok' if ok else 'NOT OK'}{detail}"
        )
    lines += ["", f"Lookups at {results.ranges:,} serial ranges ({SAMPLES:,} of each, after "
              f"{WARMUP} warm-up; holdings: a page of {HOLDINGS_PAGE} live ranges)", ""]  # fmt: skip
    rows = [("store", "build s", "serial p50 ms", "serial p99 ms", "holdings p50 ms",
             "holdings p99 ms", f"p99 < {GOAL_P99_MS:g} ms")]  # fmt: skip
    for name, lat in results.lookups.items():
        worst = max(lat["lookup"].p99_ms, lat["holdings"].p99_ms)
        rows.append(
            (
                STORE_NAMES[name],
                f"{results.lookup_build_seconds[name]:.1f}",
                f"{lat['lookup'].p50_ms:.3f}",
                f"{lat['lookup'].p99_ms:.3f}",
                f"{lat['holdings'].p50_ms:.3f}",
                f"{lat['holdings'].p99_ms:.3f}",
                "yes" if worst < GOAL_P99_MS else "NO",
            )
        )
    lines += _table(rows, {1, 2, 3, 4, 5})
    lines.append("")
    for name, lat in results.lookups.items():
        alone = lat["holdings_retired_only"]
        lines.append(
            f"{STORE_NAMES[name]}: holdings of the account that retired all its "
            f"{results.retired_only[name]:,} ranges (none live; not in the p99 mix): "
            f"p50 {alone.p50_ms:.3f} ms, max {alone.max_ms:.3f} ms"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000, metavar="N")
    parser.add_argument("--ranges", type=int, default=MILLION, metavar="N")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get(POSTGRES_ENV, DEFAULT_POSTGRES),
        help=f"a server where the bench may create databases (${POSTGRES_ENV}; "
        f"default {DEFAULT_POSTGRES})",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rpc", metavar="URL", help="measure a node's ledger as it is (no anvil)")
    parser.add_argument("--deployment", type=Path, help="its deployment.json (with --rpc)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.events < 1 or args.ranges < 1:
        parser.error("--events and --ranges must be positive")
    if (args.rpc is None) != (args.deployment is None):
        parser.error("--rpc and --deployment go together")

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    results = run(
        args.events,
        args.ranges,
        None if args.skip_postgres else args.postgres,
        say,
        seed=args.seed,
        rpc=args.rpc,
        deployment=args.deployment,
    )
    if args.json:
        print(json.dumps(results.as_json(), sort_keys=True))
    else:
        print(report(results))
    return 0 if all(results.verified.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
