"""The served OpenAPI document describes the read routes as SPEC section 3 names them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.reads.support import get

READS = {
    "/v1/batches": [
        "program",
        "vintage",
        "country",
        "project",
        "label",
        "holder",
        "limit",
        "cursor",
    ],
    "/v1/batches/{id}": ["id", "ranges"],
    "/v1/batches/{id}/ranges": ["id", "limit", "cursor"],
    "/v1/accounts/{address}/holdings": ["address", "limit", "cursor"],
    "/v1/serials/{program}/{serial}": ["program", "serial", "namespace", "limit", "history_limit"],
    "/v1/retirements": ["batch_id", "holder", "beneficiary", "limit", "cursor"],
    "/v1/retirements/{id}": ["id"],
    "/v1/events": ["after_seq", "batch_id", "limit"],
    "/v1/stats": [],
    "/v1/audit/verify": ["refresh"],
}


def _schema(doc: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    name = ref["$ref"].rsplit("/", 1)[1]
    schema: dict[str, Any] = doc["components"]["schemas"][name]
    return schema


def test_every_read_route_is_documented(client: TestClient) -> None:
    doc = get(client, "/openapi.json")
    for path, params in READS.items():
        operation = doc["paths"][path]["get"]
        assert [p["name"] for p in operation.get("parameters", [])] == params, path
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert "$ref" in ok, path
        for status, response in operation["responses"].items():
            if status != "200":
                assert list(response["content"]) == ["application/problem+json"], (path, status)
        if "{" in path:
            assert "404" in operation["responses"] or path.endswith("holdings"), path


def test_the_audit_result_and_big_integers(client: TestClient) -> None:
    doc = get(client, "/openapi.json")
    verify = _schema(
        doc,
        doc["paths"]["/v1/audit/verify"]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ],
    )
    assert {"ok", "audit_seq", "audit_head", "discrepancies"} <= set(verify["required"])
    batch = doc["components"]["schemas"]["BatchSummary"]["properties"]
    assert batch["first_serial"]["anyOf"] == [
        {"type": "integer"},
        {"type": "string", "pattern": "^-?[0-9]+$"},
    ]
    assert batch["id"]["type"] == "integer"
