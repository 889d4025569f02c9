"""Errors as RFC 9457 ``application/problem+json``: every failure has a type, title and detail.

Routes raise ``Problem`` (or a carbon-ledger error, which ``problem_for`` maps by its place
in ``chain.errors``); request validation becomes a field-level 422. Nothing a client sends
can produce a 5xx of its own making: a 5xx says the ledger (``LedgerFault``, 502), the node
(502, 504) or the server (503, or an unexpected exception: 500 with no internals in the body)
failed.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.journal import JournalClosed
from chain.errors import (
    CarbonLedgerError,
    ConfigurationError,
    ContractError,
    ExpiredSignature,
    InvalidAccountNonce,
    InvalidConsumptionPeriod,
    InvalidNamespace,
    InvalidProjectId,
    InvalidRequest,
    InvalidSerialRange,
    InvalidSignature,
    InvalidVintage,
    LedgerFault,
    NamespaceNotAllowed,
    SelfTransfer,
    TextBlank,
    TextNotAllowed,
    TextTooLong,
    TransactionError,
    TransactionTimeout,
    Unauthorized,
    UnknownLabels,
)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://carbon-ledger.dev/problems/"
log = logging.getLogger("carbon_ledger.api")


class Problem(CarbonLedgerError):
    """An HTTP error with a problem+json body; ``extra`` adds members (``errors``, ``held``)."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": TYPE_BASE + self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


def not_found(what: str) -> Problem:
    return Problem(404, "not-found", "Not found", f"{what} does not exist")


def problem_for(exc: CarbonLedgerError, *, signed: bool = False) -> Problem:
    """The HTTP face of a carbon-ledger error: contract errors keep their name and fields, and
    one the request's own fields explain also names them in ``errors``, as a 422 from
    validation does. ``signed``: the request was a signed body, whose contract fields are
    those of its ``typed_data.message``."""
    if isinstance(exc, Problem):
        return exc  # already the HTTP face
    if isinstance(exc, ContractError):
        # A bad signature is a failed authentication (401), a missing role a refusal (403); a
        # fault of the ledger's own code is the upstream's failure, not the request's (502).
        if isinstance(exc, SIGNATURE_ERRORS):
            code = 401
        elif isinstance(exc, Unauthorized):
            code = 403
        elif isinstance(exc, InvalidRequest):
            code = 422
        elif isinstance(exc, LedgerFault):
            code = 502
        else:
            code = 409
        extra: dict[str, Any] = {}
        fields = request_fields(exc, signed=signed)
        if fields:
            extra["errors"] = [{"field": field, "message": str(exc)} for field in fields]
        return Problem(
            code,
            exc.error_name,
            _TITLES.get(code, "Refused by the ledger"),
            str(exc),
            error=exc.error_name,
            arguments={k: _jsonable(v) for k, v in exc.arguments.items()},
            tx_hash=exc.tx_hash,
            **extra,
        )
    if isinstance(exc, TransactionTimeout):
        return Problem(504, "transaction-timeout", "Transaction not confirmed", str(exc))
    if isinstance(exc, ConfigurationError):
        return Problem(503, "misconfigured", "Server misconfigured", str(exc))
    if isinstance(exc, JournalClosed):
        return Problem(503, "shutting-down", "Server shutting down", str(exc))
    if isinstance(exc, TransactionError) and exc.tx_hash:
        # Mined and reverted, but no node could say why.
        return Problem(409, "reverted", "Transaction reverted", str(exc), tx_hash=exc.tx_hash)
    return Problem(502, "chain-unavailable", "Ledger unavailable", str(exc))


