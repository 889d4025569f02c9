"""Compile ``contracts/*.sol`` with solc-js into deterministic JSON artifacts.

The compiler is the npm package ``solc`` (pinned in package.json), driven through the
``scripts/solc`` shim so py-solc-x can treat it like a native binary; no compiler is downloaded.

Usage::

    python -m chain.compile           # (re)write chain/artifacts/<Contract>.json
    python -m chain.compile --check   # exit 1 if the checked-in artifacts are stale
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from chain.errors import CompileError

log = logging.getLogger(__name__)

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
CONTRACTS_DIR: Final = REPO_ROOT / "contracts"
ARTIFACTS_DIR: Final = Path(__file__).resolve().parent / "artifacts"
NODE_MODULES: Final = REPO_ROOT / "node_modules"
SOLC_SHIM: Final = REPO_ROOT / "scripts" / "solc"

# --- Compiler settings: the single place to tune them. Changing any of these changes the
# bytecode, so re-run `python -m chain.compile` and commit the artifacts afterwards.
SOLC_VERSION: Final = "0.8.37"
"""Must equal the solc-js version installed from package.json (checked on every compile)."""
EVM_VERSION: Final = "cancun"
"""Target EVM fork; must not be newer than what the permissioned chain runs."""
OPTIMIZER: Final[dict[str, Any]] = {"enabled": True, "runs": 200}
"""solc optimizer settings (``runs`` trades deploy cost against call cost)."""
VIA_IR: Final = False
"""Compile through the Yul IR pipeline (slower compile, sometimes smaller code)."""

OUTPUT_SELECTION: Final = (
    "abi",
    "evm.bytecode.object",
    "evm.deployedBytecode.object",
    "evm.deployedBytecode.immutableReferences",
    "metadata",
    "storageLayout",
    "evm.methodIdentifiers",
)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def source_hash(sources: Mapping[str, str]) -> str:
    """sha256 over the sorted ``path<TAB>sha256<LF>`` lines of ``sources``."""
    lines = "".join(f"{path}\t{digest}\n" for path, digest in sorted(sources.items()))
    return _sha256(lines.encode())


def render_artifact(artifact: Mapping[str, Any]) -> str:
    """Deterministic JSON text (sorted keys, indent=1, trailing newline)."""
    return json.dumps(artifact, sort_keys=True, indent=1) + "\n"


def _import_solcx() -> Any:
    # py-solc-x would otherwise default its install folder to ~/.solcx; keep it in an
    # ignored folder inside the repo. Imported lazily so `import chain` never needs Node.
    os.environ.setdefault("SOLCX_BINARY_PATH", str(NODE_MODULES / ".solcx"))
    import solcx

    return solcx


@lru_cache(maxsize=4)  # each --version costs a Node start (~0.4 s)
def solc_long_version(solc_binary: Path = SOLC_SHIM) -> str:
    """``0.8.37+commit.<hash>`` as reported by ``solc_binary``; fails if not SOLC_VERSION."""
    long_version: str = _import_solcx().wrapper.get_version_str_from_solc_binary(solc_binary)
    if long_version.split("+")[0] != SOLC_VERSION:
        raise CompileError(
            f"{solc_binary} is solc {long_version} but chain.compile pins SOLC_VERSION="
            f"{SOLC_VERSION}; align package.json and SOLC_VERSION"
        )
    return long_version


def _read_source(name: str, roots: Sequence[Path]) -> bytes | None:
    # Mirrors the shim's lookup (base path first, then include paths).
    for root in roots:
        path = root / name
        if path.is_file():
            return path.read_bytes()
    return None


def _format_error(err: Mapping[str, Any], roots: Sequence[Path]) -> str:
    where = "<no location>"
    if loc := err.get("sourceLocation"):
        # Offsets are byte offsets into the UTF-8 source.
        content = _read_source(loc["file"], roots) or b""
        line = content[: max(loc.get("start", 0), 0)].count(b"\n") + 1
        where = f"{loc['file']}:{line}"
    return f"{where}: {err.get('type', 'Error')}: {err['message']}"


def compile_contracts(
    contracts_dir: Path = CONTRACTS_DIR, *, solc_binary: Path = SOLC_SHIM
) -> dict[str, dict[str, Any]]:
    """Compile every ``contracts_dir/*.sol``; return ``{contract name: artifact dict}``.

    Source unit names are ``<contracts_dir name>/<file>`` relative to ``contracts_dir.parent``
    (the base path); ``@openzeppelin/...`` imports resolve via the repo's node_modules.
    """
    files = sorted(contracts_dir.glob("*.sol"))
    if not files:
        raise CompileError(f"no .sol files in {contracts_dir}")
    base = contracts_dir.resolve().parent
    roots = (base, NODE_MODULES)
    # Decode bytes ourselves: read_text() would turn CRLF into LF and break the keccak check.
    ours = {f"{contracts_dir.name}/{f.name}": f.read_bytes().decode() for f in files}
    std_input = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in ours.items()},
        "settings": {
            "evmVersion": EVM_VERSION,
            "optimizer": dict(OPTIMIZER),
            "viaIR": VIA_IR,
            # Only our files: skips generating bytecode for every OpenZeppelin contract.
            "outputSelection": {name: {"*": list(OUTPUT_SELECTION)} for name in ours},
        },
    }
    long_version = solc_long_version(solc_binary)
    solcx = _import_solcx()
    # solcx.compile_standard() has no include_path parameter (py-solc-x 2.0.5) and raises
    # on errors without line numbers, so call its wrapper directly; kwargs become flags.
    stdout, _, _, _ = solcx.wrapper.solc_wrapper(
        solc_binary=solc_binary,
        stdin=json.dumps(std_input),
        standard_json=True,
        base_path=base,
        include_path=NODE_MODULES,
        allow_paths=[base, NODE_MODULES],
    )
    output: dict[str, Any] = json.loads(stdout)

    errors = [e for e in output.get("errors", []) if e["severity"] == "error"]
    if errors:
        raise CompileError("\n".join(_format_error(e, roots) for e in errors))
    for warning in output.get("errors", []):
        log.warning("%s", _format_error(warning, roots))

    artifacts: dict[str, dict[str, Any]] = {}
    for unit in ours:
        for name, out in output["contracts"].get(unit, {}).items():
            if name in artifacts:
                raise CompileError(f"{unit}: contract name {name} is defined twice")
            artifacts[name] = _artifact(name, out, long_version, roots)
    return artifacts


def _artifact(
    name: str, out: Mapping[str, Any], long_version: str, roots: Sequence[Path]
) -> dict[str, Any]:
    from eth_utils.crypto import keccak  # web3 dependency; lazy like solcx

    bytecode, deployed = out["evm"]["bytecode"]["object"], out["evm"]["deployedBytecode"]["object"]
    if "__$" in bytecode:
        raise CompileError(f"{name}: needs external library linking, which is not supported")
    sources: dict[str, str] = {}
    # The metadata lists exactly this contract's source closure (ours + OpenZeppelin).
    for path, meta in json.loads(out["metadata"])["sources"].items():
        content = _read_source(path, roots)
        # Guard against a file changing between compile and hashing.
        if content is None or "0x" + keccak(content).hex() != meta["keccak256"]:
            raise CompileError(f"{path}: changed on disk during compilation; re-run")
        sources[path] = _sha256(content)
    return {
        "contractName": name,
        "abi": out["abi"],
        "bytecode": "0x" + bytecode,
        "deployedBytecode": "0x" + deployed,
        # Where the constructor writes immutables into the runtime code (masked when comparing
        # deployed code with the artifact).
        "immutableReferences": out["evm"]["deployedBytecode"].get("immutableReferences", {}),
        "metadata": out["metadata"],
        "storageLayout": out["storageLayout"],
        "methodIdentifiers": out["evm"]["methodIdentifiers"],
        "compiler": {
            "version": long_version,
            "evmVersion": EVM_VERSION,
            "optimizer": dict(OPTIMIZER),
            "viaIR": VIA_IR,
        },
        "sources": sources,
        "sourceHash": source_hash(sources),
    }


def write_artifacts(
    artifacts: Mapping[str, Mapping[str, Any]], artifacts_dir: Path = ARTIFACTS_DIR
) -> list[Path]:
    """Write ``<name>.json`` per artifact and delete stale ones; return the written paths."""
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    for stale in artifacts_dir.glob("*.json"):
        if stale.stem not in artifacts:
            stale.unlink()
    written = []
    for name, artifact in sorted(artifacts.items()):
        path = artifacts_dir / f"{name}.json"
        path.write_text(render_artifact(artifact), encoding="utf-8")
        written.append(path)
    return written


def diff_artifacts(
    artifacts: Mapping[str, Mapping[str, Any]], artifacts_dir: Path = ARTIFACTS_DIR
) -> list[str]:
    """Human-readable differences between ``artifacts`` and the files in ``artifacts_dir``."""
    problems = []
    on_disk = {p.stem: p for p in artifacts_dir.glob("*.json")}
    for name in sorted(on_disk.keys() - artifacts.keys()):
        problems.append(f"{name}.json: stale, no such contract in the sources")
    for name, artifact in sorted(artifacts.items()):
        if name not in on_disk:
            problems.append(f"{name}.json: missing")
            continue
        text = on_disk[name].read_text(encoding="utf-8")
        if text == render_artifact(artifact):
            continue
        try:
            old = json.loads(text)
        except json.JSONDecodeError:
            problems.append(f"{name}.json: not valid JSON")
            continue
        fields = sorted(k for k in old.keys() | artifact.keys() if old.get(k) != artifact.get(k))
        problems.append(f"{name}.json: {', '.join(fields) or 'formatting'} differ(s)")
    return problems


def check_artifacts(
    contracts_dir: Path = CONTRACTS_DIR,
    artifacts_dir: Path = ARTIFACTS_DIR,
    *,
    solc_binary: Path = SOLC_SHIM,
) -> list[str]:
    """Recompile in memory; return the differences to the checked-in artifacts (empty if OK)."""
    return diff_artifacts(compile_contracts(contracts_dir, solc_binary=solc_binary), artifacts_dir)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chain.compile", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if artifacts are stale")
    parser.add_argument("--contracts-dir", type=Path, default=CONTRACTS_DIR)
    parser.add_argument("--artifacts-dir", type=Path, default=ARTIFACTS_DIR)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        if args.check:
            problems = check_artifacts(args.contracts_dir, args.artifacts_dir)
            for problem in problems:
                print(f"{args.artifacts_dir}/{problem}", file=sys.stderr)
            if problems:
                print("artifacts are stale: run `python -m chain.compile`", file=sys.stderr)
            return 1 if problems else 0
        for path in write_artifacts(compile_contracts(args.contracts_dir), args.artifacts_dir):
            print(f"wrote {path}")
    except CompileError as exc:
        print(f"compile failed:\n{exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
