"""``POST /v1/detokenisations``: a holder returns credits to the off-chain registry (SPEC §3).

By quantity (the holder's lowest live serials, across runs in one multicall) or by exact
serials, with the registry's reference for the return. The contract is asked first
(``eth_estimateGas``), so a refusal (frozen, paused, unknown batch, not held) is answered
without a transaction.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from api.auth import Principal, require
from api.deps import Ledger, LedgerDep, ServicesDep
from api.submission.actions import Detokenise
from api.writes.common import PENDING, PROBLEMS, custodial_write
from api.writes.holdings import chosen_runs, runs_json, spending_gas
from api.writes.models import DetokenisationCreate, DetokenisationPublic

router = APIRouter(tags=["detokenisations"])
Holder = Annotated[Principal, Depends(require("holder"))]


@router.post(
    "/v1/detokenisations",
    status_code=201,
    response_model=DetokenisationPublic,
    responses=PENDING | PROBLEMS,
    summary="Return credits (a quantity, or exact serials) to the off-chain registry",
)
async def create_detokenisation(
    body: DetokenisationCreate,
    request: Request,
    services: ServicesDep,
    ledger: LedgerDep,
    holder: Holder,
) -> JSONResponse:
    planned = partial(plan, ledger, services.engine, body)
    return await custodial_write(request, services, ledger, holder, (body.batch_id,), planned)


def plan(
    ledger: Ledger, engine: Engine, body: DetokenisationCreate, holder: str, sid: str
) -> Detokenise:
    runs = chosen_runs(ledger.views, engine, holder, body)
    quantity = sum(last - first + 1 for first, last, _ in runs)
    response = {
        "id": sid,
        "batch_id": body.batch_id,
        "holder": holder,
        "quantity": quantity,
        "ranges": runs_json(runs),
        "registry_reference": body.registry_reference,
    }
    action = Detokenise(body.batch_id, runs, body.registry_reference, 0, response)
    action.gas = spending_gas(ledger, holder, holder, body.batch_id, quantity, action.calldata())
    ledger.custody.ensure_funded(ledger.pipeline, holder, 60.0)
    return action
