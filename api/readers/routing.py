"""Which requests a read worker serves, and forwarding the others to the main process."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

READ_METHODS = frozenset({"GET", "HEAD"})
_READ_PATH = re.compile(
    r"/v1/(batches|serials|retirements|events|stats|accounts/[^/?]+/holdings)(/|\?|$)"
)
"""The JSON read routes and certificates: they need the store and nothing else. Pages show the
indexer's progress, ``/v1/audit/verify`` asks the node, ``/readyz`` and ``/metrics`` report
the main process, so those stay there."""

CLIENT_HEADER = "x-carbon-ledger-client"
"""The client address a forwarded request came from (trusted only over the private socket)."""

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host"}
)


def is_read(method: str, target: str) -> bool:
    """Whether a request (its method and request target) is one a read worker serves."""
    return method in READ_METHODS and _READ_PATH.match(target) is not None


def first_request(peeked: bytes) -> tuple[str, str] | None:
    """The method and target of the request line at the start of ``peeked``; ``None`` while
    the line is incomplete or not HTTP/1."""
    line, found, _ = peeked.partition(b"\r\n")
    if not found:
        return None
    parts = line.split(b" ")
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
        return None
    return parts[0].decode("latin-1"), parts[1].decode("latin-1")


class ReadsOnly:
    """A worker's ASGI app: reads go to ``reads``; anything else is forwarded, as it came, to
    the main process listening on the Unix socket ``primary``."""

    def __init__(self, reads: ASGIApp, primary: str) -> None:
        self.reads = reads
        self.primary = primary
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_read(scope["method"], _target(scope)):
            await self.reads(scope, receive, send)
            return
        await self._forward(scope, receive, send)

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._client is None:
            transport = httpx.AsyncHTTPTransport(uds=self.primary)
            self._client = httpx.AsyncClient(transport=transport, timeout=None)
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            if k.decode("latin-1").lower() not in _HOP_BY_HOP | {CLIENT_HEADER}
        ]
        client = scope.get("client")
        if client:
            headers.append((CLIENT_HEADER, f"{client[0]}:{client[1]}"))
        request = self._client.build_request(
            scope["method"],
            "http://primary" + _target(scope),
            headers=headers,
            content=_body(receive),
        )
        response = await self._client.send(request, stream=True)
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (k.encode("latin-1"), v.encode("latin-1"))
                        for k, v in response.headers.multi_items()
                        if k.lower() not in _HOP_BY_HOP
                    ],
                }
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


def _target(scope: Scope) -> str:
    path: str = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
    query: bytes = scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


class ForwardedClient:
    """The main process's outermost middleware: a request forwarded by a worker over the
    private socket (no client address of its own) gets the address the worker saw."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("client") is None:
            for key, value in scope["headers"]:
                if key == CLIENT_HEADER.encode():
                    host, _, port = value.decode("latin-1").rpartition(":")
                    scope = {**scope, "client": (host, int(port) if port.isdigit() else 0)}
                    break
        await self.app(scope, receive, send)
