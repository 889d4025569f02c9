"""Which requests a read worker serves, the request line the dispatcher peeks at, and the
client address of a request a worker forwards."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from api.readers.routing import CLIENT_HEADER, ForwardedClient, first_request, is_read


@pytest.mark.parametrize(
    "target",
    [
        "/v1/batches",
        "/v1/batches?program=VCS&limit=5",
        "/v1/batches/12",
        "/v1/batches/12/ranges",
        "/v1/serials/VCS/14143-557385005-557385021-VCS-VCU-262-VER-KH-14-1748-01012018-31122018-1",
        "/v1/accounts/0xabc/holdings",
        "/v1/accounts/0xabc/holdings?limit=10",
        "/v1/retirements",
        "/v1/retirements/7",
        "/v1/retirements/7/certificate?format=pdf",
        "/v1/events?after=10",
        "/v1/stats",
    ],
)
def test_the_store_reads_go_to_a_worker(target: str) -> None:
    assert is_read("GET", target)
    assert is_read("HEAD", target)
    assert not is_read("POST", target)


@pytest.mark.parametrize(
    "target",
    [
        "/",  # pages show the indexer's progress, which the main process holds
        "/batches/1",
        "/readyz",
        "/healthz",
        "/metrics",
        "/v1/keys",
        "/v1/requests/abc",
        "/v1/audit/verify",  # asks the node
        "/v1/batchesX",
        "/v1/accounts/0xabc",
        "/v1/accounts/0xabc/holdingsX",
        "/openapi.json",
    ],
)
def test_everything_else_stays_in_the_main_process(target: str) -> None:
    assert not is_read("GET", target)


def test_the_first_request_line_is_read_from_what_was_peeked() -> None:
    assert first_request(b"GET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n") == ("GET", "/v1/stats")
    assert first_request(b"POST /v1/issuances HTTP/1.0\r\n") == ("POST", "/v1/issuances")
    assert first_request(b"GET /v1/sta") is None  # the rest is on its way
    assert first_request(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") is None  # not HTTP/1
    assert first_request(b"\x16\x03\x01\x02\x00\r\n") is None  # TLS
    assert first_request(b"GET /a b HTTP/1.1\r\n") is None


def _echo_client() -> FastAPI:
    app = FastAPI()

    @app.get("/client")
    def client(request: Request) -> list[object]:
        return [request.client.host, request.client.port] if request.client else []

    return app


def test_a_forwarded_request_gets_the_address_the_worker_saw() -> None:
    # Over the private Unix socket a request has no client address of its own.
    app = ForwardedClient(_echo_client())

    async def over_unix_socket(scope, receive, send):  # type: ignore[no-untyped-def]
        await app({**scope, "client": None}, receive, send)

    client = TestClient(over_unix_socket)
    assert client.get("/client", headers={CLIENT_HEADER: "203.0.113.9:5123"}).json() == [
        "203.0.113.9",
        5123,
    ]
    assert client.get("/client").json() == []


def test_the_header_is_ignored_on_a_connection_with_an_address() -> None:
    client = TestClient(ForwardedClient(_echo_client()))
    answer = client.get("/client", headers={CLIENT_HEADER: "203.0.113.9:5123"}).json()
    assert answer == ["testclient", 50000]
