"""``PUT /v1/batches/{id}/frozen`` and ``PUT /v1/batches/{id}/labels``: a batch's settings.

Freezing is compliance's (the contract's ``COMPLIANCE_ROLE``): a compliance key has no
custodial account, so the API's own compliance key sends it (``Custody.compliance``: 503 when
the server has none, 409 when that key lacks the role; on the local dev chain the operator,
which holds every role there). Labels are
the programme admin's: a program_admin key's custodial account sends them, for its own
programme's batches only. Each is asked of the contract first (``eth_estimateGas``), so a
refusal (unknown batch, a role the sender lacks) is answered without a transaction.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.auth import Principal, require
from api.deps import Ledger, LedgerDep, ServicesDep
from api.submission import calls
from api.submission.actions import BatchSetting
from api.submission.model import new_id
from api.writes._programme import require_programme
from api.writes.common import PENDING, PROBLEMS, Answer, custodial_account, respond, submit
from api.writes.models import (
    BatchFrozenPublic,
    BatchFrozenSet,
    BatchId,
    BatchLabelsPublic,
    BatchLabelsSet,
)
from chain.domain import LABEL_BITS, label_names

router = APIRouter(tags=["batches"])
Compliance = Annotated[Principal, Depends(require("compliance"))]
ProgramAdmin = Annotated[Principal, Depends(require("program_admin"))]


@router.put(
    "/v1/batches/{batch_id}/frozen",
    response_model=BatchFrozenPublic,
    responses=PENDING | PROBLEMS,
    summary="Freeze or unfreeze a batch (no transfer, retirement or detokenisation while frozen)",
)
async def set_frozen(
    batch_id: BatchId,
    body: BatchFrozenSet,
    request: Request,
    services: ServicesDep,
    ledger: LedgerDep,
    compliance: Compliance,
) -> JSONResponse:
    sid = new_id()

    async def work() -> Answer:
        def planned() -> tuple[str, BatchSetting]:
            sender = ledger.custody.compliance(ledger.pipeline)
            data = calls.calldata("setBatchFrozen", batch_id, body.frozen)
            response = {"batch_id": batch_id, "frozen": body.frozen}
            return sender, setting(ledger, sender, data, response)

        sender, action = await run_in_threadpool(planned)
        return await submit(services, ledger, request, compliance, sid, action, sender)

    return await respond(request, services, compliance, work, submission_id=sid, updated=True)


@router.put(
    "/v1/batches/{batch_id}/labels",
    response_model=BatchLabelsPublic,
    responses=PENDING | PROBLEMS,
    summary="Set a batch's labels (all of them: the list replaces the batch's labels)",
)
async def set_labels(
    batch_id: BatchId,
    body: BatchLabelsSet,
    request: Request,
    services: ServicesDep,
    ledger: LedgerDep,
    admin: ProgramAdmin,
) -> JSONResponse:
    sid = new_id()
    bits = sum(LABEL_BITS[name] for name in set(body.labels))

    async def work() -> Answer:
        sender = custodial_account(admin)

        def planned() -> BatchSetting:
            require_programme(ledger.views, admin, batch_id)
            data = calls.calldata("setLabels", batch_id, bits)
            response = {"batch_id": batch_id, "labels": label_names(bits)}
            action = setting(ledger, sender, data, response)
            ledger.custody.ensure_funded(ledger.pipeline, sender, 60.0)
            return action

        action = await run_in_threadpool(planned)
        return await submit(services, ledger, request, admin, sid, action, sender)

    return await respond(request, services, admin, work, submission_id=sid, updated=True)


def setting(ledger: Ledger, sender: str, data: bytes, response: dict[str, Any]) -> BatchSetting:
    """The call, once the contract says it would accept it from ``sender``."""
    gas = calls.with_margin(ledger.node.estimate_gas(sender, ledger.contract, data))
    return BatchSetting(data, gas, response)
