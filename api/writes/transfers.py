"""``POST /v1/transfers``: a holder moves credits to another allowlisted account (SPEC §3).

By quantity (the holder's lowest live serials, across runs in one multicall) or by exact
serials. The contract is asked first (``eth_estimateGas``), so a refusal (frozen, paused, not
allowlisted, not held) is answered without a transaction.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from api.auth import Principal, require
from api.deps import Ledger, LedgerDep, ServicesDep
from api.submission.actions import Transfer
from api.writes.common import PENDING, PROBLEMS, custodial_write, field_problem
from api.writes.holdings import chosen_runs, runs_json, spending_gas
from api.writes.models import TransferCreate, TransferPublic

router = APIRouter(tags=["transfers"])
Holder = Annotated[Principal, Depends(require("holder"))]


@router.post(
    "/v1/transfers",
    status_code=201,
    response_model=TransferPublic,
    responses=PENDING | PROBLEMS,
    summary="Transfer credits (a quantity, or exact serials) to another account",
)
async def create_transfer(
    body: TransferCreate,
    request: Request,
    services: ServicesDep,
    ledger: LedgerDep,
    holder: Holder,
) -> JSONResponse:
    planned = partial(plan, ledger, services.engine, body)
    return await custodial_write(request, services, ledger, holder, (body.batch_id,), planned)


def plan(ledger: Ledger, engine: Engine, body: TransferCreate, holder: str, sid: str) -> Transfer:
    if body.to.lower() == holder.lower():
        # The contract refuses it too (SelfTransfer): it would only fragment the ranges.
        raise field_problem("to", "is the key's own account: a transfer needs another recipient")
    views = ledger.views
    runs = chosen_runs(views, engine, holder, body)
    quantity = sum(last - first + 1 for first, last, _ in runs)
    response = {
        "id": sid,
        "batch_id": body.batch_id,
        "from": holder,
        "to": body.to.lower(),
        "quantity": quantity,
        "ranges": runs_json(runs),
    }
    action = Transfer(body.batch_id, runs, body.to.lower(), 0, response)
    action.gas = spending_gas(ledger, holder, holder, body.batch_id, quantity, action.calldata())
    ledger.custody.ensure_funded(ledger.pipeline, holder, 60.0)
    return action
