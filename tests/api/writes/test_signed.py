"""Signed requests: a registry's (or holder's) own key signs the contract's EIP-712 typed data,
the API relays it and never sees the key. Expired, replayed, wrong-chain, wrong-contract,
tampered and wrong-signer signatures are 401, and nothing happens on chain."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount

from tests.api.conftest import Api, Key, issuance_body

FIRST, LAST = 941467007, 941467431


def sign(account: LocalAccount, typed: dict[str, Any]) -> str:
    return "0x" + bytes(account.sign_message(encode_typed_data(full_message=typed)).signature).hex()


@pytest.fixture
def issuer(api: Api) -> Key:
    return api.key("issuer", "VCS")


@pytest.fixture
def registry(api: Api) -> LocalAccount:
    """The registry's own key: the fixture's VCS issuer account, which the API never holds."""
    assert api.ledger.issuer.sender is not None
    return api.ledger.issuer.sender.account


def typed_issuance(
    api: Api, issuer: Key, signer: str, recipient: str, **extra: Any
) -> dict[str, Any]:
    body = issuance_body(recipient) | {"signer": signer} | extra
    answer = api.post("/v1/issuances/typed-data", issuer, body)
    assert answer.status_code == 200, answer.text
    typed: dict[str, Any] = answer.json()["typed_data"]
    return typed


def state(api: Api, signer: str) -> tuple[int, int]:
    return api.ledger.admin.batch_count(), api.ledger.admin.nonce(signer)


def test_a_registry_signed_issuance_is_relayed(
    api: Api, issuer: Key, registry: LocalAccount
) -> None:
    holder = api.key("holder")
    typed = typed_issuance(api, issuer, registry.address, holder.address or "")
    body = {"typed_data": typed, "signer": registry.address, "signature": sign(registry, typed)}
    answer = api.post("/v1/issuances", issuer, body)
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert (data["first_serial"], data["last_serial"], data["quantity"]) == (FIRST, LAST, 425)
    chain = api.ledger.admin
    receipt = chain.w3.eth.get_transaction_receipt(data["tx_hash"])
    bridged = next(e for e in chain._result(receipt).events if e.name == "BatchBridged")
    assert bridged.fields["actor"] == registry.address.lower()  # the signer, not the relayer
    assert receipt["from"].lower() == issuer.address  # the key's custodial account paid
    assert chain.balance_of(holder.address or "", data["batch_id"]) == 425
    # The same signature again is a replay.
    again = api.post("/v1/issuances", issuer, body)
    assert again.status_code == 401 and again.json()["type"].endswith("replayed-signature")


def _refused(api: Api, issuer: Key, body: dict[str, Any], kind: str, signer: str) -> None:
    before = state(api, signer)
    answer = api.post("/v1/issuances", issuer, body)
    assert answer.status_code == 401, answer.text
    assert answer.json()["type"].endswith(kind), answer.json()
    assert state(api, signer) == before  # nothing happened


def test_bad_signatures_are_401_and_nothing_happens(
    api: Api, issuer: Key, registry: LocalAccount
) -> None:
    recipient = api.ledger.alice.account
    typed = typed_issuance(api, issuer, registry.address, recipient)
    good = {"typed_data": typed, "signer": registry.address, "signature": sign(registry, typed)}

    expired = typed_issuance(api, issuer, registry.address, recipient, deadline=1_000_000)
    body = {"typed_data": expired, "signer": registry.address, "signature": sign(registry, expired)}
    _refused(api, issuer, body, "expired-signature", registry.address)

    other_chain = copy.deepcopy(typed)
    other_chain["domain"]["chainId"] = 1
    body = {
        "typed_data": other_chain,
        "signer": registry.address,
        "signature": sign(registry, other_chain),
    }
    _refused(api, issuer, body, "wrong-chain", registry.address)

    other_contract = copy.deepcopy(typed)
    other_contract["domain"]["verifyingContract"] = "0x" + "12" * 20
    body = {
        "typed_data": other_contract,
        "signer": registry.address,
        "signature": sign(registry, other_contract),
    }
    _refused(api, issuer, body, "wrong-chain", registry.address)

    tampered = copy.deepcopy(good)
    tampered["typed_data"]["message"]["lastSerial"] = LAST + 1000
    _refused(api, issuer, tampered, "wrong-signer", registry.address)

    stranger: LocalAccount = Account.create()
    body = {"typed_data": typed, "signer": registry.address, "signature": sign(stranger, typed)}
    _refused(api, issuer, body, "wrong-signer", registry.address)

    # A valid signature, by someone who is not an issuer of the programme.
    typed_by_alice = typed_issuance(api, issuer, api.ledger.alice.account, recipient)
    alice = api.ledger.alice.sender
    assert alice is not None
    body = {
        "typed_data": typed_by_alice,
        "signer": alice.address,
        "signature": sign(alice.account, typed_by_alice),
    }
    _refused(api, issuer, body, "wrong-signer", alice.address)

    ahead = copy.deepcopy(typed)
    ahead["message"]["nonce"] += 1
    body = {"typed_data": ahead, "signer": registry.address, "signature": sign(registry, ahead)}
    _refused(api, issuer, body, "early-signature", registry.address)

    assert api.post("/v1/issuances", issuer, good).status_code == 201


def test_a_signature_the_chain_refuses_when_mined_is_401(
    api: Api, issuer: Key, registry: LocalAccount
) -> None:
    """Valid when checked, expired by the time it is mined: the contract's ExpiredSignature."""
    now = api.ledger.chain.w3.eth.get_block("latest")["timestamp"]
    typed = typed_issuance(api, issuer, registry.address, api.ledger.alice.account, deadline=now)
    body = {"typed_data": typed, "signer": registry.address, "signature": sign(registry, typed)}
    answer = api.post("/v1/issuances", issuer, body)
    assert answer.status_code == 401, answer.text
    assert api.ledger.admin.batch_count() == 0


