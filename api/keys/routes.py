"""``/v1/keys``: admins create, list and revoke API keys (SPEC section 3)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from api import audit_log, tables
from api.auth import (
    BOOTSTRAP_KEY_ID,
    Principal,
    forget,
    new_secret,
    require,
    secret_hash,
)
from api.deps import Ledger, ServicesDep, get_ledger
from api.keys.models import KeyCreate, KeyCreated, KeyList, KeyPublic
from api.problems import Problem, not_found
from api.roles import CUSTODIAL_ROLES, Role
from api.writes.common import PROBLEMS, Answer, respond

router = APIRouter(prefix="/v1/keys", tags=["keys"])
Admin = Annotated[Principal, Depends(require("admin"))]


@router.post(
    "",
    status_code=201,
    response_model=KeyCreated,
    response_model_exclude_none=True,
    responses=PROBLEMS | {502: {"description": "the ledger could not provision the account"}},
    summary="Create a scoped API key (issuer, program_admin and holder keys get a custodial "
    "account)",
)
async def create_key(
    body: KeyCreate, request: Request, services: ServicesDep, admin: Admin
) -> JSONResponse:
    async def work() -> Answer:
        address = None
        if body.role in CUSTODIAL_ROLES:
            ledger = get_ledger(services)
            timeout = max(services.settings.confirm_timeout_s, 60.0)
            address = await run_in_threadpool(_custodial_account, ledger, body, timeout)
        key_id, secret = new_secret()
        row = {
            "id": key_id,
            "secret_hash": secret_hash(secret),
            "role": body.role,
            "program": body.program,
            "address": address,
            "label": body.label,
            "created_at": audit_log.now_ms(),
            "created_by": admin.key_id,
        }
        await services.journal.run(
            lambda conn: conn.execute(tables.api_keys.insert().values(**row))
        )
        created = KeyCreated(
            id=key_id,
            key=secret,
            role=body.role,
            scope=Principal(key_id, body.role, body.program, address).scope,
            program=body.program,
            address=address,
        )
        shown = created.model_dump(exclude_none=True) | {"address": address}
        return Answer(201, shown, outcome=f"created {key_id}")

    return await respond(request, services, admin, work)


def _custodial_account(ledger: Ledger, body: KeyCreate, timeout: float) -> str:
    """A new account, provisioned on-chain; its keystore is removed if that fails. A programme
    the operator cannot provision, or an account the server cannot allowlist (no compliance
    key, or one without its role), is refused before the account exists."""
    ledger.custody.programme(ledger.pipeline, body.role, body.program)
    if body.role != "program_admin":  # an account that holds credits is allowlisted
        ledger.custody.compliance(ledger.pipeline)
    account = ledger.custody.create()
    address = account.address.lower()
    try:
        ledger.custody.provision(ledger.pipeline, body.role, body.program, address, timeout)
    except TimeoutError as exc:
        ledger.custody.forget(address)
        raise Problem(
            504,
            "provisioning-timeout",
            "Account not provisioned in time",
            f"the ledger did not confirm {address}'s provisioning within {timeout:g} s; "
            "no key was created",
        ) from exc
    except BaseException:
        ledger.custody.forget(address)
        raise
    return address


@router.get("", response_model=KeyList, responses=PROBLEMS, summary="List API keys (no secrets)")
async def list_keys(
    services: ServicesDep,
    admin: Admin,
    role: Annotated[Role | None, Query(description="only keys of this role")] = None,
) -> KeyList:
    def read() -> list[KeyPublic]:
        query = sa.select(tables.api_keys).order_by(
            tables.api_keys.c.created_at, tables.api_keys.c.id
        )
        if role is not None:
            query = query.where(tables.api_keys.c.role == role)
        with services.engine.connect() as conn:
            return [_public(r._asdict()) for r in conn.execute(query)]

    return KeyList(keys=await run_in_threadpool(read))


@router.delete(
    "/{key_id}",
    response_model=KeyPublic,
    responses=PROBLEMS
    | {404: {"description": "no such key"}, 409: {"description": "the bootstrap key"}},
    summary="Revoke an API key (at once; revoking twice is harmless)",
)
async def revoke_key(
    key_id: str, services: ServicesDep, admin: Admin, request: Request
) -> KeyPublic:
    if key_id == BOOTSTRAP_KEY_ID:
        raise Problem(
            409,
            "bootstrap-key",
            "Bootstrap key",
            "the bootstrap admin key comes from CARBON_LEDGER_ADMIN_KEY: change or unset it there",
        )

    def job(conn: Connection) -> dict[str, Any] | None:
        table = tables.api_keys
        conn.execute(
            table.update()
            .where(table.c.id == key_id, table.c.revoked_at.is_(None))
            .values(revoked_at=audit_log.now_ms())
        )
        row = conn.execute(sa.select(table).where(table.c.id == key_id)).first()
        return None if row is None else row._asdict()

    row = await services.journal.run(job)
    if row is None:
        raise not_found(f"API key {key_id}")
    forget(services, key_id)
    request.state.audit_outcome = {"outcome": f"revoked {key_id}"}
    return _public(row)


def _public(row: dict[str, Any]) -> KeyPublic:
    principal = Principal(row["id"], row["role"], row["program"], row["address"])
    revoked = row.get("revoked_at")
    return KeyPublic(
        id=row["id"],
        role=row["role"],
        scope=principal.scope,
        program=row["program"],
        address=row["address"],
        label=row.get("label", ""),
        created_at=_time(row["created_at"]),
        created_by=row.get("created_by"),
        revoked_at=None if revoked is None else _time(revoked),
        state="revoked" if revoked is not None else "active",
    )


def _time(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
