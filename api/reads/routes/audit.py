"""``GET /v1/audit/verify``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ServicesDep
from api.reads._common import PROBLEMS
from api.reads.audit import AuditResult, chain_of, verifier_for

router = APIRouter(tags=["audit"])


@router.get("/audit/verify", response_model=AuditResult, responses=PROBLEMS)
def audit_verify(
    services: ServicesDep,
    refresh: Annotated[bool, Query(description="verify again even if nothing moved")] = False,
) -> AuditResult:
    """Verify the audit trail: against the chain when the server has a node, else the store
    alone (``scope`` and ``note`` say which). The result is remembered while the store does
    not move (``cached``, ``verified_at``); a sync route, so a run blocks a worker thread,
    never the event loop."""
    with services.indexer.lock:
        relayed_head = services.indexer.head
    return verifier_for(services.engine).result(
        services.engine,
        chain_of(services),
        refresh=refresh,
        max_lag_blocks=services.settings.audit_max_lag_blocks,
        relayed_head=relayed_head,
    )
