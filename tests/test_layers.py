"""The layers point one way: ``cli/`` above ``api/`` above ``chain/`` (docs/ARCHITECTURE.md,
"Layers"). No module of ``chain/`` imports ``api/`` or ``cli/``, and no module of ``api/``
imports ``cli/``: every import counts, the ones inside functions and under ``TYPE_CHECKING``
too, since a lazy import is as much a dependency as one at the top of the file."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("chain", "api", "cli")
"""From the bottom up: a package may import only the ones listed before it."""


def imported_packages(source: str, module: str) -> Iterator[tuple[str, int]]:
    """The top-level package of every import in ``source`` (the text of ``module``, dotted),
    relative imports resolved, with its line."""
    package = module.split(".")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.partition(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                yield (node.module or "").partition(".")[0], node.lineno
            else:  # from . import x, from ..y import z: relative to the module's package
                yield package[: len(package) - node.level][0], node.lineno


def _modules(layer: str) -> Iterator[tuple[Path, str]]:
    for path in sorted((REPO / layer).rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        yield path, ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_walk_sees_lazy_relative_and_type_checking_imports() -> None:
    source = """
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from api.deps import Services
def handler():
    import cli.main
    from .. import tables
"""
    found = list(imported_packages(source, "chain.store.thing"))
    assert found == [("typing", 2), ("api", 4), ("cli", 6), ("chain", 7)]


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_the_layers_below_it(layer: str) -> None:
    above = set(LAYERS[LAYERS.index(layer) + 1 :])
    modules = list(_modules(layer))
    assert len(modules) > 5, layer  # the package is there, not an empty walk
    upward = [
        f"{path.relative_to(REPO)}:{line} imports {name}"
        for path, module in modules
        for name, line in imported_packages(path.read_text(), module)
        if name in above
    ]
    assert upward == []
