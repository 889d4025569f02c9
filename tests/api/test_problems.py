"""``api.problems.problem_for``: a contract error, decoded from the revert bytes the contract
returns, is a problem+json with the error's name and arguments and, when the request's own
fields explain it, an ``errors`` entry naming each as the client wrote it: in a custodial body
or in a signed body's ``typed_data.message``."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from eth_utils.crypto import keccak

from api.journal import JournalClosed
from api.problems import Problem, problem_for
from chain._revert import decode_revert
from chain.artifacts import ledger_abi
from chain.errors import (
    CarbonLedgerError,
    ConfigurationError,
    ContractError,
    NodeUnavailable,
    TransactionTimeout,
)

ABI = ledger_abi()
HOLDER = "0x" + "ab" * 20


def reverted(name: str, *values: Any) -> ContractError:
    """The error the ledger's ABI decodes from the revert bytes of ``name(values)``."""
    (spec,) = [e for e in ABI if e.get("type") == "error" and e["name"] == name]
    types = [i["type"] for i in spec["inputs"]]
    selector = keccak(text=f"{name}({','.join(types)})")[:4]
    error = decode_revert(selector + encode(types, list(values)), ABI, tx_hash="0x" + "01" * 32)
    assert error is not None and error.error_name == name
    return error


CASES = [
    # error, its arguments, the field in a custodial body, the field in a signed body
    ("TextTooLong", ("beneficiary", 300, 256), "beneficiary", "typed_data.message.beneficiary"),
    ("TextNotAllowed", ("note", 4), "note", "typed_data.message.note"),
    ("TextBlank", ("jurisdiction",), "jurisdiction", "typed_data.message.jurisdiction"),
    ("TextBlank", ("name",), "project.name", "project.name"),
    ("TextNotAllowed", ("projectType", 0), "project.type", "project.type"),
    (
        "TextTooLong",
        ("registryReference", 129, 128),
        "registry_reference",
        "typed_data.message.registryReference",
    ),
    ("InvalidNamespace", ("vcs-vcu",), "serial", "typed_data.message.namespace"),
    ("NamespaceNotAllowed", (1, "VCSVCU"), "serial", "typed_data.message.namespace"),
    ("InvalidProjectId", (3, "ACR1185"), "project.id", "project.id"),
    ("SelfTransfer", (HOLDER,), "to", None),  # transfers have no signed form
]


@pytest.mark.parametrize(("name", "values", "custodial", "signed"), CASES)
def test_a_contract_error_about_a_field_is_a_422_naming_the_request_field(
    name: str, values: tuple[Any, ...], custodial: str, signed: str | None
) -> None:
    error = reverted(name, *values)
    forms = [(False, custodial)] + ([(True, signed)] if signed else [])
    for form, field in forms:
        problem = problem_for(error, signed=form)
        body = problem.body()
        assert problem.status == 422
        assert body["type"].endswith("/" + name) and body["error"] == name
        assert body["arguments"] == error.arguments
        assert body["tx_hash"] == error.tx_hash
        assert body["errors"] == [{"field": field, "message": str(error)}]


def test_a_range_error_names_both_ends() -> None:
    error = reverted("InvalidSerialRange", 10, 5)
    assert [e["field"] for e in problem_for(error, signed=True).body()["errors"]] == [
        "typed_data.message.firstSerial",
        "typed_data.message.lastSerial",
    ]
    assert [e["field"] for e in problem_for(error).body()["errors"]] == [
        "first_serial",
        "last_serial",
    ]


def test_an_error_about_the_ledgers_state_names_no_field() -> None:
    error = reverted("SerialsAlreadyBridged", 1, "VCS-VCU", 1, 10)
    problem = problem_for(error, signed=True)
    assert problem.status == 409 and "errors" not in problem.body()


# ------------------------------------------------------------ the statuses of the error tree


@pytest.mark.parametrize(
    ("name", "values", "status", "title"),
    [
        # A number the caller gave that does not fit its field: the request's fault.
        ("SafeCastOverflowedUintDowncast", (48, 2**64), 422, "Invalid request"),
        ("StringTooLong", ("a name longer than thirty-one bytes",), 422, "Invalid request"),
        ("InvalidInitialization", (), 409, "Ledger state conflict"),
        # The ledger's own code or deployment failed: the upstream's fault, not the request's.
        ("FailedCall", (), 502, "Ledger failed"),
        ("AddressEmptyCode", (HOLDER,), 502, "Ledger failed"),
        ("NotInitializing", (), 502, "Ledger failed"),
        ("InvalidShortString", (), 502, "Ledger failed"),
    ],
)
def test_the_inherited_openzeppelin_errors_have_their_own_status(
    name: str, values: tuple[Any, ...], status: int, title: str
) -> None:
    error = reverted(name, *values)
    problem = problem_for(error)
    body = problem.body()
    assert (problem.status, body["title"]) == (status, title)
    assert body["type"].endswith("/" + name) and body["error"] == name
    assert "errors" not in body  # about no field of the request


def test_a_large_argument_is_a_string_in_the_problem() -> None:
    body = problem_for(reverted("SafeCastOverflowedUintDowncast", 48, 2**64)).body()
    assert body["arguments"] == {"bits": 48, "value": str(2**64)}


def test_a_problem_is_its_own_http_face() -> None:
    problem = Problem(418, "teapot", "I'm a teapot", "short and stout")
    assert isinstance(problem, CarbonLedgerError) and problem_for(problem) is problem


def test_a_write_as_the_server_stops_is_a_503() -> None:
    problem = problem_for(JournalClosed("the journal is closed"))
    assert (problem.status, problem.kind) == (503, "shutting-down")


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        (NodeUnavailable("eth_call failed: connection refused"), 502, "chain-unavailable"),
        (TransactionTimeout("no receipt"), 504, "transaction-timeout"),
        (ConfigurationError("no deployment.json"), 503, "misconfigured"),
    ],
)
def test_errors_beyond_the_contract_keep_their_status(
    error: CarbonLedgerError, status: int, kind: str
) -> None:
    problem = problem_for(error)
    assert (problem.status, problem.kind) == (status, kind)
