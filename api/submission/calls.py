"""The gas a submission's call needs; its calldata and results (``calldata``, ``result``) are
``chain.transactions.calldata``'s, with eth_abi and no web3 contract objects.

Gas: a bridging's cost does not depend on the ledger's state (the design keeps every operation
O(1): the first bridging costs what the thousandth does, bench/gas.py), only on its two strings,
so it is computed, not estimated: one ``eth_estimateGas`` round trip per issuance would cost the
node as much as executing it. Measured (tests/api/submission/test_pipeline.py checks the bound on
the extremes): 136,400 gas plus about 25 per byte of namespace and registry reference; a signed
bridging 17,000 more, and 17,000 more again for the signer's first nonce.
"""

from __future__ import annotations

from chain.transactions.calldata import calldata, result

BRIDGE_GAS = 160_000
SIGNED_BRIDGE_GAS = 200_000
GAS_PER_STRING_BYTE = 40
PROJECT_GAS = 185_000
"""registerProject (three modules down: ledger, governance, pools, pool rules) stores the
project's slot, for a new (country, type, methodology) class its tags and id, marks the
programme as having projects, and logs the project's strings (bounded by the API). A
programme's first project, of a new class, measured 166,169 on anvil for short strings and
166,105 on the embedded chain for the largest (tests/api/submission/test_pipeline.py)."""
GAS_PER_PROJECT_BYTE = 40
TRANSFER_ETH_GAS = 21_000
GAS_MARGIN = 1.3
"""Headroom over ``eth_estimateGas`` for state-dependent calls (transfers, retirements)."""

__all__ = ["calldata", "result"]  # the call sites read ``calls.calldata`` beside the gas


def bridge_gas(namespace: str, registry_reference: str, *, signed: bool = False) -> int:
    size = len(namespace.encode()) + len(registry_reference.encode())
    return (SIGNED_BRIDGE_GAS if signed else BRIDGE_GAS) + GAS_PER_STRING_BYTE * size


def project_gas(fields: tuple[str, ...]) -> int:
    return PROJECT_GAS + GAS_PER_PROJECT_BYTE * sum(len(f.encode()) for f in fields)


def with_margin(estimate: int) -> int:
    return int(estimate * GAS_MARGIN) + 10_000
