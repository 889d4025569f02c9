"""schemathesis against the served OpenAPI document, read routes only, on the filled store:
whatever it sends, no 5xx, and every answer matches what the document says (status, content
type, body schema); invalid input is refused with a 4xx.

Schema-valid input may still be a 422: a cursor the API never issued, a serial its registry's
format rejects, a programme without a serial format. The schema cannot say that, so the check
that every schema-valid request is accepted is left out. Driven from plain hypothesis
(schemathesis's pytest plugin does not run on pytest 9)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from schemathesis.specs.openapi.schemas import OpenApiSchema

from api.app import create_app
from api.deps import Services
from tests.api.reads.conftest import Filled
from tests.api.reads.conftest import settings as app_settings
from tests.api.reads.test_openapi import READS


@pytest.fixture(scope="session")
def read_schema(filled: Filled) -> OpenApiSchema:
    app = create_app(Services(app_settings(), filled.engines["sqlite"]))
    loaded: OpenApiSchema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return loaded


@pytest.mark.parametrize("path", sorted(READS))
def test_reads_answer_as_documented(read_schema: OpenApiSchema, path: str) -> None:
    operation = read_schema[path]["GET"]

    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    check()
