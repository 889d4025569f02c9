"""``GET /v1/stats``."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ReadConnection
from api.reads.stats import Stats, ledger_stats

router = APIRouter(tags=["stats"])


@router.get("/stats", response_model=Stats)
def stats(conn: ReadConnection) -> Stats:
    """Tonnes bridged, held, retired, detokenised and cancelled, in total and by programme,
    vintage year, country and project type; and the pools with the tonnes each holds."""
    return ledger_stats(conn)
