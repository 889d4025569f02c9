"""A contract function's calldata and results, with eth_abi and no web3 contract objects
(which cost milliseconds per call on the hot paths: the API's submission pipeline and the
benchmarks' raw rounds)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.crypto import keccak

from chain.abi import abi_type
from chain.artifacts import ledger_abi


@dataclass(frozen=True)
class Function:
    """One ABI function: its selector, input types and output types."""

    name: str
    selector: bytes
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    def calldata(self, *args: Any) -> bytes:
        return self.selector + encode(list(self.inputs), list(args))

    def result(self, data: bytes) -> tuple[Any, ...]:
        return tuple(decode(list(self.outputs), data))


def function_of(abi: Sequence[dict[str, Any]], name: str) -> Function:
    """The function ``name`` of ``abi`` (which must have exactly one of that name)."""
    matches = [e for e in abi if e.get("type") == "function" and e.get("name") == name]
    if len(matches) != 1:
        raise KeyError(f"the ABI has {len(matches)} functions named {name}")
    entry = matches[0]
    inputs = tuple(abi_type(i) for i in entry["inputs"])
    outputs = tuple(abi_type(o) for o in entry.get("outputs", []))
    selector = keccak(f"{name}({','.join(inputs)})".encode())[:4]
    return Function(name, selector, inputs, outputs)


@cache
def ledger_function(name: str) -> Function:
    """The ledger's function ``name`` (its merged ABI), computed once."""
    return function_of(ledger_abi(), name)


def calldata(name: str, *args: Any) -> bytes:
    """Calldata calling the ledger's ``name`` with ``args``."""
    return ledger_function(name).calldata(*args)


def result(name: str, data: bytes) -> tuple[Any, ...]:
    """The decoded return values of the ledger's ``name``."""
    return ledger_function(name).result(data)
