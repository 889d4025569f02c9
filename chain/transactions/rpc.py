"""Raw JSON-RPC through a web3 provider, with batches: for the calls where web3's result
formatters would cost more than the work (the API's node access, the benchmarks' rounds), and
for what web3 has no method for (one request carrying many raw transactions).

The provider keeps the connection (HTTP: a keep-alive session per thread), so a ``JsonRpc``
may be shared by threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from web3 import HTTPProvider, IPCProvider, Web3
from web3.types import RPCEndpoint

from chain.errors import NodeError, node_error


class JsonRpc:
    """Requests and batches over one provider (HTTP or IPC); results as the node sent them."""

    def __init__(self, provider: HTTPProvider | IPCProvider) -> None:
        self.provider = provider

    @classmethod
    def of(cls, w3: Web3) -> JsonRpc | None:
        """The client for ``w3``'s provider; ``None`` for one that takes no raw JSON-RPC
        (the in-process eth-tester chain)."""
        provider = w3.provider
        return cls(provider) if isinstance(provider, HTTPProvider | IPCProvider) else None

    def request(self, method: str, params: Sequence[Any] = ()) -> Any:
        response = self.provider.make_request(RPCEndpoint(method), list(params))
        error = response.get("error")
        if error is not None:
            raise node_error(method, error)
        return response.get("result")

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Every call in one round trip; each answer is its result or its ``NodeError``."""
        if not calls:
            return []
        replies = self.provider.make_batch_request([(RPCEndpoint(m), list(p)) for m, p in calls])
        if not isinstance(replies, list):  # the whole batch was refused
            refusal: Any = replies.get("error") or {"message": "batch refused"}
            return [node_error(calls[0][0], refusal)] * len(calls)
        out: list[Any] = []
        for (method, _), reply in zip(calls, replies, strict=True):
            error = reply.get("error")
            out.append(node_error(method, error) if error is not None else reply.get("result"))
        return out

    def traced_output(self, tx_hash: str) -> bytes | None:
        """A mined transaction's return data (a revert's payload) from the node's call tracer;
        ``None`` when there is none or the node has no debug API."""
        try:
            trace = self.request("debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}])
        except Exception:  # an error reply, or a node that refuses the namespace over HTTP
            return None
        output = trace.get("output") if isinstance(trace, dict) else None
        if isinstance(output, str) and output.startswith("0x") and len(output) > 2:
            return bytes.fromhex(output[2:])
        return None

    def batch_results(self, method: str, params: Sequence[Sequence[Any]]) -> list[Any]:
        """``method`` over many parameter lists in one batch; raises the first refusal."""
        answers = self.batch([(method, p) for p in params])
        for i, answer in enumerate(answers):
            if isinstance(answer, NodeError):
                raise NodeError(f"#{i} {answer.message}", answer.data)
        return answers
