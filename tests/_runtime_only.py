"""Processes that see only the runtime dependencies: what ``make demo`` installs.

The test environment has the dev extras (pytest, hypothesis, playwright, ...) installed beside
the runtime ones, so a command that imports one of them passes every test and fails for a
user (``serve`` did, on httpx). ``runtime_only_env`` hides them from a Python process and from
every Python process it starts (``serve``'s spawned indexer and read workers too): a
``sitecustomize`` on PYTHONPATH puts an import hook first on ``sys.meta_path`` that refuses
each top-level module whose installed distributions are all outside the closure of
``[project] dependencies`` (extras and markers followed), plus what ``python -m venv`` seeds.

Why not a fresh venv from a wheel: it would install the same closure from the registry, a
minute or more per run on this machine, to learn only which modules import; the hook answers
exactly that, for the real commands on a real chain, in the time the commands take.
"""

from __future__ import annotations

import functools
import importlib.metadata as metadata
import os
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
SEEDED_BY_VENV = frozenset({"pip", "setuptools"})  # Python 3.11's venv installs both

_HOOK = '''"""Written by tests/_runtime_only.py: hides the packages a runtime install lacks."""
import sys
from importlib.abc import MetaPathFinder

DEV_ONLY = frozenset({blocked!r})


class _RuntimeOnly(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in DEV_ONLY:
            raise ModuleNotFoundError(
                f"No module named {{name!r}} (not installed by make demo)", name=name
            )
        return None


sys.meta_path.insert(0, _RuntimeOnly())
'''


def runtime_distributions(pyproject: Path = REPO / "pyproject.toml") -> frozenset[str]:
    """The distributions a runtime install has: ``[project] dependencies`` and theirs, with
    the extras they ask for (``psycopg[binary]``), and markers evaluated here."""
    project = tomllib.loads(pyproject.read_text())["project"]
    todo = [Requirement(line) for line in project["dependencies"]]
    done: set[tuple[str, str]] = set()
    names = {canonicalize_name(project["name"]), *SEEDED_BY_VENV}
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        extras = {"", *req.extras} - {e for n, e in done if n == name}
        if not extras:
            continue
        done.update((name, extra) for extra in extras)
        names.add(name)
        for line in metadata.distribution(name).requires or []:
            dep = Requirement(line)
            if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in extras):
                todo.append(dep)
    return frozenset(names)


@functools.cache
def dev_only_modules() -> frozenset[str]:
    """Top-level modules installed here that only distributions outside the runtime closure
    provide (never a standard-library name)."""
    runtime = runtime_distributions()
    return frozenset(
        module
        for module, dists in metadata.packages_distributions().items()
        if module not in sys.stdlib_module_names
        and module.isidentifier()
        and not any(canonicalize_name(d) in runtime for d in dists)
    )


def runtime_only_env(folder: Path, **extra: str) -> dict[str, str]:
    """The environment for a process that imports this checkout with only the runtime
    dependencies visible; ``folder`` receives the ``sitecustomize``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(_HOOK.format(blocked=sorted(dev_only_modules())))
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(folder), str(REPO)]), **extra)
