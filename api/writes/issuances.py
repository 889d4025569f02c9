"""``POST /v1/issuances``: bridge a registry block, custodial or relaying the registry's own
signature (SPEC section 3).

Custodial: the serial is parsed by the programme's registry adapter (``chain.registries``),
cross-checked with the body (programme, project id, vintage), and bridged by the key's
custodial account, which registers the project first if the ledger does not have it yet. The
bridging's hint and overlap check come from the part book when its turn in the account's
queue comes, so nothing on this path waits on the node.

Signed: the body carries the contract's EIP-712 ``Bridge`` typed data and the registry's
signature; it is checked (``api.writes.signed``) and preflighted before the key's custodial
account relays it. ``POST /v1/issuances/typed-data`` gives a registry exactly what to sign.
"""

from __future__ import annotations

import asyncio
import json
import time
from functools import lru_cache
from typing import Annotated, Any

from eth_utils.crypto import keccak
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from web3 import Web3

from api.auth import Principal, require
from api.deps import Ledger, LedgerDep, ServicesDep
from api.problems import Problem
from api.reads._common import json_int
from api.submission import calls
from api.submission.actions import Action, Bridge, RegisterProject
from api.submission.model import Submission, new_id
from api.writes.common import (
    PENDING,
    PROBLEMS,
    Answer,
    custodial_account,
    field_problem,
    respond,
    submit,
    submit_gated,
)
from api.writes.models import (
    LABELS,
    IssuanceBody,
    IssuanceCreate,
    IssuancePublic,
    IssuanceSigned,
    IssuanceTypedDataRequest,
    ProjectIn,
    TypedDataOut,
)
from api.writes.signed import check_signature, typed_data
from chain import registries
from chain.canonical import REFERENCE, TextRejected
from chain.domain import MAX_BATCH_QUANTITY, date_to_int
from chain.domain import project_key as _project_key
from chain.errors import InvalidBridgeHint
from chain.registries import SerialFormatError, UnknownRegistry
from chain.registries._rows import RowVintage
from chain.signing import BRIDGE_TYPE

router = APIRouter(tags=["issuances"])
project_key = lru_cache(maxsize=4096)(_project_key)
Issuer = Annotated[Principal, Depends(require("issuer"))]
SIGNATURE_TTL_S = 3600


@router.post(
    "/v1/issuances",
    status_code=201,
    response_model=IssuancePublic,
    responses=PENDING | PROBLEMS,
    summary="Bridge a registry issuance block (custodial, or relaying the registry's signature)",
)
async def create_issuance(
    body: IssuanceBody,
    request: Request,
    services: ServicesDep,
    ledger: LedgerDep,
    issuer: Issuer,
) -> JSONResponse:
    sid = new_id()
    timeout = services.settings.confirm_timeout_s

    async def work() -> Answer:
        sender = custodial_account(issuer)
        if isinstance(body, IssuanceSigned):
            signer = body.signer.lower()

            def plan_signed() -> Action:
                return check_signed(ledger, issuer, body, sid)

            async def register(action: Action) -> None:
                if body.project is not None and body.project.id is not None:
                    assert isinstance(action, Bridge)
                    # check_signed has accepted the id, so it has a canonical form.
                    canonical = registries.canonical_project(issuer.program or "", body.project.id)
                    project = body.project.model_copy(update={"id": canonical})
                    await ensure_project(ledger, sender, action, project, timeout)

            return await submit_gated(
                services, ledger, request, issuer, sid, ("signer", signer), plan_signed, register
            )
        if ledger.custody.funding_due(sender):
            await run_in_threadpool(ledger.custody.ensure_funded, ledger.pipeline, sender, 60.0)
        if ledger.views.warm(body.program, body.recipient):
            # Everything plan reads from the chain is cached: it only computes (~0.3 ms), so a
            # thread hop would cost more than it saves, and keeps the pool free for reads.
            action, project = plan(ledger, issuer, body, sid)
        else:
            action, project = await run_in_threadpool(plan, ledger, issuer, body, sid)
        await ensure_project(ledger, sender, action, project, timeout)
        return await submit(services, ledger, request, issuer, sid, action, sender)

    signed = isinstance(body, IssuanceSigned)
    return await respond(request, services, issuer, work, submission_id=sid, signed=signed)


