"""Pool writes (issue 15), by the key's custodial account, with read-your-writes as the other
writes: ``POST /v1/pools/{id}/deposits`` (exact serials of a batch, or a quantity of its lowest
in one run), ``/redemptions`` (units, from the head of the pool's order or a named range),
``/retirements`` (units for a beneficiary: one retirement and certificate per range, each
named in registry format) and ``/transfers`` (units to another allowlisted account).

Each is asked of the contract first (``eth_estimateGas``), so a refusal costs no transaction:
an ineligible batch is a 409 naming the rule and what it compared ("vintage 2015-01-01 is
before the pool's window, which opens on 2016-01-01"), units over the balance a 409 naming
the balance, an unknown pool a 404.

A route is only its body, its plan (``plan_deposit`` and the others: the action and the answer
known before mining) and its answer's model; ``PoolWriter.write`` (the pool's turn, the 404,
read-your-writes, through ``common.custodial_write``) and ``PoolWrite.priced`` (the gas, and
a refusal in words) are what they share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from fastapi.types import DecoratedCallable
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from web3 import Web3

from api.auth import Principal, require
from api.deps import Ledger, LedgerDep, Services, ServicesDep
from api.problems import PROBLEM_JSON, Problem, not_found
from api.submission import calls
from api.submission.actions import Action
from api.submission.pool_actions import (
    PoolAction,
    PoolDeposit,
    PoolRedeem,
    PoolRetire,
    PoolTransfer,
)
from api.writes._pool_serials import with_registry_serials
from api.writes._retirement_terms import retirement_terms
from api.writes.common import PENDING, PROBLEM_SCHEMA, PROBLEMS, Answer, custodial_write
from api.writes.holdings import exact_start, insufficient, single_run
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
from chain.domain import PoolRules, int_to_date, label_names, unpack_date
from chain.errors import InsufficientCredits, InsufficientPoolUnits, PoolIneligible, UnknownPool
from chain.store import schema as s

router = APIRouter(tags=["pools"])
NO_POOL: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such pool", "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}
}
Holder = Annotated[Principal, Depends(require("holder"))]
PoolId = Annotated[int, Path(ge=1, le=2**32 - 1, description="a pool id (1 to 2^32-1)")]
Priced = TypeVar("Priced", bound=PoolAction)


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


@dataclass(frozen=True)
class PoolWrite:
    """A pool write as its plan (``plan_deposit`` and the others) sees it: the ledger and the
    store; the pool, known to the ledger, and its token; the key's account; the request's id."""

    ledger: Ledger
    engine: Engine
    pool_id: int
    token: str
    account: str
    sid: str

    def answer(self, **more: Any) -> dict[str, Any]:
        """The answer known before mining: the request, pool and account, then ``more``."""
        return {"request_id": self.sid, "pool_id": self.pool_id, "account": self.account, **more}

    def priced(self, action: Priced, explain: Callable[[Exception], Problem | None]) -> Priced:
        """``action`` with its gas asked of the contract (a refusal costs no transaction):
        ``explain`` turns a refusal into the problem to answer, or ``None`` to raise it."""
        ledger = self.ledger
        data = action.calldata(ledger.views.read)
        try:
            estimate = ledger.node.estimate_gas(self.account, action.target(ledger.contract), data)
        except (PoolIneligible, InsufficientCredits, InsufficientPoolUnits) as exc:
            problem = explain(exc)
            if problem is None:
                raise
            raise problem from None
        action.gas = calls.with_margin(estimate)
        return action

    def units_short(self, units: int) -> Callable[[Exception], Problem | None]:
        """Explains a refusal for want of the account's units as a 409 naming its balance."""

        def explain(exc: Exception) -> Problem | None:
            if (
                isinstance(exc, InsufficientPoolUnits)
                and str(exc.arguments.get("account", "")).lower() == self.account
            ):
                return _short_of_units(self.ledger, self.pool_id, self.account, units)
            return None

        return explain


