"""chain.transactions.fees: caps from the latest base fee, zero-gas chains, the cached base fee."""

from __future__ import annotations

from typing import Any, cast

import pytest
from web3 import Web3

from chain.transactions.fees import FeePolicy, LatestBaseFee
from tests.conftest import Ledger


def test_fee_policy_caps_follow_the_latest_base_fee(ledger: Ledger) -> None:
    w3 = ledger.chain.w3
    base = int(w3.eth.get_block("latest")["baseFeePerGas"])
    assert base > 0
    assert FeePolicy().fees(w3) == {"maxFeePerGas": 4 * base, "maxPriorityFeePerGas": 0}
    assert FeePolicy(base_fee_multiplier=2, priority_fee=7).fees(w3) == {
        "maxFeePerGas": 2 * base + 7,
        "maxPriorityFeePerGas": 7,
    }


def test_fee_policy_without_a_base_fee() -> None:
    class _Eth:
        def get_block(self, _: str) -> dict[str, Any]:
            return {"number": 1}  # a pre-London block

    class _W3:
        eth = _Eth()

    fees = FeePolicy(priority_fee=5).fees(cast(Web3, _W3()))
    assert fees == {"maxFeePerGas": 5, "maxPriorityFeePerGas": 5}


class _ZeroBaseFeeEth:
    """A consortium chain where gas is free (Besu QBFT): every block has a base fee of 0."""

    def get_block(self, _: str) -> dict[str, Any]:
        return {"number": 7, "baseFeePerGas": 0}


class _ZeroBaseFeeW3:
    eth = _ZeroBaseFeeEth()


def test_fee_policy_on_a_zero_base_fee_chain() -> None:
    w3 = cast(Web3, _ZeroBaseFeeW3())
    assert FeePolicy().fees(w3) == {"maxFeePerGas": 0, "maxPriorityFeePerGas": 0}
    # A floor is the cap while the base fee stays below it (the benchmarks' pinned anvil).
    assert FeePolicy(floor=10**9).fees(w3) == {"maxFeePerGas": 10**9, "maxPriorityFeePerGas": 0}


@pytest.mark.parametrize(
    ("policy", "base", "cap"),
    [
        (FeePolicy(), 0, 0),
        (FeePolicy(), 7, 28),
        (FeePolicy(base_fee_multiplier=2, priority_fee=3), 10, 23),
        (FeePolicy(floor=100), 10, 100),
        (FeePolicy(floor=100), 30, 120),
    ],
)
def test_max_fee(policy: FeePolicy, base: int, cap: int) -> None:
    assert policy.max_fee(base) == cap


def test_latest_base_fee_reads_at_most_once_per_max_age() -> None:
    reads: list[int] = []

    def read() -> int:
        reads.append(1)
        return 5 * len(reads)

    cached = LatestBaseFee(read, max_age=60.0)
    assert [cached(), cached(), cached()] == [5, 5, 5]
    assert len(reads) == 1
    fresh = LatestBaseFee(read, max_age=0.0)
    assert fresh() == 10 and fresh() == 15  # older than no time at all: read again