@router.post(
    "/v1/issuances/typed-data",
    response_model=TypedDataOut,
    responses=PROBLEMS,
    summary="The EIP-712 typed data a registry signs for a relayed issuance",
)
async def issuance_typed_data(
    body: IssuanceTypedDataRequest,
    request: Request,
    services: ServicesDep,
    ledger: LedgerDep,
    issuer: Issuer,
) -> JSONResponse:
    def build() -> dict[str, Any]:
        action, _ = plan(ledger, issuer, body, "")
        message = dict(action.issuance)
        message["nonce"] = ledger.views.nonce(body.signer)
        message["deadline"] = body.deadline or int(time.time()) + SIGNATURE_TTL_S
        return typed_data("Bridge", BRIDGE_TYPE, message, ledger)

    async def work() -> Answer:
        return Answer(200, {"typed_data": await run_in_threadpool(build)}, outcome="typed data")

    return await respond(request, services, issuer, work)


def plan(
    ledger: Ledger, issuer: Principal, body: IssuanceCreate, sid: str
) -> tuple[Bridge, ProjectIn]:
    """The bridging a custodial body asks for, checked field by field (422 naming the field)."""
    if body.program != issuer.program:
        raise Problem(
            403,
            "forbidden",
            "Forbidden",
            f"scope {issuer.scope} may not bridge {body.program} credits",
        )
    try:
        parsed = registries.parse(body.program, body.serial)
    except UnknownRegistry:
        raise field_problem(
            "program", f"no registry serial format is known for {body.program}"
        ) from None
    except SerialFormatError as exc:
        raise field_problem("serial", exc.reason) from None
    if parsed.program != body.program:
        raise field_problem("serial", f"this is a {parsed.program} serial, not {body.program}")
    if parsed.quantity > MAX_BATCH_QUANTITY:
        raise field_problem(
            "serial", f"{parsed.quantity} t is more than one batch holds ({MAX_BATCH_QUANTITY} t)"
        )
    stated = body.project.id
    if stated is not None:
        try:  # the registry's own spellings (ACR1185, VCS 1340) are the same project
            stated = parsed.adapter.canonical_project(stated)
        except TextRejected as exc:
            raise field_problem("project.id", str(exc)) from None
    project_id = parsed.project or stated
    if project_id is None:
        raise field_problem("project.id", "this serial format holds no project id: give one")
    if stated is not None and parsed.project is not None and stated != parsed.project:
        raise field_problem(
            "project.id", f"the serial is of project {parsed.project}, not {body.project.id}"
        )
    rule = parsed.adapter.vintage
    if rule is not None:
        vintage = RowVintage(
            start=("vintage_start", body.vintage_start), end=("vintage_end", body.vintage_end)
        )
        reason = rule.check_row(parsed.components, vintage)
        if reason is not None:
            raise field_problem("vintage_start", reason)
    views = ledger.views
    program_id = views.program_id(body.program)
    if program_id == 0:
        raise field_problem("program", f"programme {body.program} is not registered here")
    allowed, frozen = views.allowed(body.recipient)
    if not allowed or frozen:
        state = "frozen" if frozen else "not allowlisted"
        raise Problem(
            409,
            "AccountFrozen" if frozen else "AccountNotAllowed",
            "Ledger state conflict",
            f"recipient {body.recipient} is {state} on this ledger",
            errors=[{"field": "recipient", "message": state}],
        )
    labels = sum(1 << LABELS.index(name) for name in set(body.labels))
    reference = body.registry_reference
    if reference is None:  # the registry serial (naming its block), if the contract takes it
        reference = parsed.text()
        if len(reference.encode("utf-8")) > REFERENCE:
            reference = parsed.reference or ""
    project = body.project.model_copy(update={"id": project_id})
    issuance = {
        "programId": program_id,
        "projectKey": "0x" + project_key(program_id, project_id).hex(),
        "namespace": parsed.namespace,
        "firstSerial": parsed.first,
        "lastSerial": parsed.last,
        "recipient": body.recipient.lower(),
        "vintageStart": date_to_int(body.vintage_start),
        "vintageEnd": date_to_int(body.vintage_end),
        "labels": labels,
        "metadataHash": metadata_hash(
            body, parsed.namespace, parsed.first, parsed.last, project, labels, reference
        ),
        "registryReference": reference,
    }
    response = {
        "id": sid,
        "program": parsed.program,
        "namespace": parsed.namespace,
        "first_serial": json_int(parsed.first),
        "last_serial": json_int(parsed.last),
        "quantity": parsed.quantity,
    }
    return Bridge(issuance, response), project


