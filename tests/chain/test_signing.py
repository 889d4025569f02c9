"""chain.signing: EIP-712 requests that the contract accepts from a relayer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from eth_account import Account
from eth_utils.crypto import keccak

from chain.domain import Issuance, Purpose, RetirementRequest
from chain.errors import ExpiredSignature, InvalidSignature
from chain.signing import (
    BRIDGE_TYPE,
    DOMAIN_NAME,
    DOMAIN_VERSION,
    RETIRE_TYPE,
    bridge_typed_data,
    domain,
    recover_signer,
    retire_typed_data,
    sign_typed,
)
from tests.conftest import Ledger

CONTRACT = "0x" + "5a" * 20
CHAIN_ID = 1337
DEADLINE = 4_102_444_800  # 2100-01-01


def _issuance(recipient: str) -> Issuance:
    return Issuance(
        program_id=1,
        project_key=b"\x07" * 32,
        namespace="VCS-VCU-1507-VER-ET-14-1340-01012020-31122020",
        first_serial=941467007,
        last_serial=941467431,
        recipient=recipient,
        vintage_start=dt.date(2020, 1, 1),
        vintage_end=dt.date(2020, 12, 31),
        metadata_hash=b"\x11" * 32,
        registry_reference="19385",
    )


def _request() -> RetirementRequest:
    return RetirementRequest(
        7, 1001, 1100, "Hilti Corporation", Purpose.CORSIA, "CH", dt.date(2025, 1, 1), None
    )


def test_bridge_typed_data_recovers_to_the_signer() -> None:
    signer = Account.create()
    typed = bridge_typed_data(
        _issuance(signer.address), nonce=3, deadline=DEADLINE, chain_id=CHAIN_ID, contract=CONTRACT
    )
    signed = sign_typed(signer, typed)
    assert (signed.signer, signed.nonce, signed.deadline) == (signer.address, 3, DEADLINE)
    assert len(signed.signature) == 65
    assert recover_signer(typed, signed.signature) == signer.address


def test_retire_typed_data_recovers_to_the_signer() -> None:
    signer = Account.create()
    typed = retire_typed_data(
        _request(),
        holder=signer.address,
        nonce=0,
        deadline=DEADLINE,
        chain_id=CHAIN_ID,
        contract=CONTRACT,
    )
    assert typed["message"]["purpose"] == int(Purpose.CORSIA)
    assert typed["message"]["consumptionEnd"] == 0  # "not given"
    signed = sign_typed(signer, typed)
    assert recover_signer(typed, signed.signature) == signer.address


@pytest.mark.parametrize(
    "change",
    [{"chainId": CHAIN_ID + 1}, {"verifyingContract": "0x" + "5b" * 20}, {"version": "2"}],
    ids=["chain", "contract", "version"],
)
def test_the_domain_binds_the_signature(change: dict[str, Any]) -> None:
    signer = Account.create()
    typed = bridge_typed_data(
        _issuance(signer.address), nonce=0, deadline=DEADLINE, chain_id=CHAIN_ID, contract=CONTRACT
    )
    signature = sign_typed(signer, typed).signature
    other = {**typed, "domain": {**typed["domain"], **change}}
    assert recover_signer(other, signature) != signer.address


def _encode_type(primary: str, fields: list[dict[str, str]]) -> bytes:
    members = ",".join(f"{f['type']} {f['name']}" for f in fields)
    return f"{primary}({members})".encode()


def test_type_strings_match_the_contracts_typehashes(ledger: Ledger) -> None:
    functions = ledger.admin.contract.functions
    assert keccak(_encode_type("Bridge", BRIDGE_TYPE)) == functions.BRIDGE_TYPEHASH().call()
    assert keccak(_encode_type("Retire", RETIRE_TYPE)) == functions.RETIRE_TYPEHASH().call()


def test_domain_matches_the_contracts_eip712_domain(ledger: Ledger) -> None:
    fields, name, version, chain_id, contract, salt, extensions = (
        ledger.admin.contract.functions.eip712Domain().call()
    )
    assert fields == b"\x0f"  # name, version, chainId, verifyingContract; no salt
    assert (salt, extensions) == (b"\0" * 32, [])
    on_chain = {
        "name": name,
        "version": version,
        "chainId": chain_id,
        "verifyingContract": contract,
    }
    assert on_chain == domain(ledger.chain.w3.eth.chain_id, ledger.deployment.address)
    assert (name, version) == (DOMAIN_NAME, DOMAIN_VERSION)


def test_contract_accepts_a_relayed_bridge_and_advances_the_nonce(ledger: Ledger) -> None:
    issuer, relayer = ledger.issuer, ledger.bob
    issuance = ledger.issuance(1001, 2000)
    assert issuer.nonce(issuer.account) == 0
    signed = issuer.sign_bridge(issuance, deadline=DEADLINE)
    result = relayer.bridge_signed(issuance, signed)
    bridged = result.event("BatchBridged")
    assert bridged.fields["actor"] == issuer.account.lower()  # the signer acts, not the relayer
    assert issuer.nonce(issuer.account) == 1
    assert relayer.nonce(relayer.account) == 0
    assert ledger.admin.balance_of(ledger.alice.account, result.batch_id) == 1000
    # The same signature again: its nonce is spent, so it no longer verifies.
    with pytest.raises(InvalidSignature):
        relayer.bridge_signed(ledger.issuance(3001, 4000), signed)


def test_contract_accepts_a_relayed_retirement_and_advances_the_nonce(ledger: Ledger) -> None:
    ledger.issuer.bridge(ledger.issuance(1001, 2000))
    holder, relayer = ledger.alice, ledger.carol
    request = RetirementRequest(1, 1001, 1100, "Hilti Corporation")
    signed = holder.sign_retirement(request, deadline=DEADLINE)
    result = relayer.retire_signed(request, signed)
    retired = result.event("CreditsRetired")
    assert retired.fields["holder"] == holder.account.lower()
    assert retired.fields["actor"] == holder.account.lower()
    assert (result.first_serial, result.last_serial) == (1001, 1100)
    assert holder.nonce(holder.account) == 1
    assert ledger.admin.balance_of(holder.account, 1) == 900


def test_a_signature_for_another_request_is_refused(ledger: Ledger) -> None:
    ledger.issuer.bridge(ledger.issuance(1001, 2000))
    signed = ledger.alice.sign_retirement(RetirementRequest(1, 1001, 1100, "A"), deadline=DEADLINE)
    with pytest.raises(InvalidSignature) as info:
        ledger.carol.retire_signed(RetirementRequest(1, 1001, 1100, "B"), signed)
    assert info.value.arguments["signer"].lower() == ledger.alice.account.lower()
    assert ledger.alice.nonce(ledger.alice.account) == 0


def test_an_expired_signature_is_refused(ledger: Ledger) -> None:
    issuance = ledger.issuance(1001, 2000)
    signed = ledger.issuer.sign_bridge(issuance, deadline=1)
    with pytest.raises(ExpiredSignature) as info:
        ledger.bob.bridge_signed(issuance, signed)
    assert info.value.arguments == {"deadline": 1}
