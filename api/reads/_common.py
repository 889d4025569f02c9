"""What every read shares: JSON integer and address types, cursors, the page model, and the 422
a bad query parameter gets. (Labels, states, purposes and dates by name: ``chain.domain``.)

Integers that can exceed 2^53 (serial numbers, quantities, tonnes) are JSON numbers below 2^53
and decimal strings from there on, because a JavaScript client reads a larger number wrong.
Counters (ids, ``seq``, block numbers) are plain numbers: they never get near 2^53.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema
from sqlalchemy.engine import Connection

from api.problems import Problem
from chain import registries
from chain.registries import LedgerBatch
from chain.units import tonnes_text

JSON_SAFE = 2**53
MAX_SQL_INT = 2**63 - 1
"""Largest integer the store holds; path and query integers above it are refused (422)."""


def json_int(value: int) -> int | str:
    """``value`` as a JSON number when exact in a double, else as a decimal string."""
    return value if -JSON_SAFE < value < JSON_SAFE else str(value)


JsonInt = Annotated[
    int,
    PlainSerializer(json_int, return_type=int | str, when_used="json"),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^-?[0-9]+$"}],
            "description": "a number below 2^53, a decimal string from 2^53 on",
        },
        mode="serialization",
    ),
]
"""An integer that may exceed 2^53 (serials, tonnes): see the module docstring."""

ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"

ExactTonnes = Annotated[
    Decimal,
    PlainSerializer(tonnes_text, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[0-9]+(\\.[0-9]+)?$",
            "description": 'exact tonnes of CO2e as a decimal string ("1.234"): serials times '
            "their programme's unit (chain.units), never rounded",
        },
        mode="serialization",
    ),
]
"""Exact tonnes (``chain.units``): a decimal string in JSON, whatever the programme's unit."""


class Model(BaseModel):
    """Response models are closed: OpenAPI lists exactly what is sent."""

    model_config = ConfigDict(extra="forbid")


class SerialSpan(Model):
    """An inclusive range of serials."""

    first_serial: JsonInt
    last_serial: JsonInt
    quantity: JsonInt
    registry_serial: str | None = None
    """The range as its registry writes a serial (``null`` where the batch's stored reference
    and namespace give no registry serial: see docs/API-READS.md)."""


registry_serial = registries.shown_serial
"""The registry-format serial of ``first..last`` of ``batch``, or ``None``: whatever the
stored text of a batch is (an issuer may bridge arbitrary text), never an error (the one
definition the command line and the demo use too)."""


def ledger_batch(row: Any) -> LedgerBatch:
    """What a registry serial is rebuilt from, from a row with the batch's ``program_code``,
    ``namespace``, ``first_serial``/``last_serial`` (or ``batch_first``/``batch_last``),
    ``registry_reference`` and ``registry_project_id``."""
    first = getattr(row, "batch_first", None)
    last = getattr(row, "batch_last", None)
    return LedgerBatch(
        program=row.program_code,
        namespace=row.namespace,
        first=int(row.first_serial if first is None else first),
        last=int(row.last_serial if last is None else last),
        reference=row.registry_reference,
        project=row.registry_project_id,
    )


T = TypeVar("T")


class Page(Model, Generic[T]):
    """One page of a list; ``next_cursor`` (and the ready-made ``next`` link) fetch the rest.

    Both are ``null`` on the last page. Cursors are opaque and only valid with the filters
    they were issued for."""

    items: list[T]
    next_cursor: str | None
    next: str | None = None

    @property
    def more(self) -> bool:
        """Whether another page follows (what the pages' "next" links ask)."""
        return self.next_cursor is not None


def invalid(field: str, message: str) -> Problem:
    """A field-level 422, shaped like the one request validation produces."""
    return Problem(
        422,
        "validation",
        "Invalid request",
        f"invalid fields: {field}",
        errors=[{"field": field, "message": message}],
    )


def _fingerprint(scope: dict[str, Any]) -> str:
    canonical = json.dumps(scope, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def encode_cursor(scope: dict[str, Any], key: list[int]) -> str:
    """An opaque cursor: the last key seen, bound to the query (``scope``) it belongs to."""
    raw = json.dumps([_fingerprint(scope), *key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, scope: dict[str, Any], size: int) -> list[int] | None:
    """The key in ``cursor`` (``None`` for the first page); a 422 on ``query.cursor`` if it
    is malformed or was issued for other filters."""
    if cursor is None:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid("query.cursor", "not a cursor this API issued") from None
    if (
        not isinstance(raw, list)
        or len(raw) != size + 1
        or not all(type(k) is int and 0 <= k <= MAX_SQL_INT for k in raw[1:])
    ):
        raise invalid("query.cursor", "not a cursor this API issued")
    if raw[0] != _fingerprint(scope):
        raise invalid("query.cursor", "this cursor belongs to a query with other filters")
    return [int(k) for k in raw[1:]]


R = TypeVar("R")


def keyset_page(
    rows: Sequence[R], limit: int, scope: dict[str, Any], key: Callable[[R], list[int]]
) -> tuple[Sequence[R], str | None]:
    """Split ``rows`` (fetched with ``LIMIT limit + 1``) into the page and the cursor that
    continues after its last row (``None`` when nothing follows)."""
    if len(rows) > limit:
        return rows[:limit], encode_cursor(scope, key(rows[limit - 1]))
    return rows, None


def snapshot(conn: Connection) -> None:
    """Make the reads that follow on ``conn`` see one state of the store.

    SQLite's deferred transaction already does (the store begins one per connection use); on
    PostgreSQL a read made of several statements needs REPEATABLE READ, or the indexer could
    commit between them. Only possible before the connection's first statement."""
    if conn.dialect.name == "postgresql" and not conn.in_transaction():
        conn.execution_options(isolation_level="REPEATABLE READ")


class ProblemDetails(Model):
    """An error (RFC 9457 ``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, str]] | None = None
    """For a 422: each invalid field (``query.limit``, ``path.address``) and why."""


def _problem(description: str) -> dict[str, Any]:
    schema = ProblemDetails.model_json_schema()
    return {"description": description, "content": {"application/problem+json": {"schema": schema}}}


PROBLEMS: dict[int | str, dict[str, Any]] = {
    422: _problem("A parameter is invalid; ``errors`` names each field and why."),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _problem("No such resource."), **PROBLEMS}
"""``responses=`` entries for routes: their errors as problem+json in the OpenAPI document."""
