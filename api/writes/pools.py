"""Pool writes (issue 15), by the key's custodial account, with read-your-writes as the other
writes: ``POST /v1/pools/{id}/deposits`` (exact serials of a batch, or a quantity of its lowest
in one run), ``/redemptions`` (units, from the head of the pool's order or a named range),
``/retirements`` (units for a beneficiary: one retirement and certificate per range, each
named in registry format) and ``/transfers`` (units to another allowlisted account).

Each is asked of the contract first (``eth_estimateGas``), so a refusal costs no transaction:
an ineligible batch is a 409 naming the rule and what it compared ("vintage 2015-01-01 is
before the pool's window, which opens on 2016-01-01"), units over the balance a 409 naming
the balance, an unknown pool a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from web3 import Web3

from api.auth import Principal, require
from api.deps import Ledger, LedgerDep, Services, ServicesDep
from api.problems import PROBLEM_JSON, Problem, not_found
from api.reads.pools import batch_rows, range_serial
from api.submission import calls
from api.submission.actions import Action
from api.submission.model import new_id
from api.submission.pool_actions import (
    PoolDeposit,
    PoolRedeem,
    PoolRetire,
    PoolTransfer,
    token_function,
)
from api.writes.common import (
    PENDING,
    PROBLEM_SCHEMA,
    PROBLEMS,
    Answer,
    custodial_account,
    respond,
    submit_gated,
)
from api.writes.holdings import exact_start, insufficient, one_run
from api.writes.models import PURPOSES
from api.writes.pool_models import (
    PoolDepositCreate,
    PoolDepositPublic,
    PoolRedemptionCreate,
    PoolRedemptionPublic,
    PoolRetirementCreate,
    PoolRetirementPublic,
    PoolTransferCreate,
    PoolTransferPublic,
)
from chain.domain import PoolRules, date_to_int, int_to_date, label_names, unpack_date
from chain.errors import InsufficientCredits, InsufficientPoolUnits, PoolIneligible, UnknownPool
from chain.store import schema as s

router = APIRouter(tags=["pools"])
NO_POOL: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such pool", "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}
}
Holder = Annotated[Principal, Depends(require("holder"))]
PoolId = Annotated[int, Path(ge=1, le=2**32 - 1, description="a pool id (1 to 2^32-1)")]


# ---------------------------------------------------------------- reading the ledger


def pool_of(ledger: Ledger, pool_id: int) -> tuple[PoolRules, str]:
    """The pool's rules and token (its account); a 404 for an unknown pool."""
    try:
        (view,) = ledger.views.read("pool", pool_id)
    except UnknownPool:
        raise not_found(f"pool {pool_id}") from None
    rules, token = view[0], view[1]
    return PoolRules.from_abi(rules), Web3.to_checksum_address(token).lower()


def _listed(engine: Engine, pool_id: int, kind: int) -> list[str]:
    e = s.pool_list_entries
    with engine.connect() as conn:
        return [
            str(v)
            for (v,) in conn.execute(
                sa.select(e.c.value)
                .where(e.c.pool_id == pool_id, e.c.kind == kind, e.c.listed.is_(True))
                .order_by(e.c.value)
            )
        ]


def ineligibility(ledger: Ledger, engine: Engine, pool_id: int, batch_id: int, rule: int) -> str:
    """What the refusing rule compared, in words (empty where the ledger cannot be read)."""
    rules, _ = pool_of(ledger, pool_id)
    (record,) = ledger.views.read("batch", batch_id)
    program_id, labels, vintage = int(record[0]), int(record[1]), unpack_date(int(record[8]))
    with engine.connect() as conn:
        codes = dict(conn.execute(sa.select(s.programs.c.id, s.programs.c.code)).tuples().all())
        project = conn.execute(
            sa.select(s.projects.c.country, s.projects.c.project_type, s.projects.c.methodology)
            .join(s.batches, s.batches.c.project_key == s.projects.c.key)
            .where(s.batches.c.id == batch_id)
        ).first()
    if rule == 1:
        admitted = ", ".join(str(codes.get(i, f"#{i}")) for i in sorted(rules.programmes))
        return f"programme {codes.get(program_id, program_id)} is not among {admitted}"
    if rule == 2:
        return f"vintage {int_to_date(vintage)} is before the pool's window, which opens on {rules.vintage_from}"
    if rule == 3:
        return f"vintage {int_to_date(vintage)} is after the pool's window, which closes on {rules.vintage_to}"
    if rule == 4:
        missing = label_names(int(rules.labels_required) & ~labels & 0xFFFF)
        return f"the batch lacks the label(s) {', '.join(missing)}"
    if rule in (5, 6, 7) and project is not None:
        kind = rule - 5
        what = ("country", "project type", "methodology")[kind]
        value = project[kind]
        mode = (rules.country_mode, rules.type_mode, rules.methodology_mode)[kind]
        listed = ", ".join(_listed(engine, pool_id, kind)) or "nothing"
        how = f"only {listed} admitted" if int(mode) == 1 else f"{listed} excluded"
        return f"{what} {value!r} is not admitted ({how})"
    if rule == 8:
        return f"a serial of programme {codes.get(program_id, program_id)} is not one tonne"
    return ""


