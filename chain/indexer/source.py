"""Reading the chain for the indexer: block headers and logs over raw JSON-RPC.

Raw ``make_request`` calls skip web3.py's result formatters, which cost more than decoding.
``LogSource.logs`` adapts its block span: it halves the span when the node refuses a range
(too many results, range too large, timeout) and retries the same blocks, never skipping one,
and doubles it while responses stay small. Every call that fails with the span already at its
smallest (or with no span to shrink: the head, a header, a block's logs by hash) is retried
``retries`` times with a growing pause when the failure may pass (``NodeError.retryable``: no
answer, a timeout, a rate limit), then the error is raised; a refusal that will not pass (an
unknown method, invalid parameters) is raised at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_utils.abi import function_signature_to_4byte_selector
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider
from web3.types import RPCEndpoint, TxParams

from chain.errors import MissingBlock, NodeError, no_answer, node_error
from chain.events import hex_string, quantity

_AUDIT_SEQ = "0x" + function_signature_to_4byte_selector("auditSeq()").hex()


@dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


class LogSource:
    """Headers and logs of one contract from one node."""

    def __init__(
        self,
        w3: Web3,
        address: str,
        *,
        min_span: int = 1,
        max_span: int = 10_000,
        target_logs: int = 5_000,
        retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.w3 = w3
        self.address = address.lower()
        self.span = min(1_000, max_span)
        self.min_span = min_span
        self.max_span = max_span
        self.target_logs = target_logs
        self.retries = retries
        self._sleep = sleep
        self._raw = not isinstance(w3.provider, EthereumTesterProvider)

    def _request(self, method: str, params: list[Any]) -> Any:
        try:
            if self._raw:
                response = self.w3.provider.make_request(RPCEndpoint(method), params)
            else:
                # The in-process provider takes no raw JSON-RPC: go through web3's formatters.
                return self._formatted(method, params)
        except Exception as exc:
            raise no_answer(method, exc) from exc
        if "error" in response:
            raise node_error(method, response["error"])
        return response.get("result")

    def _formatted(self, method: str, params: list[Any]) -> Any:
        eth = self.w3.eth
        if method == "eth_blockNumber":
            return eth.block_number
        if method == "eth_getBlockByNumber":
            return dict(eth.get_block(int(params[0], 16)))
        if method == "eth_getLogs":
            query = dict(params[0])
            if "blockHash" in query:  # eth-tester filters by number only (and never reorgs)
                number = eth.get_block(query.pop("blockHash"))["number"]
                query["fromBlock"] = query["toBlock"] = hex(number)
            for key in ("fromBlock", "toBlock"):
                if key in query:
                    query[key] = int(query[key], 16)
            query["address"] = Web3.to_checksum_address(query["address"])
            return [dict(log) for log in eth.get_logs(query)]  # type: ignore[arg-type]
        if method == "eth_call":
            call: TxParams = {
                "to": Web3.to_checksum_address(params[0]["to"]),
                "data": params[0]["data"],
            }
            return "0x" + bytes(eth.call(call, int(params[1], 16))).hex()
        raise NodeError(f"{method} is not supported on this provider")

    def pause(self, attempt: int) -> None:
        """Wait before retry ``attempt`` (1, 2, …): 0.2 s, 0.4 s, 0.8 s, … at most 2 s."""
        self._sleep(min(2.0, 0.1 * 2**attempt))

    def _retried(self, method: str, params: list[Any]) -> Any:
        """``_request``, retried while the node fails in a way that may pass (a transient
        outage, a reset connection, a rate limit: ``NodeError.retryable``)."""
        attempt = 0
        while True:
            try:
                return self._request(method, params)
            except NodeError as exc:
                attempt += 1
                if not exc.retryable or attempt > self.retries:
                    raise
                self.pause(attempt)

    def head(self) -> int:
        return quantity(self._retried("eth_blockNumber", []))

    def header(self, number: int) -> BlockHeader:
        block = self._retried("eth_getBlockByNumber", [hex(number), False])
        if block is None:
            raise MissingBlock(f"the node has no block {number}")
        return BlockHeader(
            number=quantity(block["number"]),
            hash=hex_string(block["hash"]),
            parent_hash=hex_string(block["parentHash"]),
            timestamp=quantity(block["timestamp"]),
        )

    def audit_seq(self, number: int) -> int:
        """The contract's ``auditSeq()`` as of block ``number`` (the node needs its state)."""
        return quantity(
            self._retried("eth_call", [{"to": self.address, "data": _AUDIT_SEQ}, hex(number)])
        )

    def logs_in_block(self, block_hash: str) -> list[dict[str, Any]]:
        """Logs of one block, by hash: consistent with that header even during a reorg."""
        return list(
            self._retried("eth_getLogs", [{"address": self.address, "blockHash": block_hash}])
        )

    def logs(self, from_block: int, to_block: int) -> tuple[list[dict[str, Any]], int]:
        """Logs from ``from_block`` to at most ``to_block``; returns them and the last block
        covered (the span adapts, so it may stop short of ``to_block``)."""
        attempt = 0
        while True:
            end = min(to_block, from_block + self.span - 1)
            try:
                found = self._request(
                    "eth_getLogs",
                    [{"address": self.address, "fromBlock": hex(from_block), "toBlock": hex(end)}],
                )
            except NodeError as exc:
                # Nodes refuse a range too wide in many words and codes: any refusal shrinks it.
                if self.span > self.min_span:
                    self.span = max(self.min_span, self.span // 2)  # retry the same blocks, smaller
                    continue
                # Already at the smallest span: the node itself is failing; back off, then give up.
                attempt += 1
                if not exc.retryable or attempt > self.retries:
                    raise
                self.pause(attempt)
                continue
            logs = list(found)
            if len(logs) < self.target_logs // 2 and self.span < self.max_span:
                self.span = min(self.max_span, self.span * 2)
            elif len(logs) > self.target_logs * 2 and self.span > self.min_span:
                self.span = max(self.min_span, self.span // 2)
            return logs, end
