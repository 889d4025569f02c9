"""``POST /v1/retirements``: retire credits for a beneficiary and purpose, by the holder's
custodial account or relaying the holder's own EIP-712 signature (SPEC §3).

One retirement is one contiguous run of serials (one certificate): a quantity is taken from
the lowest run that holds it all. More than held is a 409 naming what is held. Signed
retirements are checked (``api.writes.signed``) and preflighted before the key's custodial
account relays them; ``POST /v1/retirements/typed-data`` gives a holder what to sign.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from api.auth import Principal, require
from api.deps import Ledger, LedgerDep, ServicesDep
from api.submission import calls
from api.submission.actions import Action, Retire
from api.submission.model import new_id
from api.writes._retirement_terms import retirement_terms
from api.writes.common import (
    PENDING,
    PROBLEMS,
    Answer,
    custodial_account,
    respond,
    submit_gated,
)
from api.writes.holdings import exact_start, insufficient, single_run
from api.writes.models import (
    PURPOSES,
    RetirementBody,
    RetirementCreate,
    RetirementPublic,
    RetirementSigned,
    RetirementTypedDataRequest,
    TypedDataOut,
)
from api.writes.signed import check_signature, typed_data
from chain.errors import InsufficientCredits
from chain.signing import RETIRE_TYPE

router = APIRouter(tags=["retirements"])
Holder = Annotated[Principal, Depends(require("holder"))]
SIGNATURE_TTL_S = 3600


@router.post(
    "/v1/retirements",
    status_code=201,
    response_model=RetirementPublic,
    responses=PENDING | PROBLEMS,
    summary="Retire credits (custodial, or relaying the holder's signature)",
)
async def create_retirement(
    body: RetirementBody,
    request: Request,
    services: ServicesDep,
    ledger: LedgerDep,
    holder: Holder,
) -> JSONResponse:
    sid = new_id()

    async def work() -> Answer:
        relayer = custodial_account(holder)
        if isinstance(body, RetirementSigned):
            signer = body.typed_data.message.holder.lower()

            def planned_signed() -> Action:
                return check_signed(ledger, relayer, body)

            gate: Any = ("signer", signer)
            return await submit_gated(services, ledger, request, holder, sid, gate, planned_signed)

        def planned() -> Action:
            return plan(ledger, services.engine, relayer, body)

        gate = (relayer, body.batch_id)
        return await submit_gated(services, ledger, request, holder, sid, gate, planned)

    signed = isinstance(body, RetirementSigned)
    return await respond(request, services, holder, work, submission_id=sid, signed=signed)


@router.post(
    "/v1/retirements/typed-data",
    response_model=TypedDataOut,
    responses=PROBLEMS,
    summary="The EIP-712 typed data a holder signs for a relayed retirement",
)
async def retirement_typed_data(
    body: RetirementTypedDataRequest,
    request: Request,
    services: ServicesDep,
    ledger: LedgerDep,
    holder: Holder,
) -> JSONResponse:
    def build() -> dict[str, Any]:
        owner = body.holder.lower()
        first, last = single_run(ledger.views, services.engine, owner, body)
        struct = retirement(body, first, last)
        message = dict(zip([f["name"] for f in RETIRE_TYPE][1:10], struct, strict=True))
        message |= {
            "holder": owner,
            "nonce": ledger.views.nonce(owner),
            "deadline": body.deadline or int(time.time()) + SIGNATURE_TTL_S,
        }
        return typed_data("Retire", RETIRE_TYPE, message, ledger)

    async def work() -> Answer:
        return Answer(200, {"typed_data": await run_in_threadpool(build)}, outcome="typed data")

    return await respond(request, services, holder, work)


def retirement(body: RetirementCreate, first: int, last: int) -> list[Any]:
    """The contract's Retirement struct."""
    return [body.batch_id, first, last, *retirement_terms(body)]


def plan(ledger: Ledger, engine: Engine, holder: str, body: RetirementCreate) -> Retire:
    views = ledger.views
    first, last = single_run(views, engine, holder, body)
    start = exact_start(views, holder, body.batch_id, first, last)
    response = {
        "batch_id": body.batch_id,
        "holder": holder,
        "beneficiary": body.beneficiary,
        "purpose": body.purpose,
    }
    action = Retire(retirement(body, first, last), start, 0, response)
    action.gas = _preflight(ledger, holder, holder, action, body.batch_id, last - first + 1)
    ledger.custody.ensure_funded(ledger.pipeline, holder, 60.0)
    return action


def _preflight(
    ledger: Ledger, sender: str, holder: str, action: Retire, batch_id: int, quantity: int
) -> int:
    try:
        estimate = ledger.node.estimate_gas(sender, ledger.contract, action.calldata())
    except InsufficientCredits:
        raise insufficient(ledger.views, holder, batch_id, quantity) from None
    return calls.with_margin(estimate)


def check_signed(ledger: Ledger, relayer: str, body: RetirementSigned) -> Retire:
    message = body.typed_data.message
    holder = message.holder.lower()
    typed = typed_data("Retire", RETIRE_TYPE, message.model_dump(by_alias=True), ledger)
    check_signature(ledger, ledger.views, body.typed_data.domain, typed, body.signature, holder)
    first, last = message.first_serial, message.last_serial
    start = exact_start(ledger.views, holder, message.batch_id, first, last)
    struct = [
        message.batch_id,
        first,
        last,
        message.beneficiary,
        message.purpose,
        message.jurisdiction,
        message.consumption_start,
        message.consumption_end,
        message.note,
    ]
    signed = {"signer": holder, "deadline": message.deadline, "signature": body.signature}
    response = {
        "batch_id": message.batch_id,
        "holder": holder,
        "beneficiary": message.beneficiary,
        "purpose": PURPOSES[message.purpose],
    }
    action = Retire(struct, start, 0, response, signed)
    action.gas = _preflight(ledger, relayer, holder, action, message.batch_id, last - first + 1)
    return action
