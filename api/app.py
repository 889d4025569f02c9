"""The FastAPI application: routers per resource, problem+json errors, shared services."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from api import certificates, keys, limits, metrics, ops, pages, problems, reads, writes
from api.audit_log import AuditOutcomes
from api.auth import public_read
from api.deps import Services


def create_app(services: Services) -> FastAPI:
    """The API over ``services`` (the caller starts and stops what they run)."""
    app = FastAPI(
        title="carbon-ledger",
        version="1",
        description="Bridge API of a serialised carbon-credit ledger (SPEC section 3).",
    )
    app.state.services = services
    problems.install(app)
    # Innermost: only requests past the limits get authenticated and logged.
    app.add_middleware(AuditOutcomes)
    limits.install(app)
    metrics.install(app)  # outermost: it also times the requests the limits refuse
    app.include_router(ops.router)
    app.include_router(keys.router)
    app.include_router(writes.router)
    reading = [Depends(public_read)]
    app.include_router(reads.router, dependencies=reading)
    app.include_router(certificates.router, dependencies=reading)
    app.include_router(pages.router, dependencies=reading)
    return app
