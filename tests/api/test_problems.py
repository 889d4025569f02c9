"""``api.problems.problem_for``: a contract error, decoded from the revert bytes the contract
returns, is a problem+json with the error's name and arguments and, when the request's own
fields explain it, an ``errors`` entry naming each as the client wrote it: in a custodial body
or in a signed body's ``typed_data.message``."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from eth_utils.crypto import keccak

from api.problems import problem_for
from chain._revert import decode_revert
from chain.artifacts import ledger_abi
from chain.errors import ContractError

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