@dataclass(frozen=True)
class PoolWriter:
    """What each pool route is given (``Writer``): the request, the services, the ledger and
    the holder's key."""

    request: Request
    services: Services
    ledger: Ledger
    holder: Principal

    async def write(self, pool_id: int, plan: Callable[[PoolWrite], Action]) -> JSONResponse:
        """Plan and submit a pool write in the key's account's turn on the pool, and answer it
        with the registry serials of the ranges it names (read-your-writes)."""
        ledger, engine = self.ledger, self.services.engine

        def planned(account: str, sid: str) -> Action:
            _, token = pool_of(ledger, pool_id)  # an unknown pool: a 404 before anything else
            return plan(PoolWrite(ledger, engine, pool_id, token, account.lower(), sid))

        def then(answer: Answer) -> Answer:
            if answer.status == 201:
                answer.body = with_registry_serials(engine, answer.body)
            return answer

        turn = ("pool", pool_id)
        return await custodial_write(
            self.request, self.services, ledger, self.holder, turn, planned, then
        )


async def _pool_writer(
    request: Request, services: ServicesDep, ledger: LedgerDep, holder: Holder
) -> PoolWriter:
    return PoolWriter(request, services, ledger, holder)


Writer = Annotated[PoolWriter, Depends(_pool_writer)]


def _pool_post(
    what: str, public: type[BaseModel], summary: str
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """``POST /v1/pools/{id}/<what>``: 201 with ``public``, 202 while pending, or a problem
    (404 for an unknown pool)."""
    return router.post(
        f"/v1/pools/{{id}}/{what}",
        status_code=201,
        response_model=public,
        responses=PENDING | PROBLEMS | NO_POOL,
        summary=summary,
    )


# ---------------------------------------------------------------- routes


@_pool_post(
    "deposits", PoolDepositPublic, "Deposit exact serials of a batch into a pool, for as many units"
)
async def create_deposit(id: PoolId, body: PoolDepositCreate, writer: Writer) -> JSONResponse:
    return await writer.write(id, partial(plan_deposit, body))


def plan_deposit(body: PoolDepositCreate, w: PoolWrite) -> PoolDeposit:
    views, holder = w.ledger.views, w.account
    first, last = single_run(views, w.engine, holder, body)
    start = exact_start(views, holder, body.batch_id, first, last)
    answer = w.answer(
        units=last - first + 1, batch_id=body.batch_id, first_serial=first, last_serial=last
    )
    action = PoolDeposit(w.pool_id, body.batch_id, first, last, start, 0, answer)

    def explain(exc: Exception) -> Problem | None:
        if isinstance(exc, PoolIneligible):
            rule = int(exc.arguments["rule"])
            exc.detail = ineligibility(w.ledger, w.engine, w.pool_id, body.batch_id, rule)
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

    return w.priced(action, explain)


@_pool_post(
    "redemptions",
    PoolRedemptionPublic,
    "Burn units for exact serials (the pool's order, or a named range)",
)
async def create_redemption(id: PoolId, body: PoolRedemptionCreate, writer: Writer) -> JSONResponse:
    return await writer.write(id, partial(plan_redemption, body))


def plan_redemption(body: PoolRedemptionCreate, w: PoolWrite) -> PoolRedeem:
    key = 0
    if body.range is not None:
        (key,) = w.ledger.views.read("poolKey", body.range.batch_id, body.range.last_serial)
    answer = w.answer(units=body.units)
    action = PoolRedeem(w.pool_id, body.units, str(int(key)), w.token, 0, answer)
    return w.priced(action, w.units_short(body.units))


@_pool_post(
    "retirements",
    PoolRetirementPublic,
    "Retire units: exact serials from the pool's order, one certificate per range",
)
async def create_pool_retirement(
    id: PoolId, body: PoolRetirementCreate, writer: Writer
) -> JSONResponse:
    return await writer.write(id, partial(plan_retirement, body))


def plan_retirement(body: PoolRetirementCreate, w: PoolWrite) -> PoolRetire:
    answer = w.answer(units=body.units, beneficiary=body.beneficiary, purpose=body.purpose)
    terms = retirement_terms(body)
    action = PoolRetire(w.pool_id, body.units, *terms, gas=0, response=answer)
    return w.priced(action, w.units_short(body.units))


@_pool_post(
    "transfers",
    PoolTransferPublic,
    "Transfer units to another allowlisted account (the pool token's ERC-20 transfer)",
)
async def create_pool_transfer(
    id: PoolId, body: PoolTransferCreate, writer: Writer
) -> JSONResponse:
    return await writer.write(id, partial(plan_transfer, body))


def plan_transfer(body: PoolTransferCreate, w: PoolWrite) -> PoolTransfer:
    to = body.to.lower()
    allowed, frozen = w.ledger.views.allowed(to)
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
    action = PoolTransfer(w.token, to, body.units, 0, w.answer(to=to, units=body.units))
    return w.priced(action, w.units_short(body.units))
