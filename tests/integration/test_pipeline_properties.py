"""The whole pipeline, property-tested: nothing the contract accepts can halt a mirror of it,
lose a value or change one.

Each example deploys nothing new: it reverts the embedded chain to a freshly deployed ledger,
then sends a drawn sequence of operations of every kind (``operations``) with adversarial
values in every field (``hostile``) straight to the contract, as raw ABI so that invalid
UTF-8 reaches it. The contract refuses an operation (nothing changes) or accepts it, and the
test's own mirror (``mirror``) records every accepted event's values, decoded independently
of ``chain.events``. The chain is then indexed (``chain.indexer``, a sync every few
operations, as ``index --follow`` would) into a fresh store of the backend under test, and:

- the indexer never stops with an error, and every table holds exactly the mirror's rows:
  strings byte for byte, integers exactly, every event's raw topics and data, its decoded
  fields and rolling audit head;
- ``audit verify`` (``chain.verify.verify``) passes against the store;
- the real FastAPI app over that store answers 200, never a 5xx, for every batch and
  retirement: ``/v1/batches/{id}``, ``/v1/retirements/{id}``, the certificate as JSON, HTML
  and PDF, the serial lookup of its first and last serial, the batch and retirement pages in
  English and Chinese, ``/v1/events`` (every page) and ``/v1/stats``, with JSON values equal
  to the chain's (the API's own conventions applied: numbers from 2^53 on as decimal
  strings, dates as ISO dates, an empty jurisdiction as null); pages and the HTML
  certificate show every visible character of each text (their markup is the pages' own
  business), the PDF is a PDF.

Knobs (environment):

- ``CARBON_LEDGER_PIPELINE_OPERATIONS``: operations per store (default ``DEFAULT_OPERATIONS``;
  docs/ARCHITECTURE.md, "Canonical identity and bounds", has the figures of a 10,000 run);
- ``CARBON_LEDGER_PIPELINE_SEQUENCE``: operations per example (default 60), each example a
  fresh ledger and a fresh store;
- ``CARBON_LEDGER_PIPELINE_RPC=anvil``: run on a local anvil (node_modules) instead of the
  embedded chain: the same test, several times faster per operation, for long runs.

Run with ``-s`` to see the operations accepted and refused per kind.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from web3 import Web3
from web3.types import RPCEndpoint

from api.app import create_app
from api.deps import Services
from api.settings import Settings
from chain import registries
from chain.anvil import LocalNode, NodeOptions
from chain.artifacts import ledger_abi
from chain.deployment import Deployment, deploy_ledger
from chain.domain import label_names
from chain.embedded import embedded_chain
from chain.indexer.core import Indexer
from chain.store import schema
from chain.store.engine import open_store
from chain.transactions import NonceManager, TxSender
from chain.units import Unit, grams_tonnes, tonnes_text
from chain.verify import verify
from tests.chain.conftest import new_pg_schema, pg_url
from tests.integration import operations as ops
from tests.integration.mirror import Mirror, event_batch, hexed, json_fields
from tests.integration.raw import RawSender, decode_receipt

DEFAULT_OPERATIONS = 120
OPERATIONS = int(os.environ.get("CARBON_LEDGER_PIPELINE_OPERATIONS", str(DEFAULT_OPERATIONS)))
SEQUENCE = int(os.environ.get("CARBON_LEDGER_PIPELINE_SEQUENCE", "60"))
RPC = os.environ.get("CARBON_LEDGER_PIPELINE_RPC", "embedded").strip().lower()
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
PHASES = (Phase.explicit, Phase.reuse, Phase.generate) + (
    (Phase.shrink,) if os.environ.get("CARBON_LEDGER_PIPELINE_SHRINK") == "1" else ()
)
PROGRESS = OPERATIONS >= 1000
"""Long runs report each sequence as it ends (on stderr)."""
SYNCS = 3
"""Syncs of the indexer per example, evenly spaced (the last after the last operation), as
``index --follow`` would catch up: each picks up where the store's checkpoint is."""

JSON_SAFE = 2**53
LABELS = ("corsia_eligible", "ccp_approved", "article6_authorised", "corresponding_adjustment")
PURPOSES = ("voluntary", "corsia", "article6", "compliance")
STATES = {1: "held", 2: "retired", 3: "detokenised", 4: "cancelled"}


# ---------------------------------------------------------------- the ledger


