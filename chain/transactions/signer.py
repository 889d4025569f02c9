"""EIP-1559 transactions signed straight with coincurve, for the hot paths.

eth-account spends about 0.5 ms per transaction (and web3's ``build_transaction`` 2 ms more) on
validation and formatting; this is the same RLP and the same recoverable signature, byte for
byte (``RawSigner.check`` and tests/chain/transactions/test_signer.py compare with
eth-account), in about a tenth of that. At a full 30M-gas block a second, that is the
difference between a signing thread that keeps up and one that does not. The API's submission
pipeline and the benchmarks sign here; ``TxSender`` keeps eth-account for its web3 calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import coincurve
import rlp  # type: ignore[import-untyped]
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3


@dataclass(frozen=True)
class SignedTx:
    raw: bytes
    tx_hash: str
    nonce: int


@dataclass(frozen=True)
class Call:
    """What a transaction calls: its target, calldata, gas limit and value."""

    to: str
    data: bytes
    gas: int
    value: int = 0


class RawSigner:
    """Signs for one account; the caller chooses nonces (a ``NonceManager``, or a queue that
    keeps its own order) and fee caps (``FeePolicy``)."""

    def __init__(self, account: LocalAccount, chain_id: int) -> None:
        self.account = account
        self.address = account.address.lower()
        self.chain_id = chain_id
        self._key = coincurve.PrivateKey(bytes(account.key))

    def sign(
        self,
        *,
        nonce: int,
        to: str,
        data: bytes,
        gas: int,
        max_fee: int,
        priority_fee: int = 0,
        value: int = 0,
    ) -> SignedTx:
        fields: list[Any] = [
            self.chain_id,
            nonce,
            priority_fee,
            max_fee,
            gas,
            bytes.fromhex(to[2:]),
            value,
            data,
            [],
        ]
        digest = keccak(b"\x02" + rlp.encode(fields))
        signature = self._key.sign_recoverable(digest, hasher=None)
        r, s, v = signature[:32], signature[32:64], signature[64]
        raw = b"\x02" + bytes(rlp.encode([*fields, v, int.from_bytes(r), int.from_bytes(s)]))
        return SignedTx(raw, "0x" + keccak(raw).hex(), nonce)

    def check(self, *, nonce: int, to: str, data: bytes, gas: int, max_fee: int) -> None:
        """Raise unless ``sign`` produces exactly eth-account's bytes for this transaction."""
        tx = {
            "type": 2,
            "chainId": self.chain_id,
            "nonce": nonce,
            "maxPriorityFeePerGas": 0,
            "maxFeePerGas": max_fee,
            "gas": gas,
            "to": Web3.to_checksum_address(to),
            "value": 0,
            "data": data,
            "accessList": [],
        }
        expected = bytes(self.account.sign_transaction(tx).raw_transaction)  # type: ignore[arg-type]
        ours = self.sign(nonce=nonce, to=to, data=data, gas=gas, max_fee=max_fee).raw
        if ours != expected:
            raise AssertionError("the raw signer disagrees with eth-account")


def call_of(raw: bytes) -> Call:
    """The call inside a signed EIP-1559 transaction (to replay a revert after a restart)."""
    fields = rlp.decode(raw[1:])
    to = "0x" + bytes(fields[5]).hex()
    return Call(to, bytes(fields[7]), int.from_bytes(fields[4]), int.from_bytes(fields[6]))
