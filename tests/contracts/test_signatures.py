"""EIP-712 signed requests: bridgings authorised by a registry's key and retirements authorised
by a holder's key, relayed by anyone; deadlines, nonces, replay and every way a signature can
fail to match."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from eth_utils.crypto import keccak

from chain.domain import Label, Purpose, RangeState, RetirementRequest
from chain.errors import (
    AccessControlUnauthorizedAccount,
    AccountNotAllowed,
    EnforcedPause,
    ExpiredSignature,
    InsufficientCredits,
    InvalidSignature,
    LabelRequired,
    SerialsAlreadyBridged,
)
from chain.signing import (
    BRIDGE_TYPE,
    RETIRE_TYPE,
    SignedRequest,
    bridge_typed_data,
    recover_signer,
    retire_typed_data,
    sign_typed,
)
from tests.conftest import Ledger
from tests.contracts._helpers import (
    GS_PROJECT,
    VCS_NS,
    ZERO,
    addr,
    bridge_range,
    expect_events,
    invariants,  # noqa: F401  (autouse fixture)
    issuance,
    issuance_fields,
    moved,
    next_block_timestamp,
    ranges,
    retirement_fields,
    reverts,
    send,
    to_checksum,
)

HELD, RETIRED = RangeState.HELD, RangeState.RETIRED


def _deadline(ledger: Ledger, after: int = 3600) -> int:
    return next_block_timestamp(ledger) + after


def _chain_id(ledger: Ledger) -> int:
    return int(ledger.chain.w3.eth.chain_id)


# ---------------------------------------------------------------- domain and type hashes


def test_eip712_domain_names_this_chain_and_contract(ledger: Ledger) -> None:
    fields, name, version, chain_id, contract, salt, extensions = (
        ledger.admin.contract.functions.eip712Domain().call()
    )
    assert fields == b"\x0f"  # name, version, chainId, verifyingContract
    assert (name, version) == ("CarbonLedger", "1")
    assert chain_id == _chain_id(ledger)
    assert contract == ledger.deployment.address
    assert (salt, extensions) == (b"\0" * 32, [])


def test_type_hashes_match_the_client_types(ledger: Ledger) -> None:
    def type_hash(name: str, fields: list[dict[str, str]]) -> bytes:
        inner = ",".join(f"{f['type']} {f['name']}" for f in fields)
        return keccak(f"{name}({inner})".encode())

    fn = ledger.admin.contract.functions
    assert fn.BRIDGE_TYPEHASH().call() == type_hash("Bridge", BRIDGE_TYPE)
    assert fn.RETIRE_TYPEHASH().call() == type_hash("Retire", RETIRE_TYPE)


# ---------------------------------------------------------------- signed bridging


def test_a_signed_bridging_is_relayed_by_a_third_party(ledger: Ledger) -> None:
    i = issuance(ledger, 1001, 2000)
    assert ledger.admin.nonce(ledger.issuer.account) == 0
    signed = ledger.issuer.sign_bridge(i, deadline=_deadline(ledger))
    assert signed.signer == ledger.issuer.account and signed.nonce == 0

    result = ledger.outsider.bridge_signed(i, signed)  # the outsider pays, the issuer acts

    expect_events(
        result,
        (
            "BatchBridged",
            {"batchId": 1, "actor": addr(ledger.issuer), "issuance": issuance_fields(i)},
        ),
        moved(1, ZERO, ledger.alice, 1001, 2000, HELD, ledger.issuer),
    )
    assert ledger.admin.nonce(ledger.issuer.account) == 1
    assert ledger.admin.nonce(ledger.outsider.account) == 0
    assert ranges(ledger, 1) == [(1001, 2000, "alice", HELD)]


def test_a_signed_bridging_is_accepted_up_to_its_deadline_inclusive(ledger: Ledger) -> None:
    i = issuance(ledger, 1, 10)
    # Pin the relaying block to the deadline: the embedded chain's clock follows the wall clock,
    # which a loaded machine moves on between signing and mining.
    deadline = next_block_timestamp(ledger) + 60
    ledger.chain.time_travel(deadline)
    signed = ledger.issuer.sign_bridge(i, deadline=deadline)
    result = ledger.bob.bridge_signed(i, signed)
    assert ledger.chain.w3.eth.get_block(result.block_number)["timestamp"] == deadline


def test_an_expired_signed_bridging_is_refused(ledger: Ledger) -> None:
    i = issuance(ledger, 1, 10)
    deadline = next_block_timestamp(ledger) - 1
    signed = ledger.issuer.sign_bridge(i, deadline=deadline)
    with reverts(ExpiredSignature, deadline=deadline):
        ledger.bob.bridge_signed(i, signed)
    assert ledger.admin.nonce(ledger.issuer.account) == 0


def test_a_signed_bridging_cannot_be_replayed(ledger: Ledger) -> None:
    i = issuance(ledger, 1, 10)
    signed = ledger.issuer.sign_bridge(i, deadline=_deadline(ledger))
    ledger.bob.bridge_signed(i, signed)
    with reverts(InvalidSignature, signer=addr(ledger.issuer)):  # the nonce has moved on
        ledger.bob.bridge_signed(i, signed)
    # Not even for other serials: the signature commits to the issuance.
    other = issuance(ledger, 11, 20)
    with reverts(InvalidSignature, signer=addr(ledger.issuer)):
        ledger.bob.bridge_signed(other, signed)


def test_a_signature_for_a_stale_or_future_nonce_is_refused(ledger: Ledger) -> None:
    first, second = issuance(ledger, 1, 10), issuance(ledger, 11, 20)
    a = ledger.issuer.sign_bridge(first, deadline=_deadline(ledger))
    b = ledger.issuer.sign_bridge(second, deadline=_deadline(ledger))  # same nonce 0
    ledger.bob.bridge_signed(first, a)
    with reverts(InvalidSignature, signer=addr(ledger.issuer)):
        ledger.bob.bridge_signed(second, b)
    future = _sign_bridge_with(ledger, second, nonce=5)
    with reverts(InvalidSignature, signer=addr(ledger.issuer)):
        ledger.bob.bridge_signed(second, future)
    ledger.bob.bridge_signed(second, ledger.issuer.sign_bridge(second, deadline=_deadline(ledger)))
    assert ledger.admin.nonce(ledger.issuer.account) == 2


def test_a_signed_bridging_by_a_non_issuer_is_refused(ledger: Ledger) -> None:
    i = issuance(ledger, 1, 10)
    signed = ledger.alice.sign_bridge(i, deadline=_deadline(ledger))
    role = ledger.admin.issuer_role(ledger.vcs)
    with reverts(AccessControlUnauthorizedAccount, account=addr(ledger.alice), neededRole=role):
        ledger.bob.bridge_signed(i, signed)
    # ... including the other programme's issuer.
    gs = ledger.gs_issuer.sign_bridge(i, deadline=_deadline(ledger))
    with reverts(AccessControlUnauthorizedAccount, account=addr(ledger.gs_issuer), neededRole=role):
        ledger.bob.bridge_signed(i, gs)


def test_a_signer_field_that_is_not_the_actual_signer_is_refused(ledger: Ledger) -> None:
    ledger.admin.grant_issuer(ledger.vcs, ledger.carol.account)  # carol is a VCS issuer too
    i = issuance(ledger, 1, 10)
    by_carol = ledger.carol.sign_bridge(i, deadline=_deadline(ledger))
    claimed = dataclasses.replace(by_carol, signer=ledger.issuer.account)
    with reverts(InvalidSignature, signer=addr(ledger.issuer)):
        ledger.bob.bridge_signed(i, claimed)
    # A non-issuer's signature presented as the issuer's fails the same way.
    by_alice = dataclasses.replace(
        ledger.alice.sign_bridge(i, deadline=_deadline(ledger)), signer=ledger.issuer.account
    )
    with reverts(InvalidSignature, signer=addr(ledger.issuer)):
        ledger.bob.bridge_signed(i, by_alice)


@pytest.mark.parametrize("where", ["other-chain-id", "other-contract"])
def test_a_bridging_signed_for_another_domain_is_refused(ledger: Ledger, where: str) -> None:
    i = issuance(ledger, 1, 10)
    if where == "other-chain-id":
        signed = _sign_bridge_with(ledger, i, chain_id=_chain_id(ledger) + 1)
    else:
        signed = _sign_bridge_with(ledger, i, contract="0x" + "5a" * 20)
    with reverts(InvalidSignature, signer=addr(ledger.issuer)):
        ledger.bob.bridge_signed(i, signed)


@pytest.mark.parametrize(
    "change",
    [
        {"last_serial": 11},
        {"first_serial": 0},
        {"namespace": "VCS-OTHER"},
        {"labels": Label.CORSIA_ELIGIBLE},
        {"metadata_hash": b"\x22" * 32},
        {"registry_reference": "19386"},
        {"vintage_end": dt.date(2021, 12, 31)},
        {"vintage_start": dt.date(2020, 1, 2)},
        {"recipient": "bob"},
        {"project_key": "other"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_a_signed_bridging_tampered_after_signing_is_refused(
    ledger: Ledger, change: dict[str, Any]
) -> None:
    i = issuance(ledger, 1, 10)
    signed = ledger.issuer.sign_bridge(i, deadline=_deadline(ledger))
    if change.get("recipient") == "bob":
        change = {"recipient": ledger.bob.account}
    if change.get("project_key") == "other":
        change = {"project_key": ledger.issuer.register_project(ledger.vcs, GS_PROJECT)}
        signed = ledger.issuer.sign_bridge(i, deadline=_deadline(ledger))  # nonce unchanged
    tampered = dataclasses.replace(i, **change)
    with reverts(InvalidSignature, signer=addr(ledger.issuer)):
        ledger.bob.bridge_signed(tampered, signed)


def test_a_signed_bridging_with_an_extended_deadline_is_refused(ledger: Ledger) -> None:
    i = issuance(ledger, 1, 10)
    signed = ledger.issuer.sign_bridge(i, deadline=_deadline(ledger))
    with reverts(InvalidSignature, signer=addr(ledger.issuer)):
        ledger.bob.bridge_signed(i, dataclasses.replace(signed, deadline=signed.deadline + 1))


@pytest.mark.parametrize("signature", [b"", b"\x01" * 64, b"\x00" * 65, b"\x01" * 66])
def test_a_malformed_signature_is_refused(ledger: Ledger, signature: bytes) -> None:
    i = issuance(ledger, 1, 10)
    signed = ledger.issuer.sign_bridge(i, deadline=_deadline(ledger))
    with reverts(InvalidSignature, signer=addr(ledger.issuer)):
        ledger.bob.bridge_signed(i, dataclasses.replace(signed, signature=signature))


def test_a_signed_bridging_is_refused_while_paused(ledger: Ledger) -> None:
    i = issuance(ledger, 1, 10)
    signed = ledger.issuer.sign_bridge(i, deadline=_deadline(ledger))
    ledger.admin.pause()
    with reverts(EnforcedPause):
        ledger.bob.bridge_signed(i, signed)
    ledger.admin.unpause()
    assert ledger.bob.bridge_signed(i, signed).batch_id == 1


def test_the_recovered_signer_matches_what_the_contract_checks(ledger: Ledger) -> None:
    i = issuance(ledger, 1, 10)
    typed = bridge_typed_data(
        i,
        nonce=0,
        deadline=_deadline(ledger),
        chain_id=_chain_id(ledger),
        contract=ledger.deployment.address,
    )
    assert ledger.issuer.sender is not None
    signed = sign_typed(ledger.issuer.sender.account, typed)
    assert recover_signer(typed, signed.signature) == ledger.issuer.account
    assert ledger.bob.bridge_signed(i, signed).batch_id == 1


# ---------------------------------------------------------------- signed retirement


@pytest.fixture
def held(ledger: Ledger) -> Ledger:
    """Batch 1: serials 1001..2000 held by alice."""
    bridge_range(ledger, 1001, 2000)
    return ledger


def _request(first: int = 1001, last: int = 1100, **kw: Any) -> RetirementRequest:
    return RetirementRequest(1, first, last, "Hilti Corporation", **kw)


def test_a_signed_retirement_is_relayed_by_a_third_party(held: Ledger) -> None:
    request = _request(purpose=Purpose.COMPLIANCE, jurisdiction="CH")
    signed = held.alice.sign_retirement(request, deadline=_deadline(held))
    result = held.bob.retire_signed(request, signed)
    today = dt.datetime.fromtimestamp(
        held.chain.w3.eth.get_block(result.block_number)["timestamp"], dt.UTC
    ).date()
    expect_events(
        result,
        moved(1, held.alice, held.alice, 1001, 1100, RETIRED, held.alice),
        (
            "CreditsRetired",
            {
                "retirementId": 1,
                "holder": addr(held.alice),
                "retirement": retirement_fields(request),
                "retiredOn": today.year * 10000 + today.month * 100 + today.day,
                "mirrored": False,
                "actor": addr(held.alice),
                "labels": 0,
            },
        ),
    )
    assert held.admin.nonce(held.alice.account) == 1
    assert held.admin.nonce(held.bob.account) == 0


def test_an_expired_signed_retirement_is_refused(held: Ledger) -> None:
    deadline = next_block_timestamp(held) - 1
    signed = held.alice.sign_retirement(_request(), deadline=deadline)
    with reverts(ExpiredSignature, deadline=deadline):
        held.bob.retire_signed(_request(), signed)
    # ... and accepted when mined exactly at its deadline.
    on_time = held.alice.sign_retirement(_request(), deadline=next_block_timestamp(held))
    held.bob.retire_signed(_request(), on_time)


def test_a_signed_retirement_cannot_be_replayed(held: Ledger) -> None:
    signed = held.alice.sign_retirement(_request(), deadline=_deadline(held))
    held.bob.retire_signed(_request(), signed)
    with reverts(InvalidSignature, signer=addr(held.alice)):
        held.bob.retire_signed(_request(), signed)
    assert held.admin.nonce(held.alice.account) == 1


def test_a_retirement_signed_by_someone_else_is_refused(held: Ledger) -> None:
    by_bob = held.bob.sign_retirement(_request(), deadline=_deadline(held))
    claimed = dataclasses.replace(by_bob, signer=held.alice.account)
    with reverts(InvalidSignature, signer=addr(held.alice)):
        held.carol.retire_signed(_request(), claimed)
    # Bob signing for himself fails on holdings, not on the signature.
    with reverts(InsufficientCredits, holder=addr(held.bob), batchId=1, first=1001, last=1100):
        held.carol.retire_signed(_request(), by_bob)


@pytest.mark.parametrize("where", ["other-chain-id", "other-contract"])
def test_a_retirement_signed_for_another_domain_is_refused(held: Ledger, where: str) -> None:
    chain_id = _chain_id(held) + (1 if where == "other-chain-id" else 0)
    contract = "0x" + "5a" * 20 if where == "other-contract" else held.deployment.address
    typed = retire_typed_data(
        _request(),
        holder=held.alice.account,
        nonce=0,
        deadline=_deadline(held),
        chain_id=chain_id,
        contract=contract,
    )
    assert held.alice.sender is not None
    signed = sign_typed(held.alice.sender.account, typed)
    with reverts(InvalidSignature, signer=addr(held.alice)):
        held.bob.retire_signed(_request(), signed)


@pytest.mark.parametrize(
    "change",
    [
        {"last_serial": 1101},
        {"first_serial": 1002},
        {"beneficiary": "Someone else"},
        {"purpose": Purpose.COMPLIANCE},
        {"jurisdiction": "DE"},
        {"consumption_start": dt.date(2024, 1, 1)},
        {"consumption_end": dt.date(2024, 12, 31)},
    ],
    ids=lambda c: next(iter(c)),
)
def test_a_signed_retirement_tampered_after_signing_is_refused(
    held: Ledger, change: dict[str, Any]
) -> None:
    signed = held.alice.sign_retirement(_request(), deadline=_deadline(held))
    with reverts(InvalidSignature, signer=addr(held.alice)):
        held.bob.retire_signed(dataclasses.replace(_request(), **change), signed)


def test_a_signed_retirement_still_obeys_the_labels(held: Ledger) -> None:
    # Pause, freezes and the allowlist: test_holder_refusals.py, for every holdings operation.
    corsia = _request(purpose=Purpose.CORSIA)
    signed = held.alice.sign_retirement(corsia, deadline=_deadline(held))
    with reverts(LabelRequired, batchId=1, label=int(Label.CORSIA_ELIGIBLE)):
        held.bob.retire_signed(corsia, signed)
    plain = held.alice.sign_retirement(_request(), deadline=_deadline(held))
    held.bob.retire_signed(_request(), plain)
    assert ranges(held, 1)[0] == (1001, 1100, "alice", RETIRED)


def test_bridge_and_retire_signatures_share_one_nonce_per_account(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 100, ledger.issuer)  # the registry holds credits itself
    i = issuance(ledger, 200, 300)
    bridge_sig = ledger.issuer.sign_bridge(i, deadline=_deadline(ledger))
    request = RetirementRequest(1, 1, 10, "Registry")
    retire_sig = ledger.issuer.sign_retirement(request, deadline=_deadline(ledger))
    assert bridge_sig.nonce == retire_sig.nonce == 0
    ledger.bob.retire_signed(request, retire_sig)
    with reverts(InvalidSignature, signer=addr(ledger.issuer)):
        ledger.bob.bridge_signed(i, bridge_sig)


# ---------------------------------------------------------------- helpers


def _sign_bridge_with(
    ledger: Ledger,
    i: Any,
    *,
    nonce: int = 0,
    chain_id: int | None = None,
    contract: str | None = None,
) -> SignedRequest:
    typed = bridge_typed_data(
        i,
        nonce=nonce,
        deadline=_deadline(ledger),
        chain_id=_chain_id(ledger) if chain_id is None else chain_id,
        contract=contract or ledger.deployment.address,
    )
    assert ledger.issuer.sender is not None
    return sign_typed(ledger.issuer.sender.account, typed)


# ---------------------------------------------------------------- contract signers (ERC-1271)

# Minimal wallets, as raw EVM code: isValidSignature(...) answers the ERC-1271 magic value
# 0x1626ba7e for anything (an "approving" wallet), or 32 zero bytes (a "refusing" one).
_APPROVING_RUNTIME = "631626ba7e60e01b60005260206000f3"
_REFUSING_RUNTIME = "60206000f3"


def _deploy_wallet(ledger: Ledger, runtime: str) -> str:
    size = len(runtime) // 2
    # PUSHn runtime; PUSH1 0; MSTORE (right-aligned); PUSH1 size; PUSH1 32-size; RETURN
    creation = f"{0x5F + size:02x}{runtime}600052" + f"60{size:02x}60{32 - size:02x}f3"
    factory = ledger.chain.w3.eth.contract(abi=[], bytecode="0x" + creation)
    assert ledger.admin.sender is not None
    receipt = ledger.admin.sender.transact(factory.constructor(), gas=200_000)  # type: ignore[arg-type]
    address = to_checksum(str(receipt["contractAddress"]))
    assert bytes(ledger.chain.w3.eth.get_code(address)).hex() == runtime
    return address


def test_a_contract_issuer_authorises_bridging_through_erc1271(ledger: Ledger) -> None:
    wallet = _deploy_wallet(ledger, _APPROVING_RUNTIME)
    ledger.admin.grant_issuer(ledger.vcs, wallet)
    i = issuance(ledger, 1, 10)
    signed = SignedRequest(signer=wallet, nonce=0, deadline=_deadline(ledger), signature=b"ok")
    result = ledger.bob.bridge_signed(i, signed)
    assert result.event("BatchBridged").fields["actor"] == addr(wallet)
    assert ledger.admin.nonce(wallet) == 1


def test_a_contract_holder_authorises_retirement_through_erc1271(ledger: Ledger) -> None:
    wallet = _deploy_wallet(ledger, _APPROVING_RUNTIME)
    ledger.admin.set_account(wallet)
    bridge_range(ledger, 1, 10, wallet)
    request = RetirementRequest(1, 1, 5, "Wallet owner")
    signed = SignedRequest(signer=wallet, nonce=0, deadline=_deadline(ledger), signature=b"")
    result = ledger.bob.retire_signed(request, signed)
    assert result.event("CreditsRetired").fields["holder"] == addr(wallet)


def test_a_refusing_contract_signer_is_refused(ledger: Ledger) -> None:
    wallet = _deploy_wallet(ledger, _REFUSING_RUNTIME)
    ledger.admin.grant_issuer(ledger.vcs, wallet)
    i = issuance(ledger, 1, 10)
    signed = SignedRequest(signer=wallet, nonce=0, deadline=_deadline(ledger), signature=b"x")
    with reverts(InvalidSignature, signer=addr(wallet)):
        ledger.bob.bridge_signed(i, signed)


def test_the_zero_address_can_never_sign(held: Ledger) -> None:
    signed = SignedRequest(signer=ZERO, nonce=0, deadline=_deadline(held), signature=b"\0" * 65)
    with reverts(InvalidSignature, signer=ZERO):
        held.bob.retire_signed(_request(), signed)


# ---------------------------------------------------------------- validation still applies


def test_a_validly_signed_but_invalid_bridging_consumes_no_nonce(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 100)
    overlapping = issuance(ledger, 50, 150)
    signed = ledger.issuer.sign_bridge(overlapping, deadline=_deadline(ledger))
    with reverts(SerialsAlreadyBridged, programId=ledger.vcs, namespace=VCS_NS, first=50, last=150):
        ledger.bob.bridge_signed(overlapping, signed)
    to_outsider = issuance(ledger, 200, 300, ledger.outsider)
    signed = ledger.issuer.sign_bridge(to_outsider, deadline=_deadline(ledger))
    with reverts(AccountNotAllowed, account=addr(ledger.outsider)):
        ledger.bob.bridge_signed(to_outsider, signed)
    assert ledger.admin.nonce(ledger.issuer.account) == 0


def test_a_mined_expired_request_reports_expired_signature(held: Ledger) -> None:
    deadline = next_block_timestamp(held) - 1
    signed = held.alice.sign_retirement(_request(), deadline=deadline)
    fn = held.bob.contract.functions.retireWithSignature(
        _request().as_abi(), 1001, held.alice.account, deadline, signed.signature
    )
    with reverts(ExpiredSignature, deadline=deadline):
        send(held.bob, fn)  # a fixed gas limit, as send_many uses: the revert is mined
