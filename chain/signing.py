"""EIP-712 requests a registry or holder signs with its own key, for anyone to relay.

The typed data mirrors ``BRIDGE_TYPEHASH`` and ``RETIRE_TYPEHASH`` in CarbonLedger.sol. The
domain binds a signature to one chain id and one contract, and each request carries the
signer's next nonce and a deadline, so it can be used once, there, before then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount

from chain.domain import Issuance, RetirementRequest

DOMAIN_NAME = "CarbonLedger"
DOMAIN_VERSION = "1"

BRIDGE_TYPE = [
    {"name": "programId", "type": "uint16"},
    {"name": "projectKey", "type": "bytes32"},
    {"name": "namespace", "type": "string"},
    {"name": "firstSerial", "type": "uint64"},
    {"name": "lastSerial", "type": "uint64"},
    {"name": "recipient", "type": "address"},
    {"name": "vintageStart", "type": "uint32"},
    {"name": "vintageEnd", "type": "uint32"},
    {"name": "labels", "type": "uint16"},
    {"name": "metadataHash", "type": "bytes32"},
    {"name": "registryReference", "type": "string"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]

RETIRE_TYPE = [
    {"name": "holder", "type": "address"},
    {"name": "batchId", "type": "uint64"},
    {"name": "firstSerial", "type": "uint64"},
    {"name": "lastSerial", "type": "uint64"},
    {"name": "beneficiary", "type": "string"},
    {"name": "purpose", "type": "uint8"},
    {"name": "jurisdiction", "type": "string"},
    {"name": "consumptionStart", "type": "uint32"},
    {"name": "consumptionEnd", "type": "uint32"},
    {"name": "note", "type": "string"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]


@dataclass(frozen=True)
class SignedRequest:
    """A signature and what it commits to, for ``bridgeWithSignature``/``retireWithSignature``."""

    signer: str
    nonce: int
    deadline: int
    signature: bytes


def domain(chain_id: int, contract: str) -> dict[str, Any]:
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": contract,
    }


def bridge_typed_data(
    issuance: Issuance, *, nonce: int, deadline: int, chain_id: int, contract: str
) -> dict[str, Any]:
    a = issuance.as_abi()
    message = {
        "programId": a[0],
        "projectKey": a[1],
        "namespace": a[2],
        "firstSerial": a[3],
        "lastSerial": a[4],
        "recipient": a[5],
        "vintageStart": a[6],
        "vintageEnd": a[7],
        "labels": a[8],
        "metadataHash": a[9],
        "registryReference": a[10],
        "nonce": nonce,
        "deadline": deadline,
    }
    return _typed("Bridge", BRIDGE_TYPE, message, chain_id, contract)


def retire_typed_data(
    request: RetirementRequest,
    *,
    holder: str,
    nonce: int,
    deadline: int,
    chain_id: int,
    contract: str,
) -> dict[str, Any]:
    a = request.as_abi()
    message = {
        "holder": holder,
        "batchId": a[0],
        "firstSerial": a[1],
        "lastSerial": a[2],
        "beneficiary": a[3],
        "purpose": a[4],
        "jurisdiction": a[5],
        "consumptionStart": a[6],
        "consumptionEnd": a[7],
        "note": a[8],
        "nonce": nonce,
        "deadline": deadline,
    }
    return _typed("Retire", RETIRE_TYPE, message, chain_id, contract)


def _typed(
    primary: str,
    fields: list[dict[str, str]],
    message: dict[str, Any],
    chain_id: int,
    contract: str,
) -> dict[str, Any]:
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            primary: fields,
        },
        "primaryType": primary,
        "domain": domain(chain_id, contract),
        "message": message,
    }


def sign_typed(account: LocalAccount, typed: dict[str, Any]) -> SignedRequest:
    signed = account.sign_message(encode_typed_data(full_message=typed))
    message = typed["message"]
    return SignedRequest(
        signer=account.address,
        nonce=int(message["nonce"]),
        deadline=int(message["deadline"]),
        signature=bytes(signed.signature),
    )


def recover_signer(typed: dict[str, Any], signature: bytes) -> str:
    """The address that signed ``typed`` (what the contract will check, computed locally)."""
    return str(Account.recover_message(encode_typed_data(full_message=typed), signature=signature))
