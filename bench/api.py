"""The bridge API under load: many clients bridging through a real ``carbon-ledger serve``.

    python bench/api.py [--clients N] [--seconds S] [--readers N] [--base-fee WEI]
                        [--postgres URL] [--json]

1. A throw-away anvil with 1-second blocks and the default 30M block gas limit (no state file:
   anvil's ``--state`` dump costs a core at this rate). Its base fee is 0, as on the
   permissioned (QBFT/IBFT) networks the ledger is meant for: with anvil's default 1 gwei,
   full blocks double the base fee every six seconds and the run measures fee economics, not
   the API (``--base-fee`` sets it).
2. ``carbon-ledger deploy`` and ``carbon-ledger serve --rpc`` in subprocesses (production
   mode: real secrets, the default keystore KDF), the indexer running beside the API.
3. An admin creates a VCS issuer key and holder keys; ``--clients`` concurrent clients (one
   asyncio process, aiohttp) then post custodial issuances of distinct Verra serials, all in
   Verra's registry-wide namespace (the hardest case for hints: every bridging's neighbour is
   another one in flight), each waiting for its 201 and posting the next.
4. Meanwhile ``--readers`` clients, in a process of their own, read a bridged serial
   (``GET /v1/serials/VCS/{serial}``) and a holder's holdings
   (``GET /v1/accounts/{address}/holdings``) in a loop.
5. Over the measured window (after a warm-up): issuances confirmed per second (the clients'
   201s, and the chain's ``BatchBridged`` events in the window's blocks), the share of each
   block's gas limit used, POST latencies, and p50/p99 of both reads.

Prints a table, or with ``--json`` one JSON object (progress goes to stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import httpx

from bench._anvil import throwaway_anvil
from bench.gas import dev_accounts
from chain.anvil import HOST, _check_port
from chain.connect import ANVIL_DEV_KEY
from chain.events import topic0

REPO = Path(__file__).resolve().parents[1]
GAS_LIMIT = 30_000_000
ADMIN = "bench-admin-key-" + "0" * 24
PASSWORD = "bench-keystore-password"
FIRST_SERIAL = 10_000_000
BLOCK_SIZE = 100  # tonnes per bridged block: the gas does not depend on it
BRIDGED = topic0("BatchBridged")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def serial(n: int) -> tuple[str, int, int]:
    """The n-th Verra block of the bench: (serial, first, last)."""
    first = FIRST_SERIAL + n * BLOCK_SIZE
    last = first + BLOCK_SIZE - 1
    text = f"{20000 + n}-{first}-{last}-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
    return text, first, last


@contextlib.contextmanager
def anvil(folder: Path, base_fee: int) -> Iterator[str]:
    with throwaway_anvil(
        folder,
        "--block-time", "1",
        "--gas-limit", str(GAS_LIMIT),
        "--base-fee", str(base_fee),
        "--prune-history", "100",
        "--no-request-size-limit",
    ) as url:  # fmt: skip
        yield url


@contextlib.contextmanager
def server(folder: Path, rpc: str, db: str | None) -> Iterator[str]:
    data = folder / "data"
    # A real node's ledger has separate compliance and pauser keys (deploy refuses one key);
    # the operator administers VCS, whose issuer keys the API creates.
    operator, compliance, pauser = (dev_accounts(10)[i] for i in (0, 8, 9))
    env = dict(
        os.environ,
        PYTHONPATH=str(REPO),
        CARBON_LEDGER_OPERATOR_KEY=ANVIL_DEV_KEY,
        CARBON_LEDGER_COMPLIANCE_KEY="0x" + bytes(compliance.key).hex(),
        CARBON_LEDGER_ADMIN_KEY=ADMIN,
        CARBON_LEDGER_KEYSTORE_PASSWORD=PASSWORD,
        CARBON_LEDGER_RATE_LIMIT_PER_MINUTE=str(10**8),
        CARBON_LEDGER_CONFIRM_TIMEOUT_S="60",
        CARBON_LEDGER_LOG_LEVEL=os.environ.get("CARBON_LEDGER_LOG_LEVEL", "INFO"),
    )
    cli = [sys.executable, "-m", "cli"]
    subprocess.run(
        [
            *cli, "deploy", "--rpc", rpc, "--data-dir", str(data),
            "--compliance", compliance.address, "--pauser", pauser.address,
            "--program-admin", f"VCS={operator.address}",
        ],
        cwd=REPO, env=env, check=True, stdout=sys.stderr,
    )  # fmt: skip
    port = _check_port(0)
    command = [*cli, "serve", "--rpc", rpc, "--data-dir", str(data), "--port", str(port)]
    if db:
        command += ["--db", db]
    with (folder / "serve.log").open("ab") as log:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError((folder / "serve.log").read_text()[-3000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not become ready")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class Load:
    """What the clients saw, stamped with wall-clock times."""

    posts: list[tuple[float, float, int]] = field(default_factory=list)
    """(finished at, latency s, status) per issuance."""
    reads: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: {"serial": [], "holdings": []}
    )
    bridged: list[tuple[str, float, int]] = field(default_factory=list)
    """(serial, confirmed at, batch id) per issuance."""
    failures: dict[str, int] = field(default_factory=dict)


async def run_load(url: str, args: argparse.Namespace) -> tuple[Load, float, float]:
    load = Load()
    admin = {"Authorization": f"Bearer {ADMIN}"}
    connector = aiohttp.TCPConnector(limit=args.clients + args.readers + 10)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as http:

        async def key(body: dict[str, Any]) -> tuple[dict[str, str], str]:
            async with http.post("/v1/keys", json=body, headers=admin) as r:
                data = await r.json()
                assert r.status == 201, data
                return {"Authorization": f"Bearer {data['key']}"}, data["address"]

        say("creating an issuer key and holder keys (custodial accounts, provisioned on chain)")
        issuer, _ = await key({"role": "issuer", "program": "VCS"})
        holders = [await key({"role": "holder"}) for _ in range(4)]
        counter = iter(range(10**9))
        settled = Settled(capacity=2_000 * int(args.warmup + args.seconds + 1))
        start_at = time.time() + args.warmup
        stop_at = start_at + args.seconds
        project = {
            "name": "Bale Mountains Eco-region REDD+ project",
            "country": "ET",
            "methodology": "VM0015",
            "type": "AFOLU",
        }

        async def bridger(i: int) -> None:
            recipient = holders[i % len(holders)][1]
            while time.time() < stop_at:
                n = next(counter)
                text, _, _ = serial(n)
                body = {
                    "program": "VCS",
                    "serial": text,
                    "recipient": recipient,
                    "project": project,
                    "vintage_start": "2020-01-01",
                    "vintage_end": "2020-12-31",
                }
                started = time.time()
                try:
                    async with http.post("/v1/issuances", json=body, headers=issuer) as r:
                        data = await r.json(content_type=None)
                        status = r.status
                except (aiohttp.ClientError, TimeoutError) as exc:
                    load.failures[type(exc).__name__] = load.failures.get(type(exc).__name__, 0) + 1
                    continue
                done = time.time()
                load.posts.append((done, done - started, status))
                if status == 201:
                    load.bridged.append((text, done, int(data["batch_id"])))
                    settled.append(n, done)
                else:
                    kind = str(data.get("type", status)).rsplit("/", 1)[-1]
                    load.failures[kind] = load.failures.get(kind, 0) + 1

        say(
            f"{args.clients} clients bridging, {args.readers} reading, for {args.warmup + args.seconds:g} s"
        )
        spawn = multiprocessing.get_context("spawn")
        answers = spawn.SimpleQueue()
        readers = spawn.Process(
            target=read_load,
            args=(url, [h[1] for h in holders], args.readers, args.read_pause, stop_at),
            kwargs={"settled": settled, "answers": answers},
            name="bench-readers",
        )
        readers.start()
        try:
            await asyncio.gather(*(bridger(i) for i in range(args.clients)))
            reads, failures = await asyncio.to_thread(answers.get)
        finally:
            readers.join(30)
            if readers.is_alive():
                readers.kill()
        load.reads = reads
        for kind, count in failures.items():
            load.failures[kind] = load.failures.get(kind, 0) + count
    return load, start_at, stop_at


class Settled:
    """The bridgings confirmed so far, shared with the reader process: (serial number n,
    confirmed at) in confirmation order. One writer (the bridgers' event loop) appends; the
    count is written last, so a reader never sees an entry before it is complete."""

    def __init__(self, capacity: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.numbers = ctx.Array("q", capacity, lock=False)
        self.times = ctx.Array("d", capacity, lock=False)
        self.count = ctx.Value("q", 0, lock=False)
        self.capacity = capacity

    def append(self, n: int, at: float) -> None:
        i = self.count.value
        if i < self.capacity:
            self.numbers[i], self.times[i] = n, at
            self.count.value = i + 1


def read_load(
    url: str,
    holders: list[str],
    readers: int,
    pause: float,
    stop_at: float,
    *,
    settled: Settled,
    answers: Any,
) -> None:
    """The readers, in a process of their own: sharing the bridgers' event loop, each read's
    time would include the wait for 400 clients' callbacks, not only the server's answer."""
    reads: dict[str, list[tuple[float, float]]] = {"serial": [], "holdings": []}
    failures: dict[str, int] = {}

    async def reader(http: aiohttp.ClientSession, i: int) -> None:
        holder, known = holders[i % len(holders)], 0
        while time.time() < stop_at:
            # A serial bridged a few blocks ago: the indexer beside the API has it.
            count, ripe = settled.count.value, time.time() - 3
            while known < count and settled.times[known] < ripe:
                known += 1
            if not known:
                await asyncio.sleep(0.1)
                continue
            text = serial(settled.numbers[(i * 7919 + known) % known])[0]
            for name, path in (
                ("serial", f"/v1/serials/VCS/{text}"),
                ("holdings", f"/v1/accounts/{holder}/holdings"),
            ):
                started = time.time()
                async with http.get(path) as r:
                    await r.read()
                    ok = r.status == 200
                if ok:
                    reads[name].append((time.time(), time.time() - started))
                else:
                    failures[f"GET {name} {r.status}"] = (
                        failures.get(f"GET {name} {r.status}", 0) + 1
                    )
            await asyncio.sleep(pause)

    async def main() -> None:
        connector = aiohttp.TCPConnector(limit=readers + 2)
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as http:
            await asyncio.gather(*(reader(http, i) for i in range(readers)))

    try:
        asyncio.run(main())
    finally:
        answers.put((reads, failures))


def chain_figures(rpc: str, start_at: float, stop_at: float) -> dict[str, Any]:
    """Blocks whose timestamps fall in the window: gas used and bridgings."""
    blocks: list[dict[str, Any]] = []
    with httpx.Client(timeout=60) as client:

        def call(method: str, params: list[Any]) -> Any:
            reply = client.post(
                rpc, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
            )
            return reply.json()["result"]

        head = int(call("eth_blockNumber", []), 16)
        number = head
        while number > 0:
            block = call("eth_getBlockByNumber", [hex(number), False])
            stamp = int(block["timestamp"], 16)
            if stamp < start_at:
                break
            if stamp < stop_at:
                logs = call(
                    "eth_getLogs",
                    [{"fromBlock": hex(number), "toBlock": hex(number), "topics": [hex_topic()]}],
                )
                blocks.append(
                    {
                        "number": number,
                        "gas_used": int(block["gasUsed"], 16),
                        "gas_limit": int(block["gasLimit"], 16),
                        "transactions": len(block["transactions"]),
                        "bridged": len(logs),
                    }
                )
            number -= 1
    blocks.reverse()
    used = sum(b["gas_used"] for b in blocks)
    limit = sum(b["gas_limit"] for b in blocks)
    span = len(blocks) or 1
    return {
        "blocks": len(blocks),
        "gas_share": used / limit if limit else 0.0,
        "gas_share_min": min((b["gas_used"] / b["gas_limit"] for b in blocks), default=0.0),
        "chain_bridged_per_s": sum(b["bridged"] for b in blocks) / span,
        "transactions_per_block": statistics.mean(b["transactions"] for b in blocks)
        if blocks
        else 0,
        "gas_per_bridging": used / max(1, sum(b["bridged"] for b in blocks)),
        "per_block": [round(b["gas_used"] / b["gas_limit"], 3) for b in blocks],
    }


def hex_topic() -> str:
    return "0x" + BRIDGED.hex()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarise(
    load: Load, start_at: float, stop_at: float, chain: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    window = [(t, lat, status) for t, lat, status in load.posts if start_at <= t < stop_at]
    confirmed = [lat for _, lat, status in window if status == 201]
    reads = {
        name: [lat * 1000 for t, lat in values if start_at <= t < stop_at]
        for name, values in load.reads.items()
    }
    return {
        "clients": args.clients,
        "readers": args.readers,
        "seconds": args.seconds,
        "block_time_s": 1,
        "block_gas_limit": GAS_LIMIT,
        "base_fee_wei": args.base_fee,
        "store": "postgresql" if args.postgres else "sqlite",
        "issuances_confirmed_per_s": len(confirmed) / args.seconds,
        "chain_bridged_per_s": chain["chain_bridged_per_s"],
        "block_gas_share": chain["gas_share"],
        "block_gas_share_min": chain["gas_share_min"],
        "blocks": chain["blocks"],
        "transactions_per_block": chain["transactions_per_block"],
        "gas_per_bridging": chain["gas_per_bridging"],
        "block_gas_shares": chain["per_block"],
        "post_p50_ms": percentile(confirmed, 0.5) * 1000,
        "post_p99_ms": percentile(confirmed, 0.99) * 1000,
        "serial_lookups": len(reads["serial"]),
        "serial_p50_ms": percentile(reads["serial"], 0.5),
        "serial_p99_ms": percentile(reads["serial"], 0.99),
        "holdings_reads": len(reads["holdings"]),
        "holdings_p50_ms": percentile(reads["holdings"], 0.5),
        "holdings_p99_ms": percentile(reads["holdings"], 0.99),
        "failures": load.failures,
        "posts_not_201_in_window": sum(1 for _, _, status in window if status != 201),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=400, help="concurrent bridging clients")
    parser.add_argument("--readers", type=int, default=8, help="concurrent reading clients")
    parser.add_argument(
        "--read-pause", type=float, default=0.05, help="seconds between a reader's pairs"
    )
    parser.add_argument("--seconds", type=float, default=30, help="the measured window")
    parser.add_argument("--warmup", type=float, default=10, help="seconds before the window")
    parser.add_argument("--base-fee", type=int, default=0, help="anvil's genesis base fee (wei)")
    parser.add_argument(
        "--postgres", help="store URL (PostgreSQL) instead of the data folder's SQLite"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it (logs, store)")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        if args.keep:
            folder = args.keep
            folder.mkdir(parents=True, exist_ok=True)
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-api-")))
        with anvil(folder, args.base_fee) as rpc, server(folder, rpc, args.postgres) as url:
            say(f"anvil {rpc}, API {url}")
            load, start_at, stop_at = asyncio.run(run_load(url, args))
            time.sleep(1.5)  # the window's last block
            chain = chain_figures(rpc, start_at, stop_at)
        result = summarise(load, start_at, stop_at, chain, args)
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            shown = f"{value:,.3f}" if isinstance(value, float) else str(value)
            print(f"{name:28} {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
