"""``POST /v1/cancellations``: cancel live credits of a batch with a reason (SPEC §3).

An issuer key cancels only what its own custodial account holds; a programme admin key cancels
any holder's credits of its programme's batches (the body names the holder), e.g. a registry's
reversal. By quantity (the holder's lowest live serials, across runs in one multicall) or by
exact serials. The contract is asked first (``eth_estimateGas``), so a refusal (paused, unknown
batch, not held, not the programme's) is answered without a transaction. Freezes do not block
a cancellation.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from api.auth import Principal, require
from api.deps import Ledger, LedgerDep, ServicesDep
from api.problems import Problem
from api.submission.actions import Action, Cancel
from api.submission.model import new_id
from api.writes._programme import require_programme
from api.writes.common import (
    PENDING,
    PROBLEMS,
    Answer,
    custodial_account,
    field_problem,
    respond,
    submit_gated,
)
from api.writes.holdings import chosen_runs, runs_json, spending_gas
from api.writes.models import CancellationCreate, CancellationPublic

router = APIRouter(tags=["cancellations"])
Canceller = Annotated[Principal, Depends(require("issuer", "program_admin"))]


@router.post(
    "/v1/cancellations",
    status_code=201,
    response_model=CancellationPublic,
    responses=PENDING | PROBLEMS,
    summary="Cancel credits (an issuer its own; a programme admin any holder's) with a reason",
)
async def create_cancellation(
    body: CancellationCreate,
    request: Request,
    services: ServicesDep,
    ledger: LedgerDep,
    canceller: Canceller,
) -> JSONResponse:
    sid = new_id()

    async def work() -> Answer:
        account = custodial_account(canceller)
        holder = whose(canceller, account, body)

        def planned() -> Action:
            require_programme(ledger.views, canceller, body.batch_id)
            return plan(ledger, services.engine, account, holder, body, sid)

        gate = (holder, body.batch_id)  # the holding's turn, shared with its holder's writes
        return await submit_gated(services, ledger, request, canceller, sid, gate, planned)

    return await respond(request, services, canceller, work, submission_id=sid)


def whose(principal: Principal, account: str, body: CancellationCreate) -> str:
    """The holder whose credits are cancelled, as the key's role allows."""
    if principal.role == "program_admin":
        if body.holder is None:
            raise field_problem("holder", "a program_admin key names whose credits it cancels")
        return body.holder.lower()
    if body.holder is not None and body.holder.lower() != account:
        raise Problem(
            403,
            "forbidden",
            "Forbidden",
            f"scope {principal.scope} cancels only what its own account {account} holds; "
            f"another holder's credits are cancelled by a program-admin:{principal.program} key",
        )
    return account


def plan(
    ledger: Ledger,
    engine: Engine,
    sender: str,
    holder: str,
    body: CancellationCreate,
    sid: str,
) -> Cancel:
    runs = chosen_runs(ledger.views, engine, holder, body)
    quantity = sum(last - first + 1 for first, last, _ in runs)
    response = {
        "id": sid,
        "batch_id": body.batch_id,
        "holder": holder,
        "cancelled_by": sender,
        "quantity": quantity,
        "ranges": runs_json(runs),
        "reason": body.reason,
    }
    action = Cancel(body.batch_id, holder, runs, body.reason, 0, response)
    action.gas = spending_gas(ledger, sender, holder, body.batch_id, quantity, action.calldata())
    ledger.custody.ensure_funded(ledger.pipeline, sender, 60.0)
    return action
