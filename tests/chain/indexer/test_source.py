"""Reading logs through an unreliable provider: range limits, random failures, outages, and a
node that silently omits a log.

``FaultyProvider`` wraps anvil's HTTP provider and misbehaves on ``eth_getLogs`` only, the way
public RPC endpoints do: refusing spans over K blocks, refusing results over N logs ("query
returned more than 10000 results"), failing at random (error replies and dropped
connections), dropping one log from one answer, or leaving one log out of every answer.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from web3 import HTTPProvider, Web3
from web3.types import RPCEndpoint, RPCResponse

from chain.errors import IndexerError, NodeError
from chain.indexer import halt
from chain.indexer.core import GAP_READS, Indexer
from chain.indexer.source import LogSource
from chain.store import schema as s
from chain.store.diff import diff_stores
from chain.store.engine import open_store
from chain.transactions import NonceManager
from chain.verify import verify, verify_store
from tests.chain.indexer.support import (
    AnvilLedger,
    chain_events,
    checkpoint,
    deploy_anvil_ledger,
    mine,
    rows,
    settle,
    snapshot_store,
    workload,
)

pytestmark = pytest.mark.anvil


class FaultyProvider(HTTPProvider):
    def __init__(
        self,
        url: str,
        *,
        max_span: int | None = None,
        max_results: int | None = None,
        fail_rate: float = 0.0,
        fail_first: int = 0,
        fail_other: int = 0,
        fail_every: int = 1,
        drop: str | None = None,
        omit_seq: int | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(url)
        self.max_span = max_span
        self.max_results = max_results
        self.fail_rate = fail_rate
        self.fail_first = fail_first
        # Once the indexer asks for the head: fail every fail_every-th of its other calls (the
        # head, headers, logs by hash), fail_other times.
        self.fail_other = fail_other
        self.fail_every = fail_every
        self.other_calls = 0
        self.failed: list[str] = []
        self.drop = drop  # "first" | "middle" | "last": drop that log of one answer
        self.omit_seq = omit_seq  # leave the event of this seq out of every answer
        self.rng = random.Random(seed)
        self.served: list[tuple[int, int]] = []
        self.requested: list[tuple[int, int]] = []
        self.refused = 0
        self.dropped: dict[str, Any] | None = None
        self.dropped_from: tuple[int, int] | None = None
        self.dropped_at: int | None = None  # len(served) when the log was dropped
        self.omitted = 0  # answers that lacked omit_seq

    def _refuse(self, message: str) -> RPCResponse:
        self.refused += 1
        return {"jsonrpc": "2.0", "id": 1, "error": {"code": -32005, "message": message}}

    def _omit(self, response: RPCResponse) -> RPCResponse:
        logs = response["result"]
        kept = [log for log in logs if int(log["topics"][1], 16) != self.omit_seq]
        if len(kept) < len(logs):
            self.omitted += 1
        return {**response, "result": kept}

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        by_range = method == "eth_getLogs" and "fromBlock" in params[0]
        if (method == "eth_blockNumber" or self.other_calls) and not by_range:
            self.other_calls += 1
            if self.fail_other > 0 and self.other_calls % self.fail_every == 0:
                self.fail_other -= 1
                self.failed.append(method if method != "eth_getLogs" else "logs by hash")
                return self._refuse(f"{method}: upstream connect error")
        if method != "eth_getLogs":
            return super().make_request(method, params)
        if "fromBlock" not in params[0]:  # a block's logs by hash
            response = super().make_request(method, params)
            return response if self.omit_seq is None else self._omit(response)
        lo, hi = int(params[0]["fromBlock"], 16), int(params[0]["toBlock"], 16)
        self.requested.append((lo, hi))
        if self.fail_first > 0:
            self.fail_first -= 1
            return self._refuse("upstream connect error")
        if self.max_span is not None and hi - lo + 1 > self.max_span:
            return self._refuse(f"block range is too wide (maximum {self.max_span})")
        if self.rng.random() < self.fail_rate:
            if self.rng.random() < 0.5:
                self.refused += 1
                raise requests.exceptions.ConnectionError("connection reset by peer")
            return self._refuse("request timed out")
        response = super().make_request(method, params)
        logs = response["result"]
        if self.max_results is not None and len(logs) > self.max_results:
            return self._refuse("query returned more than 10000 results")
        if self.drop and self.dropped is None and len(logs) >= 3:
            index = {"first": 0, "middle": len(logs) // 2, "last": len(logs) - 1}[self.drop]
            self.dropped = logs[index]
            self.dropped_from = (lo, hi)
            self.dropped_at = len(self.served)
            response = {**response, "result": logs[:index] + logs[index + 1 :]}
        if self.omit_seq is not None:
            response = self._omit(response)
        self.served.append((lo, hi))
        return response


@pytest.fixture(scope="module")
def busy(anvil_w3: Web3, anvil_nonces: NonceManager) -> AnvilLedger:
    ledger = deploy_anvil_ledger(anvil_w3, anvil_nonces)
    settle(ledger, workload(ledger, random.Random(51), 30))
    return ledger


@pytest.fixture(scope="module")
def clean(busy: AnvilLedger, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    """The store a well-behaved node gives."""
    engine = open_store(f"sqlite:///{tmp_path_factory.mktemp('clean') / 'clean.sqlite3'}")
    Indexer(busy.w3, engine, busy.deployment, confirmations=0).sync()
    yield engine
    engine.dispose()


def _faulty(busy: AnvilLedger, **kwargs: Any) -> tuple[Web3, FaultyProvider]:
    provider = FaultyProvider(busy.w3.provider.endpoint_uri, **kwargs)  # type: ignore[attr-defined]
    return Web3(provider), provider


def _indexer(
    w3: Web3, busy: AnvilLedger, store: sa.Engine, sleeps: list[float] | None = None, **kw: Any
) -> Indexer:
    source = LogSource(
        w3,
        busy.deployment.address,
        sleep=(sleeps.append if sleeps is not None else _no_sleep),
        **kw,
    )
    return Indexer(w3, store, busy.deployment, confirmations=0, source=source)


def _no_sleep(_seconds: float) -> None:
    pass


def _assert_tiled(served: list[tuple[int, int]], start: int, end: int) -> None:
    """Successful eth_getLogs ranges cover start..end once each: no block skipped or doubled."""
    assert served, "no range was served"
    assert served[0][0] == start
    for (_, hi), (lo, _) in itertools.pairwise(served):
        assert lo == hi + 1, f"ranges {served} are not contiguous"
    assert served[-1][1] == end


@pytest.mark.parametrize(
    "limit", [{"max_span": 3}, {"max_results": 12}], ids=["block-span-limit", "result-limit"]
)
def test_range_limits_shrink_the_span_without_skipping_a_block(
    busy: AnvilLedger, clean: sa.Engine, store: sa.Engine, limit: dict[str, int]
) -> None:
    w3, provider = _faulty(busy, **limit)
    _indexer(w3, busy, store).sync()
    assert provider.refused > 0
    _assert_tiled(provider.served, busy.deployment.deploy_block, busy.w3.eth.block_number)
    if "max_span" in limit:
        assert max(hi - lo + 1 for lo, hi in provider.served) == limit["max_span"]
    asked = [hi - lo + 1 for lo, hi in provider.requested]
    assert any(b > a for a, b in itertools.pairwise(asked)), "the span never grew"
    assert diff_stores(clean, store) == []


def test_the_span_grows_again_when_answers_are_small(busy: AnvilLedger) -> None:
    w3, provider = _faulty(busy)
    source = LogSource(w3, busy.deployment.address, max_span=64, target_logs=10_000)
    source.span = 1
    head, start = busy.w3.eth.block_number, busy.deployment.deploy_block
    while start <= head:
        _, end = source.logs(start, head)
        start = end + 1
    spans = [hi - lo + 1 for lo, hi in provider.served]
    assert spans[:4] == [1, 2, 4, 8]
    assert max(spans) <= 64


def test_random_provider_failures_are_retried_without_skipping_a_block(
    busy: AnvilLedger, clean: sa.Engine, store: sa.Engine
) -> None:
    w3, provider = _faulty(busy, fail_rate=0.2, seed=7)
    sleeps: list[float] = []
    _indexer(w3, busy, store, sleeps, max_span=8).sync()
    assert provider.refused >= 3
    _assert_tiled(provider.served, busy.deployment.deploy_block, busy.w3.eth.block_number)
    assert all(0 < s <= 2.0 for s in sleeps)
    assert diff_stores(clean, store) == []
    assert verify(busy.w3, busy.deployment, store).ok


def test_a_node_that_keeps_failing_stops_the_indexer_loudly(
    busy: AnvilLedger, store: sa.Engine
) -> None:
    Indexer(busy.w3, store, busy.deployment, confirmations=0).sync(
        until=busy.deployment.deploy_block + 5
    )
    before = snapshot_store(store)
    w3, _ = _faulty(busy, fail_first=10**6)
    with pytest.raises(NodeError, match=r"eth_getLogs.*upstream connect error"):
        _indexer(w3, busy, store).sync()
    assert snapshot_store(store) == before


def test_a_short_outage_is_ridden_out_with_backoff(busy: AnvilLedger, tmp_path: Path) -> None:
    # 1000 → 1 takes 9 halvings; three more failures must be retried (5 retries, backoff).
    w3, provider = _faulty(busy, fail_first=12)
    sleeps: list[float] = []
    engine = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        _indexer(w3, busy, engine, sleeps).sync()
        assert provider.refused == 12
        assert len(sleeps) == 3
    finally:
        engine.dispose()


def test_headers_and_logs_by_hash_are_retried_with_backoff(
    busy: AnvilLedger, clean: sa.Engine, store: sa.Engine
) -> None:
    """The head, each header and (within the confirmations) each block's logs by hash: a
    failing call is retried with a growing pause, like a range at its smallest span, and a
    node that keeps failing stops the sync after the last retry."""
    w3, provider = _faulty(busy, fail_other=10**6, fail_every=2)  # each call fails once
    sleeps: list[float] = []
    source = LogSource(w3, busy.deployment.address, sleep=sleeps.append)
    Indexer(w3, store, busy.deployment, confirmations=3, source=source).sync()
    assert {"eth_blockNumber", "eth_getBlockByNumber", "logs by hash"} <= set(provider.failed)
    assert sleeps == [0.2] * len(provider.failed)
    assert diff_stores(clean, store) == []

    w3, provider = _faulty(busy, fail_other=10**6)
    source = LogSource(w3, busy.deployment.address, sleep=sleeps.append)
    sleeps.clear()
    with pytest.raises(NodeError, match="eth_blockNumber: upstream connect error"):
        Indexer(w3, store, busy.deployment, confirmations=3, source=source).sync()
    assert len(provider.failed) == 1 + source.retries
    assert sleeps == [0.2, 0.4, 0.8, 1.6, 2.0]


def _index_a_third(busy: AnvilLedger, store: sa.Engine) -> None:
    head, start = busy.w3.eth.block_number, busy.deployment.deploy_block
    Indexer(busy.w3, store, busy.deployment, confirmations=0).sync(
        until=start + (head - start) // 3
    )


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_a_log_missing_from_one_answer_is_read_again(
    busy: AnvilLedger, clean: sa.Engine, store: sa.Engine, where: str
) -> None:
    """A hole inside an answer shows as a gap in it; a missing last log shows only as a gap
    at the start of the next answer, after the store took the blocks with the hole: the
    indexer rewinds to the block of its last event and reads on from there."""
    _index_a_third(busy, store)
    w3, provider = _faulty(busy, drop=where)
    sleeps: list[float] = []
    indexer = _indexer(w3, busy, store, sleeps, max_span=6)
    progress = indexer.sync()  # write-behind on: the rewind waits for the write in flight
    assert provider.dropped is not None and provider.dropped_at is not None
    block = int(provider.dropped["blockNumber"], 16)
    assert any(lo <= block <= hi for lo, hi in provider.served[provider.dropped_at + 1 :]), (
        f"block {block} was not read again"
    )
    # Only a gap at an answer's start can have been stored: that one needs the rewind.
    assert indexer.rewinds == (0 if where == "middle" else 1)
    assert sleeps == [0.2]
    assert progress.audit_seq == busy.admin.audit_state().seq
    assert progress.events == progress.audit_seq - _seq_before_the_third(busy)
    assert diff_stores(clean, store) == []
    assert verify(busy.w3, busy.deployment, store).ok


def test_a_log_missing_from_the_last_answer_is_caught_at_the_head(
    busy: AnvilLedger, clean: sa.Engine, store: sa.Engine
) -> None:
    """No answer follows the last one to show its hole as a gap: at the head, the contract's
    ``auditSeq`` shows it, and the indexer rewinds and reads again."""
    events = chain_events(busy)
    Indexer(busy.w3, store, busy.deployment, confirmations=0).sync(
        until=events[-3].block_number - 1
    )
    w3, provider = _faulty(busy, drop="last")
    indexer = _indexer(w3, busy, store)  # a span of 1,000 blocks: the rest in one answer
    indexer.sync()
    assert provider.dropped is not None and provider.dropped_from is not None
    assert provider.dropped_from[1] == busy.w3.eth.block_number
    assert int(provider.dropped["topics"][1], 16) == events[-1].seq
    assert indexer.rewinds == 1
    assert diff_stores(clean, store) == []


class _SlowWrites(Indexer):
    """Writes land late (the database is busy), so a rewind that did not wait for the write
    in flight would roll back before it and have it land on top."""

    def _write(self, step: Any) -> None:
        time.sleep(0.2)
        super()._write(step)


def test_the_rewind_waits_for_the_write_in_flight(
    busy: AnvilLedger, clean: sa.Engine, store: sa.Engine
) -> None:
    _index_a_third(busy, store)
    w3, provider = _faulty(busy, drop="last")
    source = LogSource(w3, busy.deployment.address, max_span=6, sleep=_no_sleep)
    indexer = _SlowWrites(w3, store, busy.deployment, confirmations=0, source=source)
    indexer.sync()
    assert provider.dropped is not None
    assert indexer.rewinds == 1
    assert diff_stores(clean, store) == []


def _seq_before_the_third(busy: AnvilLedger) -> int:
    head, start = busy.w3.eth.block_number, busy.deployment.deploy_block
    third = start + (head - start) // 3
    return max(e.seq for e in chain_events(busy) if e.block_number <= third)


@pytest.mark.parametrize("span", [1, 6], ids=["every-answer-ends-at-it", "adaptive-span"])
def test_a_node_that_always_leaves_a_log_out_stops_the_indexer_loudly(
    busy: AnvilLedger, clean: sa.Engine, store: sa.Engine, span: int
) -> None:
    """No silent skip: after GAP_READS answers with the same hole the indexer raises, naming
    the blocks and the seq, and leaves a consistent store that does not claim the hole."""
    _index_a_third(busy, store)
    events = chain_events(busy)
    # The last event of a block with two or more, in the part not yet indexed: with one block
    # per answer it ends every answer it is in, so each hole is stored and then rewound.
    later = [e for e in events if e.seq > _seq_before_the_third(busy) + 2]
    missing = next(
        e
        for e, after in itertools.pairwise(later)
        if after.block_number > e.block_number
        and sum(x.block_number == e.block_number for x in later) >= 2
    )
    w3, provider = _faulty(busy, omit_seq=missing.seq)
    sleeps: list[float] = []
    indexer = _indexer(w3, busy, store, sleeps, max_span=span)
    with pytest.raises(IndexerError) as raised:
        indexer.sync()
    message = str(raised.value)
    assert f"left audit seq {missing.seq} out of its logs of blocks" in message
    assert f"in {GAP_READS} answers" in message
    low, high = (int(b) for b in message.split("of blocks ")[1].split(" ")[0].split(".."))
    assert low <= missing.block_number <= high
    assert provider.omitted == GAP_READS
    assert sleeps == [0.2, 0.4, 0.8]  # a pause before each read again, none after the last
    if span == 1:
        assert indexer.rewinds == GAP_READS

    # The store is consistent and stops short of the hole: its events run 1..seq unbroken.
    cp = checkpoint(store)
    assert cp["block_number"] < missing.block_number
    assert cp["audit_seq"] == max(e.seq for e in events if e.block_number <= cp["block_number"])
    assert [r["seq"] for r in rows(store, s.events)] == list(range(1, cp["audit_seq"] + 1))
    assert f"the store stays at block {cp['block_number']} (seq {cp['audit_seq']})" in message
    # As it stands, it verifies against the chain: the rewound checkpoint's block has its row.
    assert verify_store(busy.w3, busy.deployment, store)[1] == []

    Indexer(busy.w3, store, busy.deployment, confirmations=0).sync()  # an honest node again
    assert diff_stores(clean, store) == []


def test_a_rewind_past_the_kept_blocks_keeps_the_checkpoints_row(
    anvil_w3: Web3, anvil_nonces: NonceManager, store: sa.Engine
) -> None:
    """Rewound to a final block whose row the store no longer keeps, the store gets that
    block's row with its checkpoint, so it verifies as it stands (a crash right after the
    rewind leaves a store the auditor's check accepts)."""
    ledger = deploy_anvil_ledger(anvil_w3, anvil_nonces)
    settle(ledger, workload(ledger, random.Random(52), 3))
    mine(anvil_w3, 4)  # empty blocks: the rows kept are theirs, far above the last event's
    indexer = Indexer(anvil_w3, store, ledger.deployment, confirmations=0)
    cp = indexer.sync()
    last_event_block = max(e.block_number for e in chain_events(ledger))
    assert last_event_block < cp.block - 2
    rewound, first = indexer._rewind(indexer.checkpoint())
    assert (first, rewound.block_number) == (last_event_block, last_event_block - 1)
    assert [b["number"] for b in rows(store, s.blocks)] == [last_event_block - 1]
    assert verify_store(anvil_w3, ledger.deployment, store)[1] == []


