"""Checking an EIP-712 signed request before relaying it: nothing is sent for a signature the
contract would refuse.

The typed data is rebuilt from the message with the contract's own types and this ledger's
domain (the client's ``types`` are not trusted), so a signature over anything else does not
recover to the signer. Refusals are 401: signed for another chain or contract, not the
signer's, expired by the latest block's time, or a nonce already used (a replay) or not yet
due. A contract signer (ERC-1271, e.g. a registry's multisig) cannot be checked by recovery;
the contract's own check runs in the relay's preflight (``eth_estimateGas``) instead.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data

from api.deps import Ledger
from api.problems import Problem
from api.writes.models import Domain
from api.writes.views import Views
from chain.signing import domain as eip712_domain

EIP712_DOMAIN = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def typed_data(
    primary: str, fields: list[dict[str, str]], message: dict[str, Any], ledger: Ledger
) -> dict[str, Any]:
    """The contract's typed data for ``message`` on this ledger."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN, primary: fields},
        "primaryType": primary,
        "domain": eip712_domain(ledger.node.chain_id, ledger.deployment.address),
        "message": message,
    }


def refused(kind: str, detail: str) -> Problem:
    return Problem(401, kind, "Signature not accepted", detail)


def check_signature(
    ledger: Ledger,
    views: Views,
    domain: Domain,
    typed: dict[str, Any],
    signature: str,
    signer: str,
) -> None:
    """Raise a 401 ``Problem`` unless ``signature`` is ``signer``'s, here, now, and unused."""
    chain_id = ledger.node.chain_id
    if domain.chain_id != chain_id:
        raise refused(
            "wrong-chain", f"signed for chain {domain.chain_id}; this ledger is chain {chain_id}"
        )
    if domain.verifying_contract.lower() != ledger.contract:
        raise refused(
            "wrong-chain",
            f"signed for contract {domain.verifying_contract}; this ledger is {ledger.deployment.address}",
        )
    try:
        recovered = Account.recover_message(
            encode_typed_data(full_message=typed), signature=bytes.fromhex(signature[2:])
        ).lower()
    except Exception:
        recovered = None
    if recovered != signer.lower() and not ledger.node.has_code(signer):
        raise refused(
            "wrong-signer",
            f"the signature is not {signer}'s over this request on this ledger"
            + (f" (it recovers to {recovered})" if recovered else " (it recovers to no one)"),
        )
    message = typed["message"]
    _, now, _ = ledger.node.latest()
    if int(message["deadline"]) < now:
        raise refused(
            "expired-signature",
            f"the signature expired at {message['deadline']}; the ledger's time is {now}",
        )
    expected = views.nonce(signer)
    nonce = int(message["nonce"])
    if nonce < expected:
        raise refused(
            "replayed-signature", f"nonce {nonce} of {signer} was used already (next: {expected})"
        )
    if nonce > expected:
        raise refused(
            "early-signature", f"nonce {nonce} of {signer} is not due yet (next: {expected})"
        )
