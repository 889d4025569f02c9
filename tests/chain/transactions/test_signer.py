"""chain.transactions.signer: raw EIP-1559 transactions, byte for byte eth-account's."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from chain.transactions.signer import Call, RawSigner, SignedTx, call_of


def test_the_raw_signer_writes_eth_accounts_bytes() -> None:
    account = Account.from_key(b"\x07" * 32)
    signer = RawSigner(account, chain_id=31337)
    for nonce, data, value, fee in ((0, b"", 0, 0), (7, b"\x01\x02" * 300, 10**18, 3 * 10**9)):
        ours = signer.sign(
            nonce=nonce, to="0x" + "ab" * 20, data=data, gas=150_000, max_fee=fee, value=value
        )
        expected = account.sign_transaction(
            {
                "type": 2,
                "chainId": 31337,
                "nonce": nonce,
                "maxPriorityFeePerGas": 0,
                "maxFeePerGas": fee,
                "gas": 150_000,
                "to": Web3.to_checksum_address("0x" + "ab" * 20),
                "value": value,
                "data": data,
                "accessList": [],
            }
        )
        assert ours.raw == bytes(expected.raw_transaction)
        assert ours.tx_hash == "0x" + bytes(expected.hash).hex()


def test_check_passes_for_its_own_bytes_and_uses_no_nonce() -> None:
    signer = RawSigner(Account.from_key(b"\x09" * 32), chain_id=1)
    signer.check(nonce=3, to="0x" + "cd" * 20, data=b"\xaa" * 40, gas=50_000, max_fee=10**9)


def test_check_fails_when_the_bytes_differ() -> None:
    class _Wrong(RawSigner):
        def sign(self, **kwargs: Any) -> SignedTx:
            signed = super().sign(**kwargs)
            return SignedTx(signed.raw[:-1] + b"\x00", signed.tx_hash, signed.nonce)

    signer = _Wrong(Account.from_key(b"\x09" * 32), chain_id=1)
    with pytest.raises(AssertionError, match="disagrees"):
        signer.check(nonce=0, to="0x" + "cd" * 20, data=b"", gas=21_000, max_fee=0)


def test_call_of_reads_back_what_was_signed() -> None:
    signer = RawSigner(Account.from_key(b"\x07" * 32), chain_id=5)
    to = "0x" + "ef" * 20
    signed = signer.sign(nonce=9, to=to, data=b"\x01\x02", gas=77_000, max_fee=5, value=3)
    assert call_of(signed.raw) == Call(to, b"\x01\x02", 77_000, 3)
