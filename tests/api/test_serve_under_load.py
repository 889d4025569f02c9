"""Read your writes under load, through a real ``carbon-ledger serve`` (the indexer in its own
process, a read worker beside the main process) on anvil with 1-second blocks: hundreds of
clients at once each bridge, transfer and retire, and fetch every resource each 201 returns
right after it (the batch, the holdings of both parties with their exact figures, the
certificate as HTML and JSON, and the request's status). Every one reads at once: none 404s,
none is stale. The issue's done-when (issue 12)."""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.api import ADMIN, anvil, server

pytestmark = [pytest.mark.anvil, pytest.mark.slow]

CLIENTS = 200
HOLDERS = 10
ISSUED, MOVED, RETIRED = 100, 10, 5
FIRST_SERIAL = 50_000_000
PROJECT = {
    "name": "Bale Mountains Eco-region REDD+ project",
    "country": "ET",
    "methodology": "VM0015",
    "type": "AFOLU",
}


def _serial(n: int) -> str:
    first = FIRST_SERIAL + n * ISSUED
    last = first + ISSUED - 1
    return f"{30000 + n}-{first}-{last}-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"


async def _held(http: httpx.AsyncClient, address: str, batch_id: int) -> int:
    answer = await http.get(f"/v1/accounts/{address}/holdings", params={"limit": 1000})
    assert answer.status_code == 200, answer.text
    assert answer.json()["next_cursor"] is None
    return sum(i["held"] for i in answer.json()["items"] if i["batch_id"] == batch_id)


async def _read_at_once(http: httpx.AsyncClient, path: str, **headers: str) -> httpx.Response:
    answer = await http.get(path, headers=headers)
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    return answer


async def _journey(
    http: httpx.AsyncClient,
    n: int,
    issuer: dict[str, str],
    holders: list[tuple[dict[str, str], str]],
    seen: dict[str, list[float]],
) -> None:
    """Client ``n``: bridge to one holder, who transfers some to the next and retires some;
    after each 201, everything it returned is read at once."""
    (owner, address), (_, other) = holders[n % HOLDERS], holders[(n + 1) % HOLDERS]

    async def post(path: str, body: dict[str, Any], key: dict[str, str]) -> dict[str, Any]:
        started = time.monotonic()
        answer = await http.post(path, json=body, headers=key)
        seen.setdefault(path, []).append(time.monotonic() - started)
        assert answer.status_code == 201, (path, answer.status_code, answer.text[:300])
        data: dict[str, Any] = answer.json()
        return data

    async def confirmed(data: dict[str, Any], key: dict[str, str]) -> None:
        status = await _read_at_once(http, f"/v1/requests/{data['request_id']}", **key)
        assert status.json()["status"] == "confirmed"

    issued = await post(
        "/v1/issuances",
        {
            "program": "VCS",
            "serial": _serial(n),
            "recipient": address,
            "project": PROJECT,
            "vintage_start": "2020-01-01",
            "vintage_end": "2020-12-31",
        },
        issuer,
    )
    batch_id = issued["batch_id"]
    batch = await _read_at_once(http, f"/v1/batches/{batch_id}")
    assert batch.json()["quantity"] == ISSUED
    assert await _held(http, address, batch_id) == ISSUED
    await confirmed(issued, issuer)

    moved = await post(
        "/v1/transfers", {"batch_id": batch_id, "to": other, "quantity": MOVED}, owner
    )
    assert await _held(http, other, batch_id) == MOVED
    assert await _held(http, address, batch_id) == ISSUED - MOVED
    await confirmed(moved, owner)

    retired = await post(
        "/v1/retirements",
        {
            "batch_id": batch_id,
            "quantity": RETIRED,
            "beneficiary": f"Client {n}",
            "purpose": "voluntary",
        },
        owner,
    )
    await _read_at_once(http, f"/v1/retirements/{retired['id']}")
    html = await _read_at_once(http, retired["certificate_url"], Accept="text/html")
    assert f"Client {n}" in html.text
    certificate = await _read_at_once(http, retired["certificate_url"], Accept="application/json")
    assert certificate.json()["quantity"] == RETIRED
    assert await _held(http, address, batch_id) == ISSUED - MOVED - RETIRED
    await confirmed(retired, owner)


def test_every_resource_a_201_returns_reads_at_once_under_load(tmp_path: Path) -> None:
    started = time.monotonic()
    with anvil(tmp_path, 0) as rpc, server(tmp_path, rpc, None) as url:
        ready = time.monotonic() - started
        seen: dict[str, list[float]] = {}

        async def scenario() -> None:
            # A connection a request at a time: on a machine this loaded, uvicorn's 5-s
            # keep-alive timer can close an idle connection as the next request arrives on it
            # (the client then reads no answer), which is HTTP/1.1's race, not this test's.
            limits = httpx.Limits(max_connections=CLIENTS + 20, max_keepalive_connections=0)
            async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
                admin = {"Authorization": f"Bearer {ADMIN}"}

                async def key(body: dict[str, str]) -> tuple[dict[str, str], str]:
                    answer = await http.post("/v1/keys", json=body, headers=admin)
                    assert answer.status_code == 201, answer.text
                    data = answer.json()
                    return {"Authorization": f"Bearer {data['key']}"}, data["address"]

                issuer, _ = await key({"role": "issuer", "program": "VCS"})
                holders = await asyncio.gather(*(key({"role": "holder"}) for _ in range(HOLDERS)))
                await asyncio.gather(
                    *(_journey(http, n, issuer, list(holders), seen) for n in range(CLIENTS))
                )

        asyncio.run(scenario())
    writes = sum(len(v) for v in seen.values())
    assert writes == 3 * CLIENTS
    latencies = {
        path: f"p50 {statistics.median(times):.1f} s, max {max(times):.1f} s"
        for path, times in seen.items()
    }
    print(
        f"\n{writes} writes by {CLIENTS} clients, every returned resource read at once; "
        f"serve ready in {ready:.0f} s, test {time.monotonic() - started:.0f} s; 201s: {latencies}"
    )
