"""``Idempotency-Key`` on every write (POST, PUT): a retry gets the first response, and the
action runs once.

Records are scoped per API key: ``(key id, Idempotency-Key)``. The first request claims the
record (``running``) before it acts; it stores its response when it answers (``done``). Then:

- the same key with the same request (method, path and JSON body, compared canonically) gets the
  stored status and body, and nothing runs again;
- the same key with a different request is a 422;
- the same key while the first is still running is a 409 (retry once it has answered).

A request that stopped before it sent anything (a 5xx before any submission, a restart between
claiming and signing) drops its claim, so its retry runs. A request whose transaction settles
after the client was answered 202 keeps the 202: the status URL it names tells the rest. (A
202 ``indexing`` is not stored: the settlement stored the 201, which a retry gets once the
store holds its block, ``api.writes.common.respond``.)

A created API key is shown once and stored only hashed, so the stored response holds it sealed
with a key derived from the caller's own bearer token: only the same caller, retrying with the
same Idempotency-Key, can get it back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi import Request
from sqlalchemy.engine import Connection

from api import audit_log, tables
from api.auth import Principal
from api.deps import Services
from api.problems import Problem

HEADER = "Idempotency-Key"
MAX_LENGTH = 255
SEALED = "sealed:"


@dataclass(frozen=True)
class Claim:
    key_id: str
    key: str
    token: str
    """The caller's bearer token: seals secrets in the stored response."""


@dataclass(frozen=True)
class Stored:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


def fingerprint(method: str, path: str, body: bytes) -> str:
    try:
        text = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
        canonical = text.encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256(f"{method} {path}\n".encode() + canonical)
    return "0x" + digest.hexdigest()


def header_key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_LENGTH or not key.isprintable() or not key.isascii():
        raise Problem(
            422,
            "validation",
            "Invalid request",
            f"{HEADER} must be 1-{MAX_LENGTH} printable ASCII characters",
            errors=[{"field": f"header.{HEADER}", "message": "1-255 printable ASCII characters"}],
        )
    return key


async def claim(
    services: Services,
    principal: Principal,
    request: Request,
    body: bytes,
    submission_id: str | None,
) -> Claim | Stored | None:
    """Claim the request's key, or the stored response to replay (``None``: no key sent)."""
    key = header_key(request)
    if key is None:
        return None
    request_hash = fingerprint(request.method, request.url.path, body)
    table = tables.idempotency_keys

    def job(conn: Connection) -> dict[str, Any] | None:
        row = conn.execute(
            sa.select(table).where(
                table.c.key_id == principal.key_id, table.c.idempotency_key == key
            )
        ).first()
        if row is not None:
            return row._asdict()
        conn.execute(
            table.insert().values(
                key_id=principal.key_id,
                idempotency_key=key,
                method=request.method,
                path=request.url.path,
                request_hash=request_hash,
                state="running",
                created_at=audit_log.now_ms(),
                submission_id=submission_id,
            )
        )
        return None

    existing = await services.journal.run(job)
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    if existing is None:
        return Claim(principal.key_id, key, token)
    if existing["request_hash"] != request_hash:
        raise Problem(
            422,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            f"{HEADER} {key!r} was first used for a different request "
            f"({existing['method']} {existing['path']} with another body)",
        )
    if existing["state"] != "done":
        raise Problem(
            409,
            "idempotency-key-in-use",
            "Request in progress",
            f"the first request with {HEADER} {key!r} is still running; retry once it answered",
            headers={"Retry-After": "1"},
        )
    return _stored(existing, token, key)


async def finish(
    services: Services, held: Claim, status: int, body: dict[str, Any], headers: dict[str, str]
) -> Stored:
    """Store the response unless one is already stored (a settlement got there first); returns
    the response the key answers with from now on."""
    table = tables.idempotency_keys
    kept = dict(body)
    if isinstance(kept.get("key"), str):
        kept["key"] = _seal(kept["key"], held)

    def job(conn: Connection) -> dict[str, Any]:
        where = (table.c.key_id == held.key_id, table.c.idempotency_key == held.key)
        conn.execute(
            table.update()
            .where(*where, table.c.state == "running")
            .values(
                state="done",
                status=status,
                response=json.dumps(kept, separators=(",", ":"), ensure_ascii=False),
                headers=headers or None,
            )
        )
        return conn.execute(sa.select(table).where(*where)).one()._asdict()

    return _stored(await services.journal.run(job), held.token, held.key)


async def abandon(services: Services, held: Claim) -> None:
    """Drop the claim of a request that did nothing, so a retry runs."""
    table = tables.idempotency_keys

    def job(conn: Connection) -> None:
        conn.execute(
            table.delete().where(
                table.c.key_id == held.key_id,
                table.c.idempotency_key == held.key,
                table.c.state == "running",
            )
        )

    await services.journal.run(job)


def _stored(row: dict[str, Any], token: str, key: str) -> Stored:
    body = json.loads(row["response"]) if row["response"] else {}
    if isinstance(body.get("key"), str) and body["key"].startswith(SEALED):
        body["key"] = _unseal(body["key"], token, key)
    return Stored(int(row["status"]), body, dict(row["headers"] or {}))


def _keys(token: str, key: str) -> tuple[bytes, bytes]:
    root = hmac.new(
        token.encode(), b"carbon-ledger idempotency\0" + key.encode(), "sha256"
    ).digest()
    return (
        hmac.new(root, b"stream", "sha256").digest(),
        hmac.new(root, b"mac", "sha256").digest(),
    )


def _stream(key: bytes, size: int) -> bytes:
    # HMAC-SHA256 in counter mode: a keystream used for exactly one message per derived key.
    blocks = (hmac.new(key, i.to_bytes(8, "big"), "sha256").digest() for i in range(size // 32 + 1))
    return b"".join(blocks)[:size]


def _seal(secret: str, held: Claim) -> str:
    enc, mac = _keys(held.token, held.key)
    plain = secret.encode()
    sealed = bytes(a ^ b for a, b in zip(plain, _stream(enc, len(plain)), strict=True))
    tag = hmac.new(mac, sealed, "sha256").digest()
    return SEALED + base64.b64encode(sealed + tag).decode()


def _unseal(text: str, token: str, key: str) -> str:
    enc, mac = _keys(token, key)
    blob = base64.b64decode(text.removeprefix(SEALED))
    sealed, tag = blob[:-32], blob[-32:]
    if not hmac.compare_digest(tag, hmac.new(mac, sealed, "sha256").digest()):
        return "(not shown: this retry is not from the key that created it)"
    return bytes(a ^ b for a, b in zip(sealed, _stream(enc, len(sealed)), strict=True)).decode()