# ------------------------------------------------------------ following: retryable or fatal


class _Refusing(HTTPProvider):
    """Answers ``eth_blockNumber`` with ``error`` the first ``times`` times it is asked."""

    def __init__(self, url: str, error: dict[str, Any], times: int) -> None:
        super().__init__(url)
        self.error = error
        self.times = times
        self.refused = 0

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if method == "eth_blockNumber" and self.refused < self.times:
            self.refused += 1
            return {"jsonrpc": "2.0", "id": 1, "error": self.error}  # type: ignore[typeddict-item]
        return super().make_request(method, params)


def _refusing(busy: AnvilLedger, error: dict[str, Any], times: int) -> tuple[Web3, _Refusing]:
    provider = _Refusing(busy.w3.provider.endpoint_uri, error, times)  # type: ignore[attr-defined]
    return Web3(provider), provider


def test_follow_rides_out_an_outage_longer_than_the_source_s_retries(
    busy: AnvilLedger, clean: sa.Engine, store: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Each sync gives up after one retry of the head; ``follow`` tries again with a growing
    pause while the node keeps failing, and the sync that succeeds clears the halt."""
    outage = {"code": -32603, "message": "upstream connect error"}
    w3, provider = _refusing(busy, outage, times=6)
    sleeps: list[float] = []
    indexer = _indexer(w3, busy, store, sleeps, retries=1)
    stop = threading.Event()
    with caplog.at_level("WARNING", logger="carbon_ledger.indexer"):
        indexer.follow(stop, poll_interval=0.01, on_sync=lambda _: stop.set(), backoff=0.01)
    assert provider.refused == 6
    assert sleeps == [0.2, 0.2, 0.2]  # one retry within each of the three syncs that failed
    tries = [r.getMessage() for r in caplog.records if "trying again" in r.getMessage()]
    assert len(tries) == 3 and all("upstream connect error" in m for m in tries)
    assert [m.rsplit(" in ", 1)[1] for m in tries] == ["0.01 s", "0.02 s", "0.04 s"]  # doubling
    with store.connect() as conn:
        assert halt.read(conn) is None
    assert diff_stores(clean, store) == []


def test_follow_stops_at_a_fatal_refusal_with_the_halt_recorded(
    busy: AnvilLedger, store: sa.Engine
) -> None:
    missing = {"code": -32601, "message": "the method eth_blockNumber does not exist"}
    w3, provider = _refusing(busy, missing, times=10**6)
    sleeps: list[float] = []
    indexer = _indexer(w3, busy, store, sleeps)
    with pytest.raises(NodeError, match="eth_blockNumber does not exist") as raised:
        indexer.follow(threading.Event(), poll_interval=0.01, backoff=0.01)
    assert not raised.value.retryable
    assert provider.refused == 1 and sleeps == []  # retried neither by the source nor by follow
    with store.connect() as conn:
        recorded = halt.read(conn)
    assert recorded is not None and recorded.error.startswith("NodeError: eth_blockNumber")
