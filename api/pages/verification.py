"""The audit verification as the dashboard and the audit page show it: the last result the
server's verifier remembers (the one behind ``GET /v1/audit/verify``), or a run on request."""

from __future__ import annotations

from api.deps import Services
from api.reads.queries import AuditResult, chain_of, verifier_for


def last_verification(services: Services) -> AuditResult | None:
    """The last verification of this server's store, without running one."""
    return verifier_for(services.engine).last()


def verify_now(services: Services) -> AuditResult:
    """A current verification: the remembered one while the store has not moved, else a run
    (against the chain when the server has a node, else the store alone; one at a time)."""
    return verifier_for(services.engine).result(services.engine, chain_of(services))
