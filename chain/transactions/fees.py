"""The one fee policy: EIP-1559 caps from the node's latest base fee.

A chain without a base fee (pre-London, or a consortium chain such as Besu QBFT where gas is
free) has a base fee of 0: the cap is then the priority fee, or ``floor`` when one is set.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from web3 import Web3


@dataclass(frozen=True)
class FeePolicy:
    """EIP-1559 fee caps. Generous on purpose: under a rising base fee, transactions whose cap
    falls below it sit in the pool (anvil drops them silently). ``floor`` is the least cap
    whatever the base fee (a fixed cap for a chain pinned at a zero base fee)."""

    base_fee_multiplier: int = 4
    priority_fee: int = 0
    floor: int = 0

    def max_fee(self, base_fee: int) -> int:
        return max(base_fee * self.base_fee_multiplier + self.priority_fee, self.floor)

    def fees(self, w3: Web3) -> dict[str, int]:
        block = w3.eth.get_block("latest")
        base = int(block.get("baseFeePerGas", 0) or 0)
        return {"maxFeePerGas": self.max_fee(base), "maxPriorityFeePerGas": self.priority_fee}


class LatestBaseFee:
    """The latest block's base fee, read at most once per ``max_age`` seconds: a signer that
    signs hundreds of transactions a round needs it once, not once per transaction."""

    def __init__(self, read: Callable[[], int], max_age: float = 0.5) -> None:
        self._read = read
        self._max_age = max_age
        self._cached: tuple[float, int] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] > self._max_age:
                self._cached = (now, self._read())
            return self._cached[1]
