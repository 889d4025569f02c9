"""Reading the contract ABI's JSON: the canonical type string of a parameter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def abi_type(entry: Mapping[str, Any]) -> str:
    """The canonical type of an ABI parameter as selectors and eth_abi spell it: a struct
    becomes its components' types in parentheses (``(uint64,address)[]``)."""
    kind = str(entry["type"])
    if kind.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in entry["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind
