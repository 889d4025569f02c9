"""Latency of the two hot reads through the whole HTTP stack, on a store of a million ranges.

    python -m tests.api.reads.latency [--ranges N] [--postgres URL] [--json]

Fills a store with ``bench.indexer.build_lookup_store`` (ranges tiling batches of 2,000
namespaces, held by 10,000 accounts with a skewed distribution, a quarter of them mostly
retired), then times ``GET /v1/serials/VCS/{serial}?namespace=`` on random serials and
``GET /v1/accounts/{address}/holdings`` (first page of 100) for accounts drawn in proportion
to their ranges, over HTTP from one keep-alive client to uvicorn serving the app on
localhost (routing, validation, queries, serialisation, the middleware). Prints p50/p99 in
milliseconds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy.engine import Engine

from api.app import create_app
from api.deps import Services
from bench.indexer import RETIRED_ONLY, Synthetic, build_lookup_store
from chain.store.engine import open_store
from tests.api.reads.conftest import settings

WARMUP, SAMPLES = 200, 2000


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 3)

    return {"p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": round(ordered[-1] * 1000, 3)}


@contextlib.contextmanager
def serving(engine: Engine) -> Iterator[httpx.Client]:
    """uvicorn serving the app over ``engine`` on a free localhost port, in a thread."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(Services(settings(), engine)), port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        server.should_exit = True
        thread.join()


def measure(url: str, ranges: int, seed: int = 11) -> dict[str, Any]:
    engine = open_store(url)
    data = build_lookup_store(engine, ranges)
    with serving(engine) as client:
        result = _measure(client, data, seed)
    engine.dispose()
    return {"ranges": data.ranges, "backend": url.split(":", 1)[0], **result}


def _measure(client: httpx.Client, data: Synthetic, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    timings: dict[str, list[float]] = {"serial": [], "holdings": [], "holdings_retired_only": []}
    for i in range(WARMUP + SAMPLES):
        _batch, _program, namespace, first, last = rng.choice(data.batches)
        started = time.perf_counter()
        response = client.get(f"/v1/serials/VCS/{rng.randint(first, last)}?namespace={namespace}")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.text
        if i >= WARMUP:
            timings["serial"].append(elapsed)
    weights = [0 if i == RETIRED_ONLY else w for i, w in enumerate(data.weights)]
    for name, holders in (
        ("holdings", rng.choices(data.holders, weights=weights, k=WARMUP + SAMPLES)),
        ("holdings_retired_only", [data.holders[RETIRED_ONLY]] * (WARMUP + SAMPLES // 10)),
    ):
        for i, holder in enumerate(holders):
            started = time.perf_counter()
            response = client.get(f"/v1/accounts/{holder}/holdings?limit=100")
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text
            if i >= WARMUP:
                timings[name].append(elapsed)
    return {name: _percentiles(values) for name, values in timings.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ranges", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="an empty PostgreSQL database URL to fill")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.postgres or f"sqlite:///{Path(tmp) / 'latency.sqlite3'}"
        result = measure(url, args.ranges)
    if args.json:
        print(json.dumps(result))
    else:
        for name in ("serial", "holdings", "holdings_retired_only"):
            lat = result[name]
            print(
                f"{result['backend']:<10} {name:<22} p50 {lat['p50_ms']:7.3f} ms   "
                f"p99 {lat['p99_ms']:7.3f} ms   max {lat['max_ms']:7.3f} ms"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
