"""A new user's first steps: after ``make demo`` (Python and the runtime dependencies only),
every command runs from that same install, and the ones that need the local chain say in one
line what to run when anvil is missing (``npm ci``), instead of a traceback.

The dev extras are hidden from these processes by ``tests._runtime_only`` (an import hook
installed by a ``sitecustomize``), so a command importing pytest or httpx fails here as it
would for the user."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.anvil import stop_node
from tests._runtime_only import REPO, dev_only_modules, runtime_only_env
from tests.conftest import Ledger

VERRA = REPO / "chain" / "importer" / "data" / "verra-transactions.csv"


def _run(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _run(env, "-m", "cli", *args)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return runtime_only_env(tmp_path / "runtime-only")


def test_the_dev_packages_are_hidden_and_the_runtime_ones_are_not(env: dict[str, str]) -> None:
    probe = """
import importlib, json, sys
found = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
        found[name] = True
    except ModuleNotFoundError:
        found[name] = False
print(json.dumps(found))
"""
    names = ["pytest", "hypothesis", "playwright", "schemathesis", "mypy"]
    names += ["httpx", "uvicorn", "web3", "weasyprint", "psycopg", "alembic", "packaging"]
    out = _run(env, "-c", probe, *names)
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert [n for n in names if found[n]] == names[5:]


def test_every_module_imports_with_only_the_runtime_dependencies(env: dict[str, str]) -> None:
    walk = """
import importlib, pkgutil, chain, api, cli
names = []
for package in (chain, api, cli):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
        names.append(info.name)
print(len(names))
"""
    out = _run(env, "-c", walk)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) > 100  # every module of the three packages, not an empty walk


def _runtime_imports(source: Path) -> Iterator[tuple[str, int]]:
    """Top-level names of the absolute imports in ``source`` that run (not the ones under
    ``if TYPE_CHECKING:``), with their lines: the imports inside functions too, which importing
    the module does not execute."""

    def visit(node: ast.AST) -> Iterator[tuple[str, int]]:
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            for child in node.orelse:
                yield from visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.partition(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.partition(".")[0], node.lineno
        for child in ast.iter_child_nodes(node):
            yield from visit(child)

    yield from visit(ast.parse(source.read_text(), str(source)))


def test_no_code_path_imports_a_dev_only_package() -> None:
    dev_only = dev_only_modules()
    assert {"pytest", "hypothesis"} <= dev_only and "httpx" not in dev_only
    sources = sorted(
        p for package in ("chain", "api", "cli") for p in (REPO / package).rglob("*.py")
    )
    assert len(sources) > 100
    found = [
        f"{source.relative_to(REPO)}:{line} imports {name}"
        for source in sources
        for name, line in _runtime_imports(source)
        if name in dev_only
    ]
    assert found == []


@pytest.mark.anvil
def test_deploy_import_index_and_audit_verify_run_with_only_the_runtime_dependencies(
    env: dict[str, str], tmp_path: Path
) -> None:
    """The README's commands after ``make demo`` (and ``npm ci``), on the folder's local chain,
    which the first one starts."""
    data = tmp_path / "data"
    env.pop("CARBON_LEDGER_OPERATOR_KEY", None)
    try:
        steps = [
            ("deploy",),
            ("import", "--registry", "vcs", "--issuances", str(VERRA), "--json"),
            ("index", "--confirmations", "0"),
            ("audit", "verify", "--json"),
            ("export", "cadt", "--out", str(tmp_path / "cadt")),
        ]
        outs = []
        for step in steps:
            out = _cli(env, *step, "--data-dir", str(data))
            assert out.returncode == 0, (step, out.stdout, out.stderr)
            outs.append(out.stdout)
        imported = json.loads(outs[1])
        assert imported["rows"]["bridged"] == 100 and imported["rows"]["rejected"] == 0
        assert "indexed to block" in outs[2]
        report = json.loads(outs[3])
        # Every row is a block of its own: the retired ones are bridged, then retired.
        assert report["ok"] and report["batches"] == 200
        assert f"{tmp_path / 'cadt' / 'unit.csv'}: " in outs[4]
    finally:
        stop_node(data)


_NEEDS_A_DEPLOYMENT = [
    ("index",),
    ("import", "--registry", "vcs", "--issuances", str(VERRA)),
    ("audit", "verify"),
]


@pytest.mark.parametrize(
    "command",
    [
        ("deploy",),
        ("serve", "--dev", "--port", "9"),
        ("chain", "--port", "0"),
        *_NEEDS_A_DEPLOYMENT,
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_a_command_without_anvil_says_in_one_line_what_to_run_and_exits_2(
    command: tuple[str, ...], env: dict[str, str], tmp_path: Path, ledger: Ledger
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    if command in _NEEDS_A_DEPLOYMENT:  # else it would first say: deploy first
        ledger.deployment.save(data / "deployment.json")
    missing = tmp_path / "no-anvil-here"
    env["CARBON_LEDGER_ANVIL"] = str(missing)
    out = _cli(env, *command, "--data-dir", str(data))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line]
    assert len(lines) == 1, out.stderr
    error = lines[0]
    assert error.startswith(f"carbon-ledger: error: CARBON_LEDGER_ANVIL={missing} "), error
    assert f"`npm ci` in {REPO} " in error and "@foundry-rs/anvil-linux-amd64" in error
    # ``chain`` runs the local node itself: it has no --rpc to offer.
    assert ("or pass --rpc URL" in error) == (command[0] != "chain"), error
    assert not (data / "chain" / "node.json").exists()
