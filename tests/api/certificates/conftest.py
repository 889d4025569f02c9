"""The page tests' fixtures (the demo's store, built once per session, and clients over it)."""

from __future__ import annotations

from tests.api.pages.conftest import (
    app,
    client,
    demo,
    engine,
    hostile,
    hostile_app,
    hostile_client,
)

__all__ = ["app", "client", "demo", "engine", "hostile", "hostile_app", "hostile_client"]
