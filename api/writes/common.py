"""What every POST shares: idempotency, audit outcome, and waiting for the chain.

``custodial_write`` is the usual write: planned, sent by the key's custodial account in its
turn (``submit_gated``) and answered through ``respond``. ``respond`` runs a write under its ``Idempotency-Key`` claim and turns whatever it ends with (a
response, a ``Problem``, a carbon-ledger error) into the JSON answer the key will replay.
``settle_or_pending`` waits for a submission up to ``confirm_timeout_s``: the settled answer
once the query store holds its block too (so whatever it returns can be read at once), or 202
with the status URL (``GET /v1/requests/{id}``) when the chain or the indexer is slower.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from api import audit_log, idempotency
from api.auth import Principal
from api.deps import Ledger, Services
from api.problems import PROBLEM_JSON, Problem, problem_for
from api.submission.actions import Action
from api.submission.model import Submission, new_id
from api.submission.rows import upsert_row
from api.writes.models import Pending
from chain.errors import CarbonLedgerError

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {
        "description": text,
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    }
    for code, text in (
        (401, "no or unknown API key, or a signature the ledger would refuse"),
        (403, "the key's scope does not allow this"),
        (409, "the ledger's state refuses it (overlap, insufficient credits, frozen, paused)"),
        (422, "a field is invalid (named in errors)"),
        (503, "this server cannot write to the ledger"),
    )
}


PENDING: dict[int | str, dict[str, Any]] = {
    202: {
        "model": Pending,
        "description": "not mined yet, or mined but not yet in the query store (``indexing``): "
        "poll the status URL (Location)",
    }
}
INDEXING = "indexing"
"""The outcome of a write the chain confirmed but the store did not hold in time."""


def field_problem(field_name: str, message: str) -> Problem:
    """A 422 naming one field, as request validation does."""
    return Problem(
        422,
        "validation",
        "Invalid request",
        f"{field_name}: {message}",
        errors=[{"field": field_name, "message": message}],
    )


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    outcome: str | None = None
    tx_hash: str | None = None
    ledger_seq: int | None = None


def problem_answer(problem: Problem, path: str) -> Answer:
    return Answer(problem.status, problem.body(path), dict(problem.headers), outcome=problem.kind)


async def respond(
    request: Request,
    services: Services,
    principal: Principal,
    work: Callable[[], Awaitable[Answer]],
    *,
    submission_id: str | None = None,
    signed: bool = False,
    updated: bool = False,
    then: Callable[[Answer], Answer] | None = None,
) -> JSONResponse:
    """Run ``work`` once per Idempotency-Key and answer (or replay) its response. ``signed``:
    the body is a signed one (a ledger error then names its ``typed_data.message`` fields).
    ``updated``: the write changes a resource rather than creating one (a PUT), so its
    confirmed 201 is answered as 200; it is stored as 201, as the settlement stores it.
    ``then``: what ``work`` adds to its answer, added to a replayed one too (a settlement
    stores its body for the key as the pipeline made it, when the client was answered 202)."""

    def _json(status: int, body: dict[str, Any], headers: dict[str, str]) -> JSONResponse:
        return _as_json(200 if updated and status == 201 else status, body, headers)

    body = await request.body()
    held = await idempotency.claim(services, principal, request, body, submission_id)
    if isinstance(held, idempotency.Stored):
        request.state.audit_outcome = {"outcome": "replayed"}
        waiting = await _replay_unreadable(services, held)
        if waiting is not None:
            return _json(waiting.status, waiting.body, waiting.headers)
        replayed = Answer(held.status, held.body, held.headers)
        if then is not None:
            replayed = await run_in_threadpool(then, replayed)
        return _json(replayed.status, replayed.body, replayed.headers)
    path = request.url.path
    request.state.idempotency_claimed = held is not None
    try:
        answer = await work()
    except Problem as problem:
        answer = problem_answer(problem, path)
    except CarbonLedgerError as exc:
        answer = problem_answer(problem_for(exc, signed=signed), path)
    except BaseException:
        if held is not None:
            await idempotency.abandon(services, held)
        raise
    request.state.audit_outcome = {
        "outcome": answer.outcome,
        "tx_hash": answer.tx_hash,
        "ledger_seq": answer.ledger_seq,
    }
    if held is not None:
        if answer.status >= 500 and answer.tx_hash is None:
            await idempotency.abandon(services, held)  # nothing was done: let a retry run
        else:
            stored = await idempotency.finish(
                services, held, answer.status, answer.body, answer.headers
            )
            if answer.outcome != INDEXING:
                return _json(stored.status, stored.body, stored.headers)
            # The settlement stored its 201 for the key (a retry gets it); this client is told
            # the truth of now: confirmed, not yet readable.
    return _json(answer.status, answer.body, answer.headers)


def _as_json(status: int, body: dict[str, Any], headers: dict[str, str]) -> JSONResponse:
    media = PROBLEM_JSON if status >= 400 else "application/json"
    return JSONResponse(body, status_code=status, headers=headers, media_type=media)


async def settle_or_pending(services: Services, sub: Submission) -> Answer:
    """The submission's settled answer once the store holds its block, or 202 and its status
    URL when either takes longer than the timeout."""
    timeout = services.settings.confirm_timeout_s
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    future = sub.outcome_future()
    try:
        settled = await asyncio.wait_for(asyncio.shield(future), timeout)
    except TimeoutError:
        with sub.lock:
            pending = sub.settled is None
            sub.answered_pending = pending
        if not pending:
            settled = await future
        else:
            return await _pending(services, sub)
    mined = settled.block_number if settled.state == "confirmed" else None
    if mined is not None and not await services.mirror.reached(mined, deadline - loop.time()):
        return _indexing(sub.id, settled.tx_hash, mined, settled.ledger_seq)
    return Answer(
        settled.status,
        settled.body,
        outcome=settled.state,
        tx_hash=settled.tx_hash,
        ledger_seq=settled.ledger_seq,
    )


async def _pending(services: Services, sub: Submission) -> Answer:
    def job(conn: Connection) -> None:
        # Not signed yet (a long queue): the status URL must find it all the same.
        if sub.signed is None:
            upsert_row(conn, sub, {"updated_at": audit_log.now_ms()})

    await services.journal.run(job)
    url = f"/v1/requests/{sub.id}"
    tx_hash = sub.signed.tx_hash if sub.signed else None
    body = {
        "request_id": sub.id,
        "status": "submitted" if sub.signed else "accepted",
        "status_url": url,
        "tx_hash": tx_hash,
    }
    return Answer(
        202, body, {"Location": url, "Retry-After": "1"}, outcome="pending", tx_hash=tx_hash
    )


def _indexing(
    request_id: str, tx_hash: str | None, block: int, ledger_seq: int | None = None
) -> Answer:
    """202 for a write the chain confirmed whose block the store does not hold yet: a 201 now
    would return a certificate, batch or holding that reads 404 or stale. Its row is stored
    (the settlement wrote it): the status URL says ``confirmed`` once the store has it."""
    url = f"/v1/requests/{request_id}"
    body = {
        "request_id": request_id,
        "status": INDEXING,
        "status_url": url,
        "tx_hash": tx_hash,
        "block_number": block,
    }
    return Answer(
        202,
        body,
        {"Location": url, "Retry-After": "1"},
        outcome=INDEXING,
        tx_hash=tx_hash,
        ledger_seq=ledger_seq,
    )


async def _replay_unreadable(services: Services, stored: idempotency.Stored) -> Answer | None:
    """A retry whose stored 201 names a block the store does not hold yet (the first answer
    was a 202 ``indexing``, or the store fell back since) waits for it like a fresh write;
    ``None`` when the stored answer can be replayed as it is."""
    block, request_id = stored.body.get("block_number"), stored.body.get("request_id")
    if stored.status != 201 or not isinstance(block, int) or not isinstance(request_id, str):
        return None
    if await services.mirror.reached(block, services.settings.confirm_timeout_s):
        return None
    tx_hash = stored.body.get("tx_hash")
    return _indexing(request_id, tx_hash if isinstance(tx_hash, str) else None, block)


def audit_seq(request: Request) -> int | None:
    """The request's entry in the API audit log (written when it was authenticated)."""
    seq: int | None = request.state._state.get("audit_request")
    return seq


