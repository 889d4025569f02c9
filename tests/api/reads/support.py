"""Helpers for the read-route tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

PROBLEM_JSON = "application/problem+json"


def get(client: TestClient, url: str, status: int = 200, **params: Any) -> Any:
    """GET ``url``; assert the status (and problem+json for errors); the decoded body."""
    response = client.get(url, params=params or None)
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"] == PROBLEM_JSON
    return response.json()


def invalid_fields(client: TestClient, url: str, **params: Any) -> list[str]:
    """The fields a 422 names."""
    body = get(client, url, 422, **params)
    assert body["status"] == 422 and body["type"].endswith("/validation")
    return [e["field"] for e in body["errors"]]


def walk(client: TestClient, url: str, **params: Any) -> list[Any]:
    """Every item of a cursor-paginated list, following ``next`` links to the end."""
    items: list[Any] = []
    body = get(client, url, **params)
    pages = 1
    while True:
        items.extend(body["items"])
        if body["next"] is None:
            assert body.get("next_cursor", body.get("next_after_seq")) is None
            return items
        pages += 1
        assert pages < 10_000, "pagination does not end"
        body = get(client, body["next"])
