"""API keys and scopes: who is calling, and may they do this.

A key is a random 256-bit secret shown once; the store keeps only its SHA-256 (a secret that
random needs no slow hash), its public id, its role, the programme of an issuer or programme
admin key and, for issuer, programme-admin and holder keys, the custodial account it acts as. ``CARBON_LEDGER_ADMIN_KEY`` is the bootstrap admin and is never stored.

Routes declare what they need with ``require("issuer")`` and get the ``Principal``. Once a
request is authenticated, its ``request`` entry goes into the API audit log before the route
runs (``api.audit_log``); the ``AuditOutcomes`` middleware adds the ``outcome`` entry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from api import audit_log, tables
from api.deps import Services, ServicesDep
from api.problems import Problem
from api.roles import Role

BOOTSTRAP_KEY_ID = "admin-bootstrap"
KEY_PREFIX = "clk_"
CACHE_S = 30.0


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    key_id: str
    role: Role
    program: str | None = None
    address: str | None = None
    """The custodial account an issuer, programme-admin or holder key acts as (lowercase hex)."""

    @property
    def scope(self) -> str:
        """``admin``, ``issuer:<PROGRAM>``, ``program-admin:<PROGRAM>``, ``holder:<address>``,
        ``compliance``, ``auditor``."""
        if self.role == "issuer":
            return f"issuer:{self.program}"
        if self.role == "program_admin":
            return f"program-admin:{self.program}"
        if self.role == "holder":
            return f"holder:{self.address}"
        return self.role


def new_secret() -> tuple[str, str]:
    """A fresh (key id, secret): the secret is what the client sends as its bearer token."""
    return "k_" + secrets.token_hex(8), KEY_PREFIX + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return "0x" + hashlib.sha256(secret.encode()).hexdigest()


def _unauthorized(detail: str) -> Problem:
    return Problem(
        401,
        "unauthorized",
        "Unauthorized",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="carbon-ledger"'},
    )


def bearer(request: Request) -> str | None:
    """The bearer token, if the request carries one (a malformed header is a 401)."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("the Authorization header must be 'Bearer <key>'")
    return token.strip()


def lookup(services: Services, token: str) -> Principal:
    """The principal ``token`` authenticates, or a 401 naming why not."""
    admin = services.settings.admin_key
    if admin is not None and hmac.compare_digest(token.encode(), admin.get_secret_value().encode()):
        return Principal(BOOTSTRAP_KEY_ID, "admin")
    hashed = secret_hash(token)
    with services.engine.connect() as conn:
        row = conn.execute(
            sa.select(tables.api_keys).where(tables.api_keys.c.secret_hash == hashed)
        ).first()
    if row is None:
        raise _unauthorized("unknown API key")
    if row.revoked_at is not None:
        raise _unauthorized(f"API key {row.id} has been revoked")
    principal = Principal(row.id, row.role, row.program, row.address)
    services.principals[hashed] = (principal, time.monotonic() + CACHE_S)
    return principal


def cached(services: Services, token: str) -> Principal | None:
    """A key authenticated in the last ``CACHE_S`` and not revoked here since (saves the
    store a query per request)."""
    hit = services.principals.get(secret_hash(token))
    if hit is None or hit[1] < time.monotonic():
        return None
    principal: Principal = hit[0]
    return principal


def forget(services: Services, key_id: str) -> None:
    """Revocation takes effect at once on this server."""
    for hashed, (principal, _) in list(services.principals.items()):
        if principal.key_id == key_id:
            services.principals.pop(hashed, None)


async def optional_principal(request: Request, services: ServicesDep) -> Principal | None:
    """The caller, or ``None`` for an anonymous request (cached on the request).

    An authenticated request is written to the API audit log here, before anything else."""
    if "principal" not in request.state._state:
        token = bearer(request)
        principal = None
        if token is not None:
            principal = cached(services, token) or await run_in_threadpool(lookup, services, token)
        if principal is not None:
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            request.state.audit_request = await services.journal.run(
                audit_log.append(
                    kind="request",
                    key_id=principal.key_id,
                    scope=principal.scope,
                    method=request.method,
                    path=path,
                    body_hash=audit_log.body_hash(await request.body()),
                    idempotency_key=request.headers.get("idempotency-key"),
                )
            )
        request.state.principal = principal
    found: Principal | None = request.state.principal
    return found


async def public_read(request: Request, services: ServicesDep) -> None:
    """Reads are public unless ``settings.public_reads`` is off; then any valid key may read.

    While public, a read never looks at its Authorization header: it costs no key lookup and
    writes nothing to the audit log."""
    if services.settings.public_reads:
        return
    if await optional_principal(request, services) is None:
        raise _unauthorized("reads on this server need an API key (public reads are off)")


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting keys of ``roles`` (the admin is not implied: scopes are exact)."""

    async def dependency(
        principal: Annotated[Principal | None, Depends(optional_principal)],
    ) -> Principal:
        if principal is None:
            raise _unauthorized("this endpoint needs an API key (Authorization: Bearer <key>)")
        if principal.role not in roles:
            raise Problem(
                403,
                "forbidden",
                "Forbidden",
                f"scope {principal.scope} may not do this; it needs {' or '.join(roles)}",
            )
        return principal

    return dependency
