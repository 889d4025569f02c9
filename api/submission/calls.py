"""The ledger's functions as calldata and results, with eth_abi and no web3 contract objects
(which cost milliseconds per call on the hot path), and the gas a bridging needs.

Gas: a bridging's cost does not depend on the ledger's state (the design keeps every operation
O(1): the first bridging costs what the thousandth does, bench/gas.py), only on its two strings,
so it is computed, not estimated: one ``eth_estimateGas`` round trip per issuance would cost the
node as much as executing it. Measured (tests/api/submission/test_calls.py checks the bound on
the extremes): 136,400 gas plus about 25 per byte of namespace and registry reference; a signed
bridging 17,000 more, and 17,000 more again for the signer's first nonce.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.crypto import keccak

from chain.abi import abi_type
from chain.artifacts import ledger_abi

BRIDGE_GAS = 160_000
SIGNED_BRIDGE_GAS = 200_000
GAS_PER_STRING_BYTE = 40
PROJECT_GAS = 120_000
"""registerProject stores one slot and logs the project's strings (bounded by the API)."""
GAS_PER_PROJECT_BYTE = 40
TRANSFER_ETH_GAS = 21_000
GAS_MARGIN = 1.3
"""Headroom over ``eth_estimateGas`` for state-dependent calls (transfers, retirements)."""


@cache
def _function(name: str) -> tuple[bytes, tuple[str, ...], tuple[str, ...]]:
    """(selector, input types, output types) of the ledger function ``name``."""
    matches = [e for e in ledger_abi() if e.get("type") == "function" and e.get("name") == name]
    if len(matches) != 1:
        raise KeyError(f"the ledger has {len(matches)} functions named {name}")
    entry = matches[0]
    inputs = tuple(abi_type(i) for i in entry["inputs"])
    outputs = tuple(abi_type(o) for o in entry.get("outputs", []))
    selector = keccak(f"{name}({','.join(inputs)})".encode())[:4]
    return selector, inputs, outputs


def calldata(name: str, *args: Any) -> bytes:
    selector, inputs, _ = _function(name)
    return selector + encode(list(inputs), list(args))


def result(name: str, data: bytes) -> tuple[Any, ...]:
    _, _, outputs = _function(name)
    return tuple(decode(list(outputs), data))


def bridge_gas(namespace: str, registry_reference: str, *, signed: bool = False) -> int:
    size = len(namespace.encode()) + len(registry_reference.encode())
    return (SIGNED_BRIDGE_GAS if signed else BRIDGE_GAS) + GAS_PER_STRING_BYTE * size


def project_gas(fields: tuple[str, ...]) -> int:
    return PROJECT_GAS + GAS_PER_PROJECT_BYTE * sum(len(f.encode()) for f in fields)


def with_margin(estimate: int) -> int:
    return int(estimate * GAS_MARGIN) + 10_000