@dataclass
class Env:
    w3: Web3
    deployment: Deployment
    sender: RawSender
    actors: ops.Actors
    baseline: Mirror
    take_snapshot: Callable[[], Any]
    revert_to: Callable[[Any], None]
    snapshot: Any = None

    def fresh(self) -> None:
        """Back to the freshly deployed ledger (a node forgets a snapshot it reverted to)."""
        self.revert_to(self.snapshot)
        self.snapshot = self.take_snapshot()
        self.sender.reset()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """A ledger deployed on a chain of its own (no admin delay, so a hand-over can complete)
    and the mirror of its deployment: the embedded chain, or a local anvil for long runs."""
    if RPC == "anvil":
        node = LocalNode(tmp_path_factory.mktemp("anvil"), NodeOptions())
        w3 = Web3(Web3.HTTPProvider(node.start(), request_kwargs={"timeout": 60}))
        Account.enable_unaudited_hdwallet_features()
        accounts = [
            Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
            for i in range(10)
        ]

        def take() -> Any:
            return w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"]

        def back(snapshot: Any) -> None:
            answer = w3.provider.make_request(RPCEndpoint("evm_revert"), [snapshot])
            assert answer.get("result") is True, answer

        try:
            yield _deployed(w3, accounts, take, back)
        finally:
            node.stop()
        return
    chain = embedded_chain()
    yield _deployed(chain.w3, chain.accounts, chain.snapshot, chain.revert)


def _deployed(
    w3: Web3,
    accounts: Sequence[LocalAccount],
    take: Callable[[], Any],
    back: Callable[[Any], None],
) -> Env:
    deployer = TxSender(w3, accounts[0], ledger_abi(), nonces=NonceManager(w3))
    deployment = deploy_ledger(deployer, admin_delay=0)
    baseline = Mirror(genesis=deployment.audit_genesis, head=deployment.audit_genesis)
    receipt = w3.eth.get_transaction_receipt(deployment.deploy_tx)  # type: ignore[arg-type]
    for event in decode_receipt(receipt, deployment.address):
        baseline.apply(event)
    sender = RawSender(w3, deployment.address, accounts)
    return Env(w3, deployment, sender, ops.Actors(accounts), baseline, take, back, take())


@dataclass
class Run:
    """What one test's examples did, for the summary it prints."""

    tally: ops.Tally
    examples: int = 0
    batches: int = 0
    retirements: int = 0
    events: int = 0
    requests: int = 0
    seconds: Counter[str] = field(default_factory=Counter)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[stage] += time.monotonic() - started


