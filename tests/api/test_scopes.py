"""Every role against every write endpoint: exactly the scopes SPEC section 3 names get past
authorisation; everyone else is 403, and no key at all is 401. A request that gets past is
sent a body it must refuse (422) or a name that does not exist (404), so nothing happens."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from api import tables
from tests.api.conftest import Api, Key, issuance_body

ROLES = ("admin", "issuer", "program_admin", "holder", "compliance", "auditor")
PROGRAMME_ROLES = ("issuer", "program_admin")
# (method, path, body, the roles allowed, what an allowed caller gets for this request)
ENDPOINTS = [
    ("POST", "/v1/keys", {"role": "nobody"}, {"admin"}, 422),
    ("GET", "/v1/keys", None, {"admin"}, 200),
    ("DELETE", "/v1/keys/k_missing", None, {"admin"}, 404),
    ("POST", "/v1/issuances", {"program": "VCS"}, {"issuer"}, 422),
    ("POST", "/v1/issuances/typed-data", {"program": "VCS"}, {"issuer"}, 422),
    ("POST", "/v1/transfers", {"batch_id": 1}, {"holder"}, 422),
    ("POST", "/v1/retirements", {"batch_id": 1}, {"holder"}, 422),
    ("POST", "/v1/retirements/typed-data", {"batch_id": 1}, {"holder"}, 422),
    ("POST", "/v1/detokenisations", {"batch_id": 1}, {"holder"}, 422),
    ("POST", "/v1/cancellations", {"batch_id": 1}, {"issuer", "program_admin"}, 422),
    ("PUT", "/v1/batches/1/frozen", {"frozen": "maybe"}, {"compliance"}, 422),
    ("PUT", "/v1/batches/1/labels", {"labels": ["gold"]}, {"program_admin"}, 422),
    ("GET", "/v1/requests/missing", None, set(ROLES), 404),
]


@pytest.fixture
def keys(api: Api) -> dict[str, Key]:
    found = {role: api.key(role, "VCS" if role in PROGRAMME_ROLES else None) for role in ROLES}
    found["admin"] = Key("admin-bootstrap", "test-admin-key-0123456789", "admin", None)
    return found


def test_every_role_against_every_endpoint(api: Api, keys: dict[str, Key]) -> None:
    seen = []
    for method, path, body, allowed, status in ENDPOINTS:
        for role in (*ROLES, None):
            headers = keys[role].headers if role else {}
            answer = api.client.request(method, path, json=body, headers=headers)
            if role is None:
                expected = 401
            elif role in allowed:
                expected = status
            else:
                expected = 403
            seen.append((method, path, role, answer.status_code))
            assert answer.status_code == expected, (method, path, role, answer.text)
            if expected >= 400:
                assert answer.headers["content-type"] == "application/problem+json"
    assert len(seen) == len(ENDPOINTS) * (len(ROLES) + 1)
    assert api.ledger.admin.batch_count() == 0


def test_a_request_is_seen_by_its_key_and_the_overseers_only(
    api: Api, keys: dict[str, Key]
) -> None:
    holder = keys["holder"]
    other = api.key("holder")
    answer = api.post("/v1/transfers", holder, {"batch_id": 5, "to": other.address, "quantity": 1})
    assert answer.status_code == 422  # no such batch: refused, but recorded
    mine = sa.select(tables.submissions.c.id).where(tables.submissions.c.key_id == holder.id)
    with api.services.engine.connect() as conn:
        ids = conn.execute(mine).scalars().all()
    assert ids == []  # refused before anything was sent: no submission at all
    issuer, buyer = keys["issuer"], api.key("holder")
    bridged = api.post("/v1/issuances", issuer, issuance_body(buyer.address or ""))
    url = f"/v1/requests/{bridged.json()['id']}"
    for role, status in (
        ("issuer", 200),
        ("admin", 200),
        ("auditor", 200),
        ("program_admin", 404),
        ("holder", 404),
        ("compliance", 404),
    ):
        assert api.client.get(url, headers=keys[role].headers).status_code == status, role
