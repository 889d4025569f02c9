"""``/v1/keys``: creation with custodial accounts provisioned on-chain, listing without
secrets, revocation."""

from __future__ import annotations

import pytest

from chain.client import LedgerClient
from chain.programmes import register_programme
from tests.api.conftest import ADMIN, Api


def test_a_holder_key_gets_an_allowlisted_funded_custodial_account(api: Api) -> None:
    answer = api.client.post("/v1/keys", json={"role": "holder"}, headers=api.admin)
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert set(data) == {"id", "key", "role", "scope", "address"}
    assert data["role"] == "holder" and data["scope"] == f"holder:{data['address']}"
    address = data["address"]
    ledger: LedgerClient = api.ledger.admin
    assert ledger.account_status(address).allowed
    assert api.ledger.chain.w3.eth.get_balance(ledger.w3.to_checksum_address(address)) > 0
    assert (api.folder / "keystores" / "custody" / f"{address}.json").exists()


def test_an_issuer_key_gets_its_programmes_issuer_role(api: Api) -> None:
    ledger = api.ledger.admin
    program_id = register_programme(ledger, "ACR")
    answer = api.client.post(
        "/v1/keys", json={"role": "issuer", "program": "ACR"}, headers=api.admin
    )
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert data["program"] == "ACR" and data["scope"] == "issuer:ACR"
    assert ledger.has_role(ledger.issuer_role(program_id), data["address"])
    assert not ledger.has_role(ledger.program_admin_role(program_id), data["address"])


def test_a_program_admin_key_gets_the_programmes_admin_role_and_no_allowlisting(api: Api) -> None:
    ledger = api.ledger.admin
    answer = api.client.post(
        "/v1/keys", json={"role": "program_admin", "program": "VCS"}, headers=api.admin
    )
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert data["role"] == "program_admin" and data["scope"] == "program-admin:VCS"
    address = data["address"]
    assert ledger.has_role(ledger.program_admin_role(api.ledger.vcs), address)
    assert not ledger.has_role(ledger.program_admin_role(api.ledger.gs), address)
    assert not ledger.has_role(ledger.issuer_role(api.ledger.vcs), address)
    assert not ledger.account_status(address).allowed  # it governs; it holds no credits
    listed = api.client.get("/v1/keys?role=program_admin", headers=api.admin).json()["keys"]
    assert [k["scope"] for k in listed] == ["program-admin:VCS"]


@pytest.mark.parametrize("role", ["issuer", "program_admin"])
def test_a_key_for_an_unregistered_programme_is_refused_and_registers_nothing(
    api: Api, role: str
) -> None:
    ledger = api.ledger.admin
    answer = api.client.post("/v1/keys", json={"role": role, "program": "ACR"}, headers=api.admin)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["type"].endswith("/unknown-programme")
    assert "ACR" in problem["detail"] and "register the programme first" in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == ["program"]
    assert ledger.program_id("ACR") == 0
    _nothing_written(api)


@pytest.mark.parametrize("role", ["issuer", "program_admin"])
def test_a_programme_the_operator_does_not_administer_is_refused_whole(api: Api, role: str) -> None:
    """A registry that keeps its programme's admin key to itself: the API cannot grant roles in
    it, and says who must. Nothing is left half-made: no key, no keystore."""
    ledger = api.ledger.admin
    registry = api.ledger.outsider.account
    program_id = ledger.register_program("ACR", registry)
    answer = api.client.post("/v1/keys", json={"role": role, "program": "ACR"}, headers=api.admin)
    assert answer.status_code == 409, answer.text
    problem = answer.json()
    assert problem["type"].endswith("/operator-not-programme-admin")
    assert problem["program"] == "ACR" and "registry's" in problem["detail"]
    assert f"programAdminRole({program_id})" in problem["detail"]
    _nothing_written(api)


def _nothing_written(api: Api) -> None:
    listed = api.client.get("/v1/keys", headers=api.admin).json()["keys"]
    assert listed == []
    folder = api.folder / "keystores" / "custody"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_keys_are_listed_without_secrets_and_revoked_at_once(api: Api) -> None:
    holder = api.key("holder")
    auditor = api.key("auditor")
    listed = api.client.get("/v1/keys", headers=api.admin)
    assert listed.status_code == 200
    text = listed.text
    assert holder.secret not in text and auditor.secret not in text
    ids = {k["id"]: k for k in listed.json()["keys"]}
    assert ids[auditor.id]["address"] is None and ids[auditor.id]["state"] == "active"
    assert api.client.get("/v1/requests/nope", headers=auditor.headers).status_code == 404
    revoked = api.client.delete(f"/v1/keys/{auditor.id}", headers=api.admin)
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    refused = api.client.get("/v1/requests/nope", headers=auditor.headers)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    again = api.client.delete(f"/v1/keys/{auditor.id}", headers=api.admin)
    assert again.status_code == 200 and again.json()["revoked_at"] == revoked.json()["revoked_at"]
    assert api.client.delete("/v1/keys/k_nonexistent", headers=api.admin).status_code == 404
    assert api.client.delete("/v1/keys/admin-bootstrap", headers=api.admin).status_code == 409


def test_only_admins_manage_keys(api: Api) -> None:
    holder = api.key("holder")
    assert (
        api.client.post("/v1/keys", json={"role": "auditor"}, headers=holder.headers).status_code
        == 403
    )
    assert api.client.get("/v1/keys", headers=holder.headers).status_code == 403
    assert api.client.get("/v1/keys").status_code == 401
    wrong = api.client.get("/v1/keys", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert (
        api.client.get("/v1/keys", headers={"Authorization": f"Basic {ADMIN}"}).status_code == 401
    )


def test_bad_key_bodies_are_422_naming_the_field(api: Api) -> None:
    cases = [
        ({"role": "issuer"}, "program"),
        ({"role": "holder", "program": "VCS"}, "program"),
        ({"role": "program_admin"}, "program"),
        ({"role": "compliance", "program": "VCS"}, "program"),
        ({"role": "king"}, "role"),
        ({"role": "issuer", "program": "vcs"}, "program"),
        ({"role": "holder", "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        answer = api.client.post("/v1/keys", json=body, headers=api.admin)
        assert answer.status_code == 422, (body, answer.text)
        assert field in [e["field"] for e in answer.json()["errors"]], answer.json()