def custodial_account(principal: Principal) -> str:
    if principal.address is None:
        raise Problem(
            403, "forbidden", "Forbidden", f"key {principal.key_id} has no custodial account"
        )
    return principal.address


def submission(
    request: Request, principal: Principal, sid: str, action: Action, sender: str
) -> Submission:
    """The request's submission, linked to its audit log entry."""
    return Submission(
        sid,
        sender,
        action,
        key_id=principal.key_id,
        audit_seq=audit_seq(request),
        path=request.url.path,
        claimed=bool(request.state._state.get("idempotency_claimed")),
    )


async def submit(
    services: Services,
    ledger: Ledger,
    request: Request,
    principal: Principal,
    sid: str,
    action: Action,
    sender: str,
) -> Answer:
    sub = submission(request, principal, sid, action, sender)
    ledger.pipeline.submit(sub)
    return await settle_or_pending(services, sub)


async def submit_gated(
    services: Services,
    ledger: Ledger,
    request: Request,
    principal: Principal,
    sid: str,
    gate: Hashable,
    plan: Callable[[], Action],
    before: Callable[[Action], Awaitable[None]] | None = None,
) -> Answer:
    """Plan (in a thread) and submit once the request before it on ``gate`` has settled
    (``api.submission.gates``); the next one on ``gate`` waits for this one to settle."""
    sender = custodial_account(principal)
    ticket = await ledger.gates.enter(gate, services.settings.confirm_timeout_s)
    try:
        action = await run_in_threadpool(plan)
        if before is not None:
            await before(action)
        sub = submission(request, principal, sid, action, sender)
        sub.done.add_done_callback(lambda _: ledger.gates.leave(gate, ticket))
        ledger.pipeline.submit(sub)
    except BaseException:
        ledger.gates.leave(gate, ticket)
        raise
    return await settle_or_pending(services, sub)


async def custodial_write(
    request: Request,
    services: Services,
    ledger: Ledger,
    principal: Principal,
    turn: tuple[Hashable, ...],
    plan: Callable[[str, str], Action],
    then: Callable[[Answer], Answer] | None = None,
) -> JSONResponse:
    """A write the key's custodial account sends, answered once per Idempotency-Key
    (``respond``): planned as ``plan(account, request id)`` in the account's turn on ``turn``
    (the gate ``(account, *turn)``: ``submit_gated``); ``then`` may add to its answer, and
    adds the same to a replay of it."""
    sid = new_id()

    async def work() -> Answer:
        account = custodial_account(principal)
        planned = partial(plan, account, sid)
        gate = (account, *turn)
        answer = await submit_gated(services, ledger, request, principal, sid, gate, planned)
        # ``then`` may read the store: off the event loop, as for a replayed answer.
        return answer if then is None else await run_in_threadpool(then, answer)

    return await respond(request, services, principal, work, submission_id=sid, then=then)