def metadata_hash(
    body: IssuanceCreate,
    namespace: str,
    first: int,
    last: int,
    project: ProjectIn,
    labels: int,
    reference: str,
) -> str:
    """keccak256 of the batch's canonical metadata JSON (docs/API.md): sorted keys, no spaces,
    UTF-8, so anyone holding the request can recompute the hash the batch carries."""
    document = {
        "serial": body.serial.strip(),
        "program": body.program,
        "namespace": namespace,
        "first": first,
        "last": last,
        "project": project.model_dump(),
        "vintage": [body.vintage_start.isoformat(), body.vintage_end.isoformat()],
        "labels": labels,
        "reference": reference,
        "metadata": body.metadata,
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "0x" + keccak(text.encode("utf-8")).hex()


async def ensure_project(
    ledger: Ledger, sender: str, action: Bridge, project: ProjectIn, timeout: float
) -> None:
    """Register the project first if the ledger lacks it: on the same account's queue just
    before the bridging (so in order), or, when another account registers it, after that."""
    key = bytes.fromhex(action.issuance["projectKey"][2:])
    views = ledger.views
    if views.known_project(key) or await run_in_threadpool(views.project_registered, key):
        return
    pending = views.registration(key)
    if pending is None:
        fields = [
            project.id or "",
            project.name,
            project.country,
            project.methodology,
            project.type,
        ]
        sub = Submission(new_id(), sender, RegisterProject(action.issuance["programId"], fields))
        if views.registering(key, sender, sub.done):
            ledger.pipeline.submit(sub)
            return
        pending = views.registration(key)
    if pending is not None and pending[0] != sender:
        await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(pending[1])), timeout)


def check_signed(ledger: Ledger, issuer: Principal, body: IssuanceSigned, sid: str) -> Bridge:
    """The relayed bridging of a signed body, once its signature holds (401 otherwise)."""
    message = body.typed_data.message
    views = ledger.views
    if message.program_id != views.program_id(issuer.program or ""):
        raise Problem(
            403,
            "forbidden",
            "Forbidden",
            f"scope {issuer.scope} may not relay bridgings of programme id {message.program_id}",
        )
    # The same namespace rule as the custodial path's adapters (and the contract), before the
    # signature is even looked at: no spelling of a namespace opens a parallel one.
    problem = registries.namespace_problem(issuer.program or "", message.namespace)
    if problem is not None:
        raise field_problem("typed_data.message.namespace", problem)
    typed = typed_data("Bridge", BRIDGE_TYPE, message.model_dump(by_alias=True), ledger)
    check_signature(ledger, views, body.typed_data.domain, typed, body.signature, body.signer)
    if not views.has_role(views.issuer_role(message.program_id), body.signer):
        raise Problem(
            401,
            "wrong-signer",
            "Signature not accepted",
            f"{body.signer} is not an issuer of {issuer.program} on this ledger",
        )
    issuance = message.model_dump(by_alias=True, exclude={"nonce", "deadline"})
    issuance["recipient"] = issuance["recipient"].lower()
    signed = {
        "signer": body.signer.lower(),
        "deadline": message.deadline,
        "signature": body.signature,
    }
    response = {
        "id": sid,
        "program": issuer.program,
        "namespace": message.namespace,
        "first_serial": json_int(message.first_serial),
        "last_serial": json_int(message.last_serial),
        "quantity": message.last_serial - message.first_serial + 1,
    }
    action = Bridge(issuance, response, signed)
    key = bytes.fromhex(message.project_key[2:])
    if body.project is not None:
        if body.project.id is None:
            raise field_problem("project.id", "give the project id the typed data's key names")
        try:
            project_id = registries.canonical_project(issuer.program or "", body.project.id)
        except TextRejected as exc:
            raise field_problem("project.id", str(exc)) from None
        if project_key(message.program_id, project_id) != key:
            raise field_problem("project.id", "not the project typed_data.message.projectKey names")
    elif not views.project_registered(key):
        raise field_problem(
            "typed_data.message.projectKey", "no such project here: include project to register it"
        )
    if views.project_registered(key):
        preflight(ledger, custodial_account(issuer), action)
    return action


def preflight(ledger: Ledger, relayer: str, action: Bridge) -> None:
    """The contract's own checks (an ERC-1271 signer's too) before anything is sent, against
    the chain as mined; a part the book missed is read and the check run once more."""
    parts = ledger.pipeline.ctx.parts
    signed = action.signed or {}
    where = (
        action.issuance["programId"],
        action.issuance["namespace"],
        action.issuance["firstSerial"],
    )
    for attempt in range(2):
        data = calls.calldata(
            "bridgeWithSignature",
            action.struct(),
            parts.mined_hint(*where),
            Web3.to_checksum_address(signed["signer"]),
            int(signed["deadline"]),
            bytes.fromhex(signed["signature"][2:]),
        )
        try:
            ledger.node.estimate_gas(relayer, ledger.contract, data)
            return
        except InvalidBridgeHint:
            if attempt:
                raise
            parts.repair(*where)
