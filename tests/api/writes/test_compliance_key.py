"""The API's compliance key: batch freezes and the allowlisting of custodial accounts are
signed with ``CARBON_LEDGER_COMPLIANCE_KEY`` (the operator's on the dev chain only), and a
server without one, or whose key lacks ``COMPLIANCE_ROLE``, refuses them before anything is
written."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import SecretStr

from api.serve import compliance_account
from chain.errors import ConfigurationError
from tests.api.conftest import Api, api_settings, issuance_body, running_api
from tests.conftest import Ledger


def _sender(api: Api, tx_hash: str) -> str:
    return str(api.ledger.chain.w3.eth.get_transaction(tx_hash)["from"]).lower()


def _keystores(api: Api) -> list[Path]:
    folder = api.folder / "keystores" / "custody"
    return sorted(folder.glob("*.json")) if folder.exists() else []


def _problem(answer: object, status: int, kind: str) -> dict[str, object]:
    assert answer.status_code == status, answer.text  # type: ignore[attr-defined]
    body: dict[str, object] = answer.json()  # type: ignore[attr-defined]
    assert body["type"] == f"https://carbon-ledger.dev/problems/{kind}", body
    return body


def test_a_separate_compliance_key_allowlists_and_freezes(ledger: Ledger, tmp_path: Path) -> None:
    compliance: LocalAccount = ledger.chain.accounts[7]
    admin = ledger.admin
    admin.grant_role(admin.role("COMPLIANCE_ROLE"), compliance.address)
    admin.revoke_role(admin.role("COMPLIANCE_ROLE"), admin.account)  # the operator lacks it now
    with running_api(ledger, tmp_path, compliance=compliance) as api:
        holder = api.key("holder")
        assert holder.address is not None
        assert admin.account_status(holder.address).allowed
        issuer = api.key("issuer", "VCS")
        made = api.post("/v1/issuances", issuer, issuance_body(holder.address))
        assert made.status_code == 201, made.text
        batch = made.json()["batch_id"]

        path = f"/v1/batches/{batch}/frozen"
        frozen = api.client.put(path, json={"frozen": True}, headers=api.key("compliance").headers)
        assert frozen.status_code == 200, frozen.text
        assert admin.batch(batch).frozen
        assert _sender(api, frozen.json()["tx_hash"]) == compliance.address.lower()


def test_a_server_without_a_compliance_key_refuses_compliance_actions_whole(
    ledger: Ledger, tmp_path: Path
) -> None:
    ledger.issuer.bridge(ledger.issuance(1, 100))
    with running_api(ledger, tmp_path, compliance=None) as api:
        for body in ({"role": "holder"}, {"role": "issuer", "program": "VCS"}):
            refused = api.client.post("/v1/keys", json=body, headers=api.admin)
            problem = _problem(refused, 503, "no-compliance-key")
            assert "CARBON_LEDGER_COMPLIANCE_KEY" in str(problem["detail"])
        assert _keystores(api) == []
        assert api.client.get("/v1/keys", headers=api.admin).json()["keys"] == []

        freeze = api.client.put(
            "/v1/batches/1/frozen", json={"frozen": True}, headers=api.key("compliance").headers
        )
        _problem(freeze, 503, "no-compliance-key")
        assert not ledger.admin.batch(1).frozen
        # A programme admin holds no credits: it needs no allowlisting, so no compliance key.
        assert api.key("program_admin", "VCS").address is not None


def test_a_compliance_key_without_its_role_is_refused_naming_the_key(
    ledger: Ledger, tmp_path: Path
) -> None:
    ledger.issuer.bridge(ledger.issuance(1, 100))
    stranger: LocalAccount = ledger.chain.accounts[8]
    with running_api(ledger, tmp_path, compliance=stranger) as api:
        refused = api.client.post("/v1/keys", json={"role": "holder"}, headers=api.admin)
        problem = _problem(refused, 409, "compliance-key-lacks-role")
        assert problem["account"] == stranger.address.lower()
        assert stranger.address.lower() in str(problem["detail"])
        assert _keystores(api) == []
        freeze = api.client.put(
            "/v1/batches/1/frozen", json={"frozen": True}, headers=api.key("compliance").headers
        )
        _problem(freeze, 409, "compliance-key-lacks-role")
        assert not ledger.admin.batch(1).frozen
        assert api.ledger.chain.w3.eth.get_transaction_count(stranger.address) == 0


OPERATOR_KEY = "0x" + "11" * 32
COMPLIANCE_KEY = "0x" + "22" * 32


def test_which_key_signs_compliance_actions(tmp_path: Path) -> None:
    operator: LocalAccount = Account.from_key(OPERATOR_KEY)
    unset = api_settings(tmp_path)
    assert compliance_account(unset, operator, local_chain=True) is operator
    assert compliance_account(unset, operator, local_chain=False) is None
    named = api_settings(tmp_path, compliance_key=SecretStr(COMPLIANCE_KEY))
    for local in (True, False):
        account = compliance_account(named, operator, local_chain=local)
        assert account is not None
        assert account.address == Account.from_key(COMPLIANCE_KEY).address


def test_a_bad_or_shared_compliance_key_is_refused_at_start(tmp_path: Path) -> None:
    operator: LocalAccount = Account.from_key(OPERATOR_KEY)
    bad = api_settings(tmp_path, compliance_key=SecretStr("0x1234"))
    with pytest.raises(ConfigurationError, match="COMPLIANCE_KEY is not a valid private key"):
        compliance_account(bad, operator, local_chain=False)
    shared = api_settings(tmp_path, compliance_key=SecretStr(OPERATOR_KEY))
    with pytest.raises(ConfigurationError, match="is the operator's key"):
        compliance_account(shared, operator, local_chain=False)
    assert compliance_account(shared, operator, local_chain=True) is not None  # the dev chain
