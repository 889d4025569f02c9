"""Tests for the solc-js shim (scripts/solc), chain.compile and chain.artifacts."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from chain import compile as cc
from chain.artifacts import ArtifactNotFound, load_artifact
from chain.errors import CarbonLedgerError, CompileError

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="needs node for solc-js")

DEMO = """// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

contract Demo is AccessControl {
    uint256 public value;

    constructor() {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
    }

    function set(uint256 v) external onlyRole(DEFAULT_ADMIN_ROLE) {
        value = v;
    }
}
"""


def _contracts(root: Path, **files: str) -> Path:
    contracts = root / "contracts"
    contracts.mkdir(parents=True)
    for name, text in files.items():
        (contracts / f"{name}.sol").write_text(text, encoding="utf-8")
    return contracts


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Any]]]:
    contracts = _contracts(tmp_path_factory.mktemp("demo"), Demo=DEMO)
    return contracts, cc.compile_contracts(contracts)


@needs_node
def test_shim_version() -> None:
    out = subprocess.run(
        [cc.SOLC_SHIM, "--version"], capture_output=True, text=True, check=True, cwd="/"
    ).stdout
    lines = out.splitlines()
    assert lines[0] == "solc, the solidity compiler commandline interface"
    assert lines[1].startswith(f"Version: {cc.SOLC_VERSION}+commit.")
    assert len(lines) == 2


@needs_node
def test_shim_rejects_unknown_flag() -> None:
    proc = subprocess.run([cc.SOLC_SHIM, "--bogus"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "unrecognised option '--bogus'"


@needs_node
def test_compile_with_openzeppelin_import(demo: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    _, artifacts = demo
    art = artifacts["Demo"]
    assert {f["name"] for f in art["abi"] if f["type"] == "function"} >= {"set", "grantRole"}
    assert art["bytecode"].startswith("0x60") and len(art["bytecode"]) > 100
    assert art["deployedBytecode"].startswith("0x") and len(art["deployedBytecode"]) > 100
    assert "set(uint256)" in art["methodIdentifiers"]
    assert json.loads(art["metadata"])["settings"]["evmVersion"] == cc.EVM_VERSION
    assert "contracts/Demo.sol" in art["sources"]
    assert "@openzeppelin/contracts/access/AccessControl.sol" in art["sources"]
    assert art["sourceHash"] == cc.source_hash(art["sources"])
    assert art["compiler"]["version"].startswith(cc.SOLC_VERSION + "+commit.")


@needs_node
def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    bad = "pragma solidity ^0.8.0;\n\ncontract Bad {\n    uint256 x\n}\n"
    with pytest.raises(CompileError, match=r"contracts/Bad\.sol:5: ParserError"):
        cc.compile_contracts(_contracts(tmp_path, Bad=bad))


@needs_node
def test_import_escaping_roots_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.sol").write_text("pragma solidity ^0.8.0;\ncontract S {}\n")
    # A direct (non-relative) import is not normalised by solc, so the `..` reaches the shim.
    esc = 'pragma solidity ^0.8.0;\nimport "contracts/../../secret.sol";\ncontract E {}\n'
    with pytest.raises(CompileError, match=r"Esc\.sol:2: .*outside the allowed roots"):
        cc.compile_contracts(_contracts(tmp_path / "proj", Esc=esc))


@needs_node
def test_check_detects_changed_artifact(
    tmp_path: Path,
    demo: tuple[Path, dict[str, dict[str, Any]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    contracts, artifacts = demo
    out = tmp_path / "artifacts"
    [path] = cc.write_artifacts(artifacts, out)
    assert cc.check_artifacts(contracts, out) == []  # recompiling is byte-identical

    changed = json.loads(path.read_text())
    changed["bytecode"] += "00"
    path.write_text(cc.render_artifact(changed))
    argv = ["--check", "--contracts-dir", str(contracts), "--artifacts-dir", str(out)]
    assert cc.main(argv) == 1
    assert "Demo.json: bytecode differ" in capsys.readouterr().err

    path.unlink()
    assert cc.diff_artifacts(artifacts, out) == ["Demo.json: missing"]


def test_missing_artifact_is_a_clear_error() -> None:
    with pytest.raises(ArtifactNotFound, match=r"python -m chain\.compile") as exc:
        load_artifact("NoSuchContract")
    assert isinstance(exc.value, CarbonLedgerError)


@needs_node
@pytest.mark.skipif(
    not any(cc.CONTRACTS_DIR.glob("*.sol")), reason="contracts/ has no .sol file yet"
)
def test_checked_in_artifacts_are_current() -> None:
    assert cc.check_artifacts() == [], "run `python -m chain.compile` and commit the artifacts"
