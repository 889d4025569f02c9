"""The pages and certificates read the store through the read API's query layer
(``api.reads.queries``), the functions and records the JSON routes serve: no page module
builds SQL or names the store's tables."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_pages_and_certificates_read_through_the_query_layer() -> None:
    """No page or certificate module touches the store's tables or SQL itself: they call
    ``api.reads.queries``, as the JSON routes do."""
    for package in ("api/pages", "api/certificates"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            imported = {
                alias.name
                for node in ast.walk(tree)
                if isinstance(node, ast.Import)
                for alias in node.names
            } | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
            assert not {m for m in imported if m.startswith(("sqlalchemy", "chain.store"))} - {
                "sqlalchemy.engine"
            }, path
            reads = {m for m in imported if m.startswith("api.reads")}
            # The query layer, and the base of the read models (the certificate extends one).
            assert reads <= {"api.reads", "api.reads.queries", "api.reads._common"}, (path, reads)
