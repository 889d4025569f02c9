"""``GET /v1/programs``."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ReadConnection
from api.reads.buffers import ProgrammeBuffer, programme_buffers

router = APIRouter(tags=["programmes"])


@router.get("/programs", response_model=list[ProgrammeBuffer])
def programs(conn: ReadConnection) -> list[ProgrammeBuffer]:
    """Every programme in registration order: its unit (grams per serial), its buffer account
    and what that account holds, and the tonnes cancelled from the buffer for reversals."""
    return programme_buffers(conn)