def _gas(
    ledger: Ledger,
    sender: str,
    to: str,
    data: bytes,
    explain: Callable[[Exception], Problem | None],
) -> int:
    """The call's gas asked of the contract (a refusal costs no transaction)."""
    try:
        estimate = ledger.node.estimate_gas(sender, to, data)
    except (PoolIneligible, InsufficientCredits, InsufficientPoolUnits) as exc:
        problem = explain(exc)
        if problem is None:
            raise
        raise problem from None
    return calls.with_margin(estimate)


def _short_of_units(ledger: Ledger, pool_id: int, holder: str, units: int) -> Problem:
    (balance,) = ledger.views.read("poolUnitBalance", pool_id, Web3.to_checksum_address(holder))
    return Problem(
        409,
        "InsufficientPoolUnits",
        "Ledger state conflict",
        f"{holder} holds {int(balance)} units of pool {pool_id}; {units} were asked for",
        error="InsufficientPoolUnits",
        balance=int(balance),
        requested=units,
    )


def with_registry_serials(engine: Engine, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with the registry-format serial of each range it names (the store holds the
    write's block: read-your-writes)."""
    spans = [body, *body.get("ranges", []), *body.get("retirements", [])]
    ids = {int(x["batch_id"]) for x in spans if "batch_id" in x and "first_serial" in x}
    with engine.connect() as conn:
        rows = batch_rows(conn, ids)

    def named(x: dict[str, Any]) -> dict[str, Any]:
        first, last = int(x["first_serial"]), int(x["last_serial"])
        return x | {"registry_serial": range_serial(rows, int(x["batch_id"]), first, last)}

    out = dict(body)
    if "first_serial" in out and "batch_id" in out:
        out = named(out)
    for field in ("ranges", "retirements"):
        if field in out:
            out[field] = [named(x) for x in out[field]]
    return out


async def _write(
    request: Request,
    services: Services,
    ledger: Ledger,
    holder: Principal,
    pool_id: int,
    plan: Callable[[str, str], Action],
) -> JSONResponse:
    sid = new_id()

    async def work() -> Answer:
        account = custodial_account(holder)

        def planned() -> Action:
            return plan(account.lower(), sid)

        gate = (account, "pool", pool_id)
        answer = await submit_gated(services, ledger, request, holder, sid, gate, planned)
        if answer.status == 201:
            answer.body = with_registry_serials(services.engine, answer.body)
        return answer

    return await respond(request, services, holder, work, submission_id=sid)


# ---------------------------------------------------------------- routes


@router.post(
    "/v1/pools/{id}/deposits",
    status_code=201,
    response_model=PoolDepositPublic,
    responses=PENDING | PROBLEMS | NO_POOL,
    summary="Deposit exact serials of a batch into a pool, for as many units",
)
async def create_deposit(
    id: PoolId,
    body: PoolDepositCreate,
    request: Request,
    services: ServicesDep,
    ledger: LedgerDep,
    holder: Holder,
) -> JSONResponse:
    def plan(account: str, sid: str) -> Action:
        return plan_deposit(ledger, services.engine, account, id, body, sid)

    return await _write(request, services, ledger, holder, id, plan)


def plan_deposit(
    ledger: Ledger, engine: Engine, holder: str, pool_id: int, body: PoolDepositCreate, sid: str
) -> PoolDeposit:
    pool_of(ledger, pool_id)
    views = ledger.views
    if body.quantity is not None:
        first, last = one_run(views, engine, holder, body.batch_id, body.quantity)
    else:
        assert body.first_serial is not None and body.last_serial is not None
        first, last = body.first_serial, body.last_serial
    start = exact_start(views, holder, body.batch_id, first, last)
    response = {
        "request_id": sid,
        "pool_id": pool_id,
        "account": holder,
        "units": last - first + 1,
        "batch_id": body.batch_id,
        "first_serial": first,
        "last_serial": last,
    }
    action = PoolDeposit(pool_id, body.batch_id, first, last, start, 0, response)

    def explain(exc: Exception) -> Problem | None:
        if isinstance(exc, PoolIneligible):
            exc.detail = ineligibility(
                ledger, engine, pool_id, body.batch_id, int(exc.arguments["rule"])
            )
            return Problem(
                409,
                "PoolIneligible",
                "Ledger state conflict",
                str(exc),
                error="PoolIneligible",
                rule=str(exc.rule_name()),
                arguments={k: str(v) for k, v in exc.arguments.items()},
            )
        if isinstance(exc, InsufficientCredits):
            return insufficient(views, holder, body.batch_id, last - first + 1)
        return None

    data = action.calldata(views.read)
    action.gas = _gas(ledger, holder, ledger.contract, data, explain)
    return action


@router.post(
    "/v1/pools/{id}/redemptions",
    status_code=201,
    response_model=PoolRedemptionPublic,
    responses=PENDING | PROBLEMS | NO_POOL,
    summary="Burn units for exact serials (the pool's order, or a named range)",
)
async def create_redemption(
    id: PoolId,
    body: PoolRedemptionCreate,
    request: Request,
    services: ServicesDep,
    ledger: LedgerDep,
    holder: Holder,
) -> JSONResponse:
    def plan(account: str, sid: str) -> Action:
        _, token = pool_of(ledger, id)
        key = 0
        if body.range is not None:
            (key,) = ledger.views.read("poolKey", body.range.batch_id, body.range.last_serial)
        response = {"request_id": sid, "pool_id": id, "account": account, "units": body.units}
        action = PoolRedeem(id, body.units, str(int(key)), token, 0, response)
        data = action.calldata(ledger.views.read)
        action.gas = _gas(
            ledger,
            account,
            ledger.contract,
            data,
            units_short(ledger, id, account, body.units),
        )
        return action

    return await _write(request, services, ledger, holder, id, plan)


def units_short(
    ledger: Ledger, pool_id: int, holder: str, units: int
) -> Callable[[Exception], Problem | None]:
    def explain(exc: Exception) -> Problem | None:
        if (
            isinstance(exc, InsufficientPoolUnits)
            and str(exc.arguments.get("account", "")).lower() == holder
        ):
            return _short_of_units(ledger, pool_id, holder, units)
        return None

    return explain


@router.post(
    "/v1/pools/{id}/retirements",
    status_code=201,
    response_model=PoolRetirementPublic,
    responses=PENDING | PROBLEMS | NO_POOL,
    summary="Retire units: exact serials from the pool's order, one certificate per range",
)
async def create_pool_retirement(
    id: PoolId,
    body: PoolRetirementCreate,
    request: Request,
    services: ServicesDep,
    ledger: LedgerDep,
    holder: Holder,
) -> JSONResponse:
    def plan(account: str, sid: str) -> Action:
        pool_of(ledger, id)
        period = body.consumption_period
        response = {
            "request_id": sid,
            "pool_id": id,
            "account": account,
            "units": body.units,
            "beneficiary": body.beneficiary,
            "purpose": body.purpose,
        }
        action = PoolRetire(
            id,
            body.units,
            body.beneficiary,
            PURPOSES.index(body.purpose),
            body.jurisdiction,
            date_to_int(period.start) if period else 0,
            date_to_int(period.end) if period else 0,
            body.note,
            0,
            response,
        )
        data = action.calldata(ledger.views.read)
        action.gas = _gas(
            ledger,
            account,
            ledger.contract,
            data,
            units_short(ledger, id, account, body.units),
        )
        return action

    return await _write(request, services, ledger, holder, id, plan)


@router.post(
    "/v1/pools/{id}/transfers",
    status_code=201,
    response_model=PoolTransferPublic,
    responses=PENDING | PROBLEMS | NO_POOL,
    summary="Transfer units to another allowlisted account (the pool token's ERC-20 transfer)",
)
async def create_pool_transfer(
    id: PoolId,
    body: PoolTransferCreate,
    request: Request,
    services: ServicesDep,
    ledger: LedgerDep,
    holder: Holder,
) -> JSONResponse:
    def plan(account: str, sid: str) -> Action:
        _, token = pool_of(ledger, id)
        to = body.to.lower()
        allowed, frozen = ledger.views.allowed(to)
        if not allowed or frozen:
            why = "is not allowlisted" if not allowed else "is frozen"
            raise Problem(
                409,
                "AccountNotAllowed",
                "Ledger state conflict",
                f"the recipient {to} {why}: pool units are held only by allowlisted accounts",
                error="AccountNotAllowed",
                errors=[{"field": "to", "message": why}],
            )
        response = {
            "request_id": sid,
            "pool_id": id,
            "account": account,
            "to": to,
            "units": body.units,
        }
        action = PoolTransfer(token, to, body.units, 0, response)
        data = token_function("transfer").calldata(Web3.to_checksum_address(to), body.units)
        action.gas = _gas(
            ledger,
            account,
            Web3.to_checksum_address(token),
            data,
            units_short(ledger, id, account, body.units),
        )
        return action

    return await _write(request, services, ledger, holder, id, plan)
