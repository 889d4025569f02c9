"""Gas shape: the cost of an operation does not grow with the quantity it moves nor with the
number of earlier bridgings (SPEC §1: O(1) storage and gas per operation)."""

from __future__ import annotations

from chain.domain import RetirementRequest
from tests.conftest import Ledger
from tests.contracts._helpers import (
    PARTS_HEAD,
    VCS_NS,
    bridge,
    invariants,  # noqa: F401  (autouse fixture)
    issuance,
    key_of,
    parts,
    retire,
    transfer,
)


def _within(a: int, b: int, tolerance: float) -> bool:
    return abs(a - b) <= tolerance * min(a, b)


def test_bridging_1_t_costs_the_same_as_10_million_t(ledger: Ledger) -> None:
    # Both above a part of an earlier batch (whose quantity gives that part's end: one read;
    # right above the list's head sentinel that read is skipped, about 2,100 gas less).
    bridge(ledger, issuance(ledger, 1, 1, namespace="NS"))
    one = bridge(ledger, issuance(ledger, 2, 2, namespace="NS")).gas_used
    ten_million = bridge(ledger, issuance(ledger, 3, 10_000_002, namespace="NS")).gas_used
    assert _within(one, ten_million, 0.01), (one, ten_million)


def test_transferring_and_retiring_cost_the_same_for_any_quantity(ledger: Ledger) -> None:
    bridge(ledger, issuance(ledger, 1, 10_000_000))
    bridge(ledger, issuance(ledger, 20_000_001, 20_000_010))
    # Same shape of split (from the start of a range) for a small and a large quantity.
    small = transfer(ledger, ledger.alice, 2, 20_000_001, 20_000_002, ledger.bob, start=20_000_001)
    large = transfer(ledger, ledger.alice, 1, 1, 5_000_000, ledger.bob, start=1)
    assert _within(small.gas_used, large.gas_used, 0.01), (small.gas_used, large.gas_used)
    # Retire the start of bob's range in both batches: 1 t and 4,000,000 t.
    small_r = retire(
        ledger, ledger.bob, RetirementRequest(2, 20_000_001, 20_000_001, "A"), 20_000_001
    )
    large_r = retire(ledger, ledger.bob, RetirementRequest(1, 1, 4_000_000, "A"), 1)
    assert _within(small_r.gas_used, large_r.gas_used, 0.01), (small_r.gas_used, large_r.gas_used)


def test_the_100th_bridging_into_a_namespace_costs_the_same_as_the_1st(ledger: Ledger) -> None:
    gas = []
    hint = PARTS_HEAD
    for n in range(100):
        first = 1_000_000 + n * 1000
        gas.append(bridge(ledger, issuance(ledger, first, first + 499), hint=hint).gas_used)
        hint = key_of(ledger.vcs, VCS_NS, first)
    first_ever, second, hundredth = gas[0], gas[1], gas[99]
    assert _within(hundredth, second, 0.02), (second, hundredth)
    assert _within(hundredth, first_ever, 0.02), (first_ever, hundredth)
    assert max(gas[1:]) - min(gas[1:]) <= 0.02 * min(gas[1:])
    # Bridging into a gap deep inside that history costs the same too.
    into_gap = issuance(ledger, 1_000_500, 1_000_999)
    gap = bridge(ledger, into_gap, hint=key_of(ledger.vcs, VCS_NS, 1_000_000)).gas_used
    assert _within(gap, hundredth, 0.02), (gap, hundredth)
    assert len(parts(ledger)) == 1 + 101
