"""Load compiled contract artifacts at runtime (no Node, no compiler).

Artifacts are produced by ``python -m chain.compile`` and shipped as package data, so they
are read through importlib.resources and work from an installed wheel too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

from chain.errors import CarbonLedgerError


class ArtifactNotFound(CarbonLedgerError):
    """No compiled artifact of that name is shipped with the package."""


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    """Creation bytecode, 0x-hex."""
    deployed_bytecode: str
    """Runtime bytecode, 0x-hex (compare with eth_getCode)."""
    immutable_ranges: tuple[tuple[int, int], ...]
    """(start, length) byte ranges of the runtime code that the constructor fills in."""
    metadata: str
    """solc metadata JSON string (as used for source verification)."""
    source_hash: str
    """sha256 over the sorted (path, sha256) pairs of every compiled source."""
    artifact_hash: str
    """"0x" + sha256 of the artifact file bytes; identifies exactly what was deployed."""


@lru_cache(maxsize=32)
def load_artifact(name: str = "CarbonLedger") -> Artifact:
    """Load ``chain/artifacts/<name>.json`` (cached; ``load_artifact.cache_clear()`` resets)."""
    resource = files("chain") / "artifacts" / f"{name}.json"
    # Contract names are identifiers; this also stops path tricks like "../x".
    if not name.isidentifier() or not resource.is_file():
        raise ArtifactNotFound(
            f"no compiled artifact for contract {name!r} (chain/artifacts/{name}.json); "
            "run `python -m chain.compile`"
        )
    raw = resource.read_bytes()
    data = json.loads(raw)
    return Artifact(
        name=data["contractName"],
        abi=data["abi"],
        bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"],
        immutable_ranges=tuple(
            sorted(
                (int(ref["start"]), int(ref["length"]))
                for refs in data.get("immutableReferences", {}).values()
                for ref in refs
            )
        ),
        metadata=data["metadata"],
        source_hash=data["sourceHash"],
        artifact_hash="0x" + hashlib.sha256(raw).hexdigest(),
    )


LEDGER_MODULES: tuple[str, ...] = ("LedgerGovernance", "LedgerPools", "LedgerPoolRules")
"""Contracts whose functions the ledger runs by delegation, in the order of the chain of
fallbacks: CarbonLedger -> LedgerGovernance -> LedgerPools -> LedgerPoolRules."""


@lru_cache(maxsize=1)
def ledger_abi() -> list[dict[str, Any]]:
    """The ABI of the ledger's address: CarbonLedger's own entries plus every function of its
    modules (called at the ledger's address, they run there), each signature once."""
    abi = list(load_artifact("CarbonLedger").abi)
    seen = {_signature(entry) for entry in abi}
    for module in LEDGER_MODULES:
        for entry in load_artifact(module).abi:
            if entry.get("type") == "function" and _signature(entry) not in seen:
                seen.add(_signature(entry))
                abi.append(entry)
    return abi


def _signature(entry: dict[str, Any]) -> tuple[str, str, str]:
    return (str(entry.get("type")), str(entry.get("name", "")), json.dumps(entry.get("inputs")))


def runtime_code_matches(artifact: Artifact, code: bytes) -> bool:
    """Whether on-chain runtime ``code`` is ``artifact``'s, ignoring the immutables."""
    expected = bytearray.fromhex(artifact.deployed_bytecode.removeprefix("0x"))
    if len(code) != len(expected):
        return False
    actual = bytearray(code)
    for start, length in artifact.immutable_ranges:
        actual[start : start + length] = expected[start : start + length]
    return actual == expected
