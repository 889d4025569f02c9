"""schemathesis against the served OpenAPI document, write routes, each with a key of the role
it needs, on the embedded chain: whatever it sends, no 5xx, and every answer is one the
document describes (status, content type, body schema).

Schema-valid bodies are mostly refused all the same (a serial its registry's format rejects,
a batch that does not exist), which the schema cannot say: the check that schema-valid input is
accepted is left out, as for the reads (tests/api/reads/test_fuzz.py)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.api.conftest import Api

OPERATIONS = [
    ("POST", "/v1/keys", "admin", 10),
    ("GET", "/v1/keys", "admin", 20),
    ("DELETE", "/v1/keys/{key_id}", "admin", 20),
    ("POST", "/v1/issuances", "issuer", 40),
    ("POST", "/v1/issuances/typed-data", "issuer", 30),
    ("POST", "/v1/transfers", "holder", 40),
    ("POST", "/v1/retirements", "holder", 40),
    ("POST", "/v1/retirements/typed-data", "holder", 30),
    ("POST", "/v1/detokenisations", "holder", 20),
    ("POST", "/v1/cancellations", "issuer", 20),
    ("POST", "/v1/cancellations", "program_admin", 20),
    ("PUT", "/v1/batches/{batch_id}/frozen", "compliance", 20),
    ("PUT", "/v1/batches/{batch_id}/labels", "program_admin", 20),
    ("POST", "/v1/pools/{id}/deposits", "holder", 20),
    ("POST", "/v1/pools/{id}/redemptions", "holder", 20),
    ("POST", "/v1/pools/{id}/retirements", "holder", 20),
    ("POST", "/v1/pools/{id}/transfers", "holder", 20),
    ("GET", "/v1/requests/{request_id}", "auditor", 20),
]


@pytest.mark.parametrize(("method", "path", "role", "examples"), OPERATIONS)
def test_writes_answer_as_documented(
    api: Api, method: str, path: str, role: str, examples: int
) -> None:
    schema: OpenApiSchema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    operation = schema[path][method]
    program = "VCS" if role in ("issuer", "program_admin") else None
    headers = api.admin if role == "admin" else api.key(role, program).headers

    @given(case=operation.as_strategy())
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    check()
