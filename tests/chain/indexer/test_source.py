"""Reading logs through an unreliable provider: range limits, random failures, outages, and a
node that silently omits a log.

``FaultyProvider`` wraps anvil's HTTP provider and misbehaves on ``eth_getLogs`` only, the way
public RPC endpoints do: refusing spans over K blocks, refusing results over N logs ("query
returned more than 10000 results"), failing at random (error replies and dropped
connections), or dropping one log from an answer.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from web3 import HTTPProvider, Web3
from web3.types import RPCEndpoint, RPCResponse

from chain.indexer.core import Indexer
from chain.indexer.source import LogSource, ProviderError
from chain.indexer.writer import IndexerError
from chain.store.diff import diff_stores
from chain.store.engine import open_store
from chain.transactions import NonceManager
from chain.verify import verify
from tests.chain.indexer.support import (
    AnvilLedger,
    chain_events,
    checkpoint,
    deploy_anvil_ledger,
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
        drop: str | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(url)
        self.max_span = max_span
        self.max_results = max_results
        self.fail_rate = fail_rate
        self.fail_first = fail_first
        self.drop = drop  # "first" | "middle" | "last": drop that log of one answer
        self.rng = random.Random(seed)
        self.served: list[tuple[int, int]] = []
        self.requested: list[tuple[int, int]] = []
        self.refused = 0
        self.dropped: dict[str, Any] | None = None
        self.dropped_from: tuple[int, int] | None = None

    def _refuse(self, message: str) -> RPCResponse:
        self.refused += 1
        return {"jsonrpc": "2.0", "id": 1, "error": {"code": -32005, "message": message}}

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if method != "eth_getLogs" or "fromBlock" not in params[0]:
            return super().make_request(method, params)
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
            response = {**response, "result": logs[:index] + logs[index + 1 :]}
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
    with pytest.raises(ProviderError, match=r"eth_getLogs.*upstream connect error"):
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


def _drop_case(busy: AnvilLedger, store: sa.Engine, where: str) -> tuple[FaultyProvider, Any]:
    """Index a third of the chain honestly, then continue through a node that drops one log
    (``where`` in its answer) and return what the sync raised."""
    head = busy.w3.eth.block_number
    start = busy.deployment.deploy_block
    Indexer(busy.w3, store, busy.deployment, confirmations=0).sync(
        until=start + (head - start) // 3
    )
    w3, provider = _faulty(busy, drop=where)
    with pytest.raises(IndexerError) as raised:
        _indexer(w3, busy, store, max_span=6).sync()
    assert provider.dropped is not None
    return provider, raised.value


@pytest.mark.parametrize("where", ["first", "middle"])
def test_a_node_that_omits_a_log_is_caught_and_the_store_keeps_its_checkpoint(
    busy: AnvilLedger, clean: sa.Engine, store: sa.Engine, where: str
) -> None:
    head = busy.w3.eth.block_number
    start = busy.deployment.deploy_block
    Indexer(busy.w3, store, busy.deployment, confirmations=0).sync(
        until=start + (head - start) // 3
    )
    before = snapshot_store(store)
    w3, provider = _faulty(busy, drop=where)
    with pytest.raises(IndexerError) as raised:
        _indexer(w3, busy, store, max_span=6).sync()
    assert provider.dropped is not None
    missing = int(provider.dropped["topics"][1], 16)
    message = str(raised.value)
    assert f"audit sequence gap at block {int(provider.dropped['blockNumber'], 16)}" in message
    assert f"expected seq {missing}, got {missing + 1}" in message
    # The range with the hole was never committed: the store is where the good ranges before
    # it left it (or untouched, if it was the first).
    assert provider.dropped_from is not None
    cp = checkpoint(store)
    kept = provider.dropped_from[0] - 1
    seq = max(e.seq for e in chain_events(busy) if e.block_number <= kept)
    assert (cp["block_number"], cp["audit_seq"]) == (kept, seq)
    if provider.served[0] == provider.dropped_from:
        assert snapshot_store(store) == before

    Indexer(busy.w3, store, busy.deployment, confirmations=0).sync()  # an honest node again
    assert diff_stores(clean, store) == []


@pytest.mark.xfail(
    strict=True,
    reason="BUG: chain/indexer/core.py Indexer.sync/_commit: a log missing at the END of an "
    "eth_getLogs answer leaves no seq gap inside that range, so the range and its checkpoint "
    "are committed past the hole; the next range then fails with a gap 'at block' of the next "
    "event (not where the log is missing) and, the checkpoint being past the hole, every later "
    "run fails the same way even with an honest node: the store needs rebuilding",
)
def test_a_node_that_omits_the_last_log_of_a_range_does_not_wedge_the_store(
    busy: AnvilLedger, clean: sa.Engine, store: sa.Engine
) -> None:
    provider, error = _drop_case(busy, store, "last")
    block = int(provider.dropped["blockNumber"], 16)
    # The store must not claim the block whose log it lacks.
    assert checkpoint(store)["block_number"] < block, f"committed past block {block}: {error}"
    Indexer(busy.w3, store, busy.deployment, confirmations=0).sync()  # an honest node again
    assert diff_stores(clean, store) == []