def test_a_signed_issuance_can_register_its_project(
    api: Api, issuer: Key, registry: LocalAccount
) -> None:
    serial = "19380-941382555-941382741-VCS-VCU-1310-VER-CN-13-3005-01012022-31102022-0"
    project = {"id": "3005", "name": "Tongxu wind", "country": "CN"}
    extra = {
        "serial": serial,
        "project": project,
        "vintage_start": "2022-01-01",
        "vintage_end": "2022-10-31",
    }
    typed = typed_issuance(api, issuer, registry.address, api.ledger.alice.account, **extra)
    body = {"typed_data": typed, "signer": registry.address, "signature": sign(registry, typed)}
    missing = api.post("/v1/issuances", issuer, body)
    assert missing.status_code == 422, missing.text
    assert missing.json()["errors"][0]["field"] == "typed_data.message.projectKey"
    answer = api.post("/v1/issuances", issuer, body | {"project": project})
    assert answer.status_code == 201, answer.text


def test_a_holder_signed_retirement_is_relayed(api: Api, issuer: Key) -> None:
    alice = api.ledger.alice.sender
    assert alice is not None
    minted = api.post("/v1/issuances", issuer, issuance_body(alice.address))
    batch = minted.json()["batch_id"]
    relay = api.key("holder")
    ask = {
        "batch_id": batch,
        "quantity": 25,
        "beneficiary": "Hilti",
        "purpose": "voluntary",
        "holder": alice.address,
    }
    answer = api.post("/v1/retirements/typed-data", relay, ask)
    assert answer.status_code == 200, answer.text
    typed = answer.json()["typed_data"]
    assert typed["message"]["firstSerial"] == FIRST and typed["message"]["lastSerial"] == FIRST + 24
    body = {"typed_data": typed, "signature": sign(alice.account, typed)}
    retired = api.post("/v1/retirements", relay, body)
    assert retired.status_code == 201, retired.text
    data = retired.json()
    assert data["holder"] == alice.address.lower() and data["quantity"] == 25
    assert api.ledger.admin.batch(batch).retired == 25
    replay = api.post("/v1/retirements", relay, body)
    assert replay.status_code == 401
    forged = {"typed_data": typed, "signature": sign(Account.create(), typed)}
    assert api.post("/v1/retirements", relay, forged).status_code == 401
    assert api.ledger.admin.batch(batch).retired == 25


def test_malformed_signed_bodies_are_422(api: Api, issuer: Key, registry: LocalAccount) -> None:
    typed = typed_issuance(api, issuer, registry.address, api.ledger.alice.account)
    cases = [
        ({"typed_data": typed, "signer": registry.address, "signature": "nothex"}, "signature"),
        ({"typed_data": typed, "signature": "0x00"}, "signer"),
        (
            {
                "typed_data": typed | {"primaryType": "Retire"},
                "signer": registry.address,
                "signature": "0x00",
            },
            "typed_data.primaryType",
        ),
    ]
    for body, field in cases:
        answer = api.post("/v1/issuances", issuer, body)
        assert answer.status_code == 422, answer.text
        assert field in [e["field"] for e in answer.json()["errors"]], answer.json()