SIGNATURE_ERRORS = (InvalidSignature, ExpiredSignature, InvalidAccountNonce)
TEXT_ERRORS = (TextTooLong, TextNotAllowed, TextBlank)
_ABOUT: dict[type[ContractError], tuple[str, ...]] = {
    InvalidNamespace: ("namespace",),
    NamespaceNotAllowed: ("namespace",),
    InvalidProjectId: ("projectId",),
    SelfTransfer: ("to",),
    InvalidSerialRange: ("firstSerial", "lastSerial"),
    InvalidVintage: ("vintageStart", "vintageEnd"),
    InvalidConsumptionPeriod: ("consumptionStart", "consumptionEnd"),
    UnknownLabels: ("labels",),
}
"""The contract's fields each error is about (a text error names its own: ``field``)."""
_PROJECT_FIELDS = {
    "name": "project.name",
    "country": "project.country",
    "methodology": "project.methodology",
    "projectType": "project.type",
    "projectId": "project.id",
}
"""A project's fields: the ``project`` of a custodial and of a signed body alike."""
_CUSTODIAL_FIELDS = _PROJECT_FIELDS | {
    "registryReference": "registry_reference",
    # A custodial bridging's namespace and range are read from its serial by the registry's
    # adapter, which refuses every range the contract would: a range error is a holder's.
    "namespace": "serial",
    "firstSerial": "first_serial",
    "lastSerial": "last_serial",
    "vintageStart": "vintage_start",
    "vintageEnd": "vintage_end",
    "consumptionStart": "consumption_period.start",
    "consumptionEnd": "consumption_period.end",
}
"""Contract fields a custodial body names differently (the others keep their name)."""


def request_fields(exc: ContractError, *, signed: bool = False) -> list[str]:
    """The request fields a contract error is about, as the client wrote them (none if the
    error is about the ledger's state rather than a field)."""
    if isinstance(exc, TEXT_ERRORS):
        field = exc.arguments.get("field")
        about: tuple[str, ...] = (field,) if isinstance(field, str) else ()
    else:
        about = _ABOUT.get(type(exc), ())
    if signed:
        named = [_PROJECT_FIELDS.get(f, f"typed_data.message.{f}") for f in about]
    else:
        named = [_CUSTODIAL_FIELDS.get(f, f) for f in about]
    return list(dict.fromkeys(named))


_HTTP_TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    415: "Unsupported media type",
}
_TITLES = {
    401: "Signature not accepted",
    403: "Not allowed by the ledger",
    409: "Ledger state conflict",
    422: "Invalid request",
    502: "Ledger failed",
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, int) and abs(value) >= 2**53:
        return str(value)  # beyond what a JSON number keeps exactly
    return value


def _field(err: Any) -> str:
    """The field an error names, as the client wrote it: ``project.name``, ``header.X``.

    Location parts that start with ``~`` are the tags of a discriminated union (a custodial or
    a signed body), not fields; a body that is not JSON at all is ``body``."""
    if err.get("type") == "json_invalid":
        return "body"
    parts = [str(p) for p in err["loc"] if p != "body" and not str(p).startswith("~")]
    return ".".join(parts)


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    return JSONResponse(
        problem.body(str(request.url.path) if request else None),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc, request)

    async def on_ledger_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, CarbonLedgerError)
        return problem_response(problem_for(exc), request)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [{"field": _field(err), "message": err["msg"]} for err in exc.errors()]
        fields = ", ".join(e["field"] or "body" for e in errors)
        problem = Problem(
            422, "validation", "Invalid request", f"invalid fields: {fields}", errors=errors
        )
        return problem_response(problem, request)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        undecodable = exc.__cause__
        if exc.status_code == 400 and isinstance(undecodable, UnicodeDecodeError):
            # FastAPI answers a body that is not UTF-8 (RFC 8259 JSON must be) with a bare 400;
            # it is a malformed body like any other: a 422 naming it, and where it breaks.
            message = f"is not UTF-8 JSON: byte {undecodable.start} cannot be decoded"
            problem = Problem(
                422,
                "validation",
                "Invalid request",
                f"invalid fields: body ({message})",
                errors=[{"field": "body", "message": message}],
            )
            return problem_response(problem, request)
        title = _HTTP_TITLES.get(exc.status_code, "HTTP error")
        kind = title.lower().replace(" ", "-")
        problem = Problem(
            exc.status_code, kind, title, str(exc.detail), headers=dict(exc.headers or {})
        )
        return problem_response(problem, request)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        problem = Problem(500, "internal", "Internal error", "the server failed; it is logged")
        return problem_response(problem, request)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(CarbonLedgerError, on_ledger_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