# ---------------------------------------------------------------- the stores


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def new_store(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Makes a fresh, migrated store of the backend under test for each example."""
    engines: list[Engine] = []
    folder = tempfile.TemporaryDirectory(prefix="pipeline-")
    database = request.getfixturevalue("pg_database") if request.param == "postgresql" else None

    def make() -> Engine:
        if database is None:
            url = f"sqlite:///{Path(folder.name) / f'store{len(engines)}.sqlite3'}"
        else:
            url = pg_url(database, new_pg_schema(database))
        engine = open_store(url)
        engines.append(engine)
        return engine

    make.backend = request.param  # type: ignore[attr-defined]
    yield make
    for engine in engines:
        engine.dispose()
    folder.cleanup()


# ---------------------------------------------------------------- the property


def test_every_accepted_value_round_trips_through_the_pipeline(env: Env, new_store: Any) -> None:
    examples = max(1, math.ceil(OPERATIONS / SEQUENCE))
    run = Run(ops.Tally())
    started = time.monotonic()

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        # Each example costs seconds: shrinking a failure could take an hour. The failing
        # example's draws are printed; CARBON_LEDGER_PIPELINE_SHRINK=1 shrinks it.
        phases=PHASES,
    )
    @given(st.data())
    def sequence(data: st.DataObject) -> None:
        env.fresh()
        engine = new_store()
        tally = ops.Tally()
        try:
            _sequence(data, env, engine, run, tally)
        finally:
            engine.dispose()
        # Counted once checked: Hypothesis abandons a sequence whose draws outgrow its data
        # budget, and those operations were sent but never followed through the stores.
        run.tally.outcomes += tally.outcomes
        run.examples += 1
        if PROGRESS:
            print(
                f"[{new_store.backend}] sequence {run.examples}/{examples}: "
                f"{run.tally.total} operations, {run.tally.accepted()} accepted, "
                f"{time.monotonic() - started:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    sequence()
    elapsed = time.monotonic() - started
    print(
        f"\npipeline on {new_store.backend}: {run.tally.total} operations in {run.examples} "
        f"sequences, {elapsed:.1f} s; {run.events} events, {run.batches} batches, "
        f"{run.retirements} retirements indexed; {run.requests} HTTP requests, all checked\n"
        + ", ".join(f"{stage} {sec:.1f} s" for stage, sec in run.seconds.most_common())
        + "\n"
        + run.tally.table()
    )
    # The generator must get values through, or the stores would be tested on nothing.
    assert run.tally.accepted() > run.tally.total // 4, "most operations should get through"
    assert run.tally.accepted("bridge"), "no bridging was ever accepted"
    if OPERATIONS >= 1000:  # a long run reaches every operation's success path
        for kind, _ in run.tally.outcomes:
            assert run.tally.accepted(kind), f"no {kind} was ever accepted"


def _sequence(data: st.DataObject, env: Env, engine: Engine, run: Run, tally: ops.Tally) -> None:
    m = env.baseline.copy()
    indexer = Indexer(env.w3, engine, env.deployment, confirmations=0)
    sent = 0

    def send(call: ops.Call) -> None:
        nonlocal sent
        with run.timed("operations"):
            ops.run(call, env.sender, m, tally)
        sent += 1
        if sent % max(1, SEQUENCE // SYNCS) == 0:
            with run.timed("indexing"):
                indexer.sync()  # raises (IndexerError) if anything accepted halts it

    for step in ops.SETUP:
        for call in step(data.draw, m, env.actors):
            send(call)
    while sent < SEQUENCE:
        send(ops.next_call(data.draw, m, env.actors, env.sender))
    with run.timed("indexing"):
        indexer.sync()

    with run.timed("store rows"):
        check_store(engine, m)
    with run.timed("audit verify"):
        report = verify(env.w3, env.deployment, engine)
    assert report.ok, [d.message for d in report.discrepancies[:5]]
    with run.timed("API and pages"):
        run.requests += check_served(engine, m, env)
    run.batches += len(m.batches)
    run.retirements += len(m.retirements)
    run.events += m.seq


# ---------------------------------------------------------------- the store


def _pk(table: sa.Table, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c.name] for c in table.primary_key.columns)


def check_store(engine: Engine, m: Mirror) -> None:
    """Every derived table holds exactly the mirror's rows; every event its raw bytes, its
    fields and the audit head after it; the checkpoint the chain's audit position."""
    with engine.connect() as conn:
        for name, expected in m.rows().items():
            table = schema.metadata.tables[name]
            stored = sorted(
                (dict(r._mapping) for r in conn.execute(sa.select(table))),
                key=lambda r: _pk(table, r),
            )
            expected = sorted(expected, key=lambda r: _pk(table, r))
            _same_rows(name, stored, expected)

        head = m.genesis
        events = conn.execute(sa.select(schema.events).order_by(schema.events.c.seq)).all()
        assert len(events) == len(m.events), (
            f"{len(m.events)} events accepted, store has {len(events)}"
        )
        for row, e in zip(events, m.events, strict=True):
            head = _fold(head, e)
            want = {
                "seq": e.seq,
                "name": e.name,
                "block_number": e.block_number,
                "block_hash": e.block_hash,
                "tx_hash": e.tx_hash,
                "tx_index": e.tx_index,
                "log_index": e.log_index,
                "topics": b"".join(e.topics),
                "data": e.data,
                "audit_head": hexed(head),
                "batch_id": event_batch(e),
                "fields": json_fields(e.fields),
            }
            got = dict(row._mapping)
            got["topics"], got["data"] = bytes(got["topics"]), bytes(got["data"])
            _same_rows("events", [got], [want])
        cp = conn.execute(sa.select(schema.checkpoint)).one()
        assert (cp.audit_seq, cp.audit_head, cp.paused) == (m.seq, hexed(m.head), m.paused)


def _fold(head: bytes, e: Any) -> bytes:
    """The audit head after ``e`` (docs/AUDIT.md), over the log's raw bytes."""
    return keccak(head + b"".join(e.topics) + e.data)


def _same_rows(table: str, stored: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    """Equal, value and type (``True`` is not ``1``); else name the first row and column."""
    for got, want in zip(stored, expected, strict=False):
        if got != want or any(type(got[k]) is not type(v) for k, v in want.items() if k in got):
            diff = {
                k: (got.get(k), v)
                for k, v in want.items()
                if got.get(k) != v or type(got.get(k)) is not type(v)
            }
            extra = set(got) - set(want)
            raise AssertionError(f"{table}: row {want!r} differs: (stored, chain) {diff}, {extra}")
    assert len(stored) == len(expected), (
        f"{table}: the store holds {len(stored)} rows, the chain implies {len(expected)}"
    )


# ---------------------------------------------------------------- the API and pages


def _ji(value: int) -> int | str:
    return value if -JSON_SAFE < value < JSON_SAFE else str(value)


def _iso(value: int) -> str | None:
    if not value:
        return None
    return dt.date(value // 10000, value // 100 % 100, value % 100).isoformat()


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return _ji(value)
    return value


def visible(value: str) -> set[str]:
    """The characters of ``value`` a reader sees (not spaces, marks, format characters,
    private-use or unassigned code points): each must appear on a page that shows it."""
    hidden = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me", "Mc"}
    return {c for c in value if unicodedata.category(c) not in hidden}


def _shows(page: Any, what: str, *texts: str) -> None:
    assert page.status_code == 200, f"{what}: {page.status_code} {page.text[:500]}"
    shown = html.unescape(page.text)
    for value in texts:
        missing = {c for c in visible(value) if c not in shown}
        assert not missing, f"{what} does not show {sorted(missing)!r} of {value!r}"


class _Client:
    """The app's test client, counting requests and refusing any status but 200."""

    def __init__(self, engine: Engine) -> None:
        settings_ = Settings(dev=True, rate_limit_per_minute=10**9)
        self.http = TestClient(create_app(Services(settings_, engine)))
        self.requests = 0

    def get(self, url: str, **params: Any) -> Any:
        self.requests += 1
        response = self.http.get(url, params=params or None)
        assert response.status_code == 200, (
            f"GET {url} {params}: {response.status_code} {response.text[:800]}"
        )
        return response

    def json(self, url: str, **params: Any) -> Any:
        return self.get(url, **params).json()


def check_served(engine: Engine, m: Mirror, env: Env) -> int:
    """Serve the store; every batch, retirement, event and the stats equal the chain's."""
    client = _Client(engine)
    codes = {pid: p.code.rstrip(b"\0").decode() for pid, p in m.programmes.items()}
    projects = {p["key"]: p for p in m.projects.values()}
    heads: dict[int, str] = {}
    head = m.genesis
    for e in m.events:
        head = _fold(head, e)
        heads[e.seq] = hexed(head)

    for batch_id, row in m.batches.items():
        want = _batch_json(row, codes, projects[row["project_key"]], m)
        got = client.json(f"/v1/batches/{batch_id}")
        page = got.pop("ranges")
        assert got == want, f"batch {batch_id}: served {got!r}, chain {want!r}"
        ledger = _ledger_batch(row, codes, projects[row["project_key"]])
        ranges = [_range_json(start, r, ledger) for start, r in sorted(m.ranges[batch_id].items())]
        assert page["items"] == ranges[: len(page["items"])]
        assert page["next_cursor"] is not None or len(page["items"]) == len(ranges)
        for serial in {row["first_serial"], row["last_serial"]}:
            found = client.json(
                f"/v1/serials/{want['program']}/{serial}", namespace=row["namespace"]
            )
            assert found["batch_id"] == batch_id, found
        texts = (row["namespace"], row["registry_reference"], want["project"]["name"])
        for lang in ("en", "zh"):
            _shows(client.get(f"/batches/{batch_id}", lang=lang), f"batch page {batch_id}", *texts)

    for rid, row in m.retirements.items():
        batch = m.batches[row["batch_id"]]
        project = projects[batch["project_key"]]
        want = _retirement_json(row, batch, codes, project, m)
        got = client.json(f"/v1/retirements/{rid}")
        verification = got.pop("verification")
        assert got == want, f"retirement {rid}: served {got!r}, chain {want!r}"
        event = next(e for e in m.events if e.seq == row["seq"])
        assert verification["audit_seq"] == row["seq"]
        assert verification["audit_head"] == heads[row["seq"]]
        assert verification["tx_hash"] == row["tx_hash"]
        assert verification["block_hash"] == event.block_hash
        assert verification["log_index"] == event.log_index
        assert verification["chain_id"] == env.w3.eth.chain_id

        cert = client.json(f"/v1/retirements/{rid}/certificate", format="json")
        assert {k: cert[k] for k in want} == want, f"certificate {rid}: {cert!r}"
        assert cert["namespace"] == batch["namespace"]
        assert cert["registry_reference"] == batch["registry_reference"]
        assert cert["methodology"] == project["methodology"]
        assert cert["project_type"] == project["project_type"]
        assert cert["labels"] == [n for i, n in enumerate(LABELS) if batch["labels"] >> i & 1]
        texts = (row["beneficiary"], row["jurisdiction"], row["note"], project["name"])
        for lang in ("en", "zh"):
            _shows(client.get(f"/retirements/{rid}", lang=lang), f"retirement page {rid}", *texts)
        _shows(
            client.get(f"/v1/retirements/{rid}/certificate", format="html", lang="zh"),
            f"certificate {rid}",
            *texts,
            batch["namespace"],
        )
        pdf = client.get(f"/v1/retirements/{rid}/certificate", format="pdf", lang="en")
        assert pdf.content.startswith(b"%PDF-") and pdf.content.rstrip().endswith(b"%%EOF")

    _check_events(client, m, heads)
    _check_stats(client, m, codes, projects)
    return client.requests


def _exact(serials: int, grams: int) -> str:
    """``serials`` of a ``grams``-per-serial programme in exact tonnes, as the API writes them."""
    return tonnes_text(Unit(grams).tonnes(serials))


def _fates(row: dict[str, Any]) -> dict[str, int]:
    """A batch's serial counts by fate (held by conservation)."""
    spent = row["retired"] + row["detokenised"] + row["cancelled"]
    return {
        "bridged": row["quantity"],
        "held": row["quantity"] - spent,
        "retired": row["retired"],
        "detokenised": row["detokenised"],
        "cancelled": row["cancelled"],
    }


def _batch_json(
    row: dict[str, Any], codes: dict[int, str], project: dict[str, Any], m: Mirror
) -> dict[str, Any]:
    grams = m.programmes[row["program_id"]].unit_grams
    counts = _fates(row)
    return {
        "id": row["id"],
        "program": codes[row["program_id"]],
        "project": {
            "project_id": project["project_id"],
            "name": project["name"],
            "country": project["country"],
            "methodology": project["methodology"],
            "project_type": project["project_type"],
        },
        "namespace": row["namespace"],
        "first_serial": _ji(row["first_serial"]),
        "last_serial": _ji(row["last_serial"]),
        "quantity": _ji(row["quantity"]),
        "vintage_start": _iso(row["vintage_start"]),
        "vintage_end": _iso(row["vintage_end"]),
        "vintage_year": row["vintage_start"] // 10000,
        "labels": [n for i, n in enumerate(LABELS) if row["labels"] >> i & 1],
        "registry_reference": row["registry_reference"],
        "registry_serial": _registry_serial(
            _ledger_batch(row, codes, project), row["first_serial"], row["last_serial"]
        ),
        "frozen": row["frozen"],
        "totals": {k: _ji(v) for k, v in counts.items()},
        "unit_grams": grams,
        "tonnes": {k: _exact(v, grams) for k, v in counts.items()},
        "recipient": row["recipient"],
        "bridged_by": row["bridged_by"],
        "metadata_hash": row["metadata_hash"],
        "seq": row["seq"],
        "block_number": row["block_number"],
        "tx_hash": row["tx_hash"],
        "range_count": len(m.ranges[row["id"]]),
        "conserved": True,
        "reversals": [],  # the operations draw no buffer reversal
    }


def _ledger_batch(
    row: dict[str, Any], codes: dict[int, str], project: dict[str, Any]
) -> registries.LedgerBatch:
    return registries.LedgerBatch(
        codes[row["program_id"]],
        row["namespace"],
        row["first_serial"],
        row["last_serial"],
        row["registry_reference"],
        project["project_id"],
    )


def _registry_serial(batch: registries.LedgerBatch, first: int, last: int) -> str | None:
    """What the reads must serve: the adapter's rendering where the batch's reference (or
    namespace) is its registry serial, else ``None`` (arbitrary text never fails a read)."""
    return registries.range_serial(batch, first, last)


def _range_json(start: int, r: Any, batch: registries.LedgerBatch) -> dict[str, Any]:
    return {
        "first_serial": _ji(start),
        "last_serial": _ji(r.last),
        "quantity": _ji(r.last - start + 1),
        "holder": r.holder,
        "state": STATES[r.state],
        "seq": r.seq,
        "registry_serial": _registry_serial(batch, start, r.last),
    }


def _retirement_json(
    row: dict[str, Any],
    batch: dict[str, Any],
    codes: dict[int, str],
    project: dict[str, Any],
    m: Mirror,
) -> dict[str, Any]:
    c_start, c_end = row["consumption_start"], row["consumption_end"]
    grams = m.programmes[batch["program_id"]].unit_grams
    span = {
        "first_serial": _ji(row["first_serial"]),
        "last_serial": _ji(row["last_serial"]),
        "quantity": _ji(row["quantity"]),
        "registry_serial": _registry_serial(
            _ledger_batch(batch, codes, project), row["first_serial"], row["last_serial"]
        ),
    }
    return {
        "id": row["id"],
        "batch_id": row["batch_id"],
        "program": codes[batch["program_id"]],
        "project_id": project["project_id"],
        "project_name": project["name"],
        "country": project["country"],
        "vintage_start": _iso(batch["vintage_start"]),
        "vintage_end": _iso(batch["vintage_end"]),
        "holder": row["holder"],
        **{k: v for k, v in span.items() if k != "registry_serial"},
        "unit_grams": grams,
        "tonnes": _exact(row["quantity"], grams),
        "serial_ranges": [span],
        "beneficiary": row["beneficiary"],
        "purpose": PURPOSES[row["purpose"]],
        "jurisdiction": row["jurisdiction"] or None,
        "consumption_period": (
            {"start": _iso(c_start), "end": _iso(c_end)} if c_start or c_end else None
        ),
        "note": row["note"],
        "retired_on": _iso(row["retired_on"]),
        "mirrored": row["mirrored"],
        "labels": label_names(row["labels"]),  # the labels the retirement relied on
        "actor": row["actor"],
        "tx_hash": row["tx_hash"],
        "block_number": row["block_number"],
        "seq": row["seq"],
        "certificate_url": f"/v1/retirements/{row['id']}/certificate",
    }


def _check_events(client: _Client, m: Mirror, heads: dict[int, str]) -> None:
    served: list[dict[str, Any]] = []
    after = 0
    while True:
        page = client.json("/v1/events", after_seq=after, limit=1000)
        served += page["items"]
        if page["next_after_seq"] is None:
            break
        after = page["next_after_seq"]
    assert len(served) == len(m.events)
    for got, e in zip(served, m.events, strict=True):
        want = {
            "seq": e.seq,
            "name": e.name,
            "block_number": e.block_number,
            "block_hash": e.block_hash,
            "tx_hash": e.tx_hash,
            "tx_index": e.tx_index,
            "log_index": e.log_index,
            "audit_head": heads[e.seq],
            "batch_id": event_batch(e),
            "fields": _json_safe(json_fields(e.fields)),
            "topics": [hexed(t) for t in e.topics],
            "data": hexed(e.data),
        }
        assert got == want, f"event {e.seq}: served {got!r}, chain {want!r}"


def _tonnes(rows: list[dict[str, Any]], m: Mirror) -> dict[str, Any]:
    """Serial counts by state over ``rows``, and the same in exact tonnes (summed in grams,
    since the rows' programmes may count different units)."""
    counts: dict[str, int] = dict.fromkeys(_FATES, 0)
    grams: dict[str, int] = dict.fromkeys(_FATES, 0)
    for r in rows:
        unit = m.programmes[r["program_id"]].unit_grams
        for fate, n in _fates(r).items():
            counts[fate] += n
            grams[fate] += n * unit
    return {
        "batches": len(rows),
        **{k: _ji(v) for k, v in counts.items()},
        "tonnes": {k: tonnes_text(grams_tonnes(v)) for k, v in grams.items()},
    }


_FATES = ("bridged", "held", "retired", "detokenised", "cancelled")


def _check_stats(
    client: _Client, m: Mirror, codes: dict[int, str], projects: dict[str, dict[str, Any]]
) -> None:
    stats = client.json("/v1/stats")
    batches = list(m.batches.values())
    assert stats["totals"] == _tonnes(batches, m)

    def grouped(key: Any) -> dict[Any, dict[str, Any]]:
        groups: dict[Any, list[dict[str, Any]]] = {}
        for b in batches:
            groups.setdefault(key(b), []).append(b)
        return {k: _tonnes(rows, m) for k, rows in groups.items()}

    def served(name: str, key: str) -> dict[Any, dict[str, Any]]:
        return {item.pop(key): item for item in stats[name]}

    assert served("by_program", "key") == grouped(lambda b: codes[b["program_id"]])
    assert served("by_vintage_year", "year") == grouped(lambda b: b["vintage_start"] // 10000)
    assert served("by_country", "key") == grouped(lambda b: projects[b["project_key"]]["country"])
    assert served("by_project_type", "key") == grouped(
        lambda b: projects[b["project_key"]]["project_type"]
    )
