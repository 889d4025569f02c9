"""chain.transactions.sender: building, sending, receipts, decoded reverts, the fee policy applied."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from hexbytes import HexBytes
from web3 import Web3
from web3.providers.rpc import HTTPProvider

from chain.artifacts import ledger_abi
from chain.client import LedgerClient
from chain.deployment import deploy_ledger
from chain.errors import (
    AccessControlUnauthorizedAccount,
    AnvilNotFound,
    EnforcedPause,
    TransactionError,
    TransactionTimeout,
)
from chain.transactions import FeePolicy, NonceManager, TxSender
from tests.conftest import Ledger

ABI = ledger_abi()
DEFAULT_ADMIN_ROLE = b"\0" * 32
EXPLICIT_GAS = 200_000


def pending(w3: Web3, address: str) -> int:
    return w3.eth.get_transaction_count(Web3.to_checksum_address(address), "pending")


def _admin_only(client: LedgerClient) -> Any:
    """A call only the default admin may make (so anyone else reverts)."""
    return client.contract.functions.registerProgram(
        b"CDM".ljust(32, b"\0"), Web3.to_checksum_address(client.account)
    )


def _noop(client: LedgerClient) -> Any:
    """A call anyone may make that changes nothing: an empty multicall."""
    return client.contract.functions.multicall([])


# ------------------------------------------------------------ TxSender


def test_a_failed_send_resyncs_the_nonce(ledger: Ledger) -> None:
    sender = ledger.alice.sender
    assert sender is not None
    start = pending(ledger.chain.w3, sender.address)
    sender.nonces.reserve(sender.address)  # a nonce that never reaches the node: a gap
    with pytest.raises(TransactionError, match="nonce"):
        sender.send(_noop(ledger.alice), gas=EXPLICIT_GAS)  # eth-tester refuses the gap
    receipt = sender.transact(_noop(ledger.alice))  # resynced: the next one goes through
    tx = ledger.chain.w3.eth.get_transaction(receipt["transactionHash"])
    assert tx["nonce"] == start


def test_build_estimates_gas_with_the_margin(ledger: Ledger) -> None:
    sender = ledger.admin.sender
    assert sender is not None
    fn = _admin_only(ledger.admin)
    estimate = fn.estimate_gas({"from": sender.address})
    tx = sender.build(fn, nonce=0)
    assert tx["gas"] == int(estimate * sender.gas_margin)
    assert tx["nonce"] == 0 and tx["chainId"] == ledger.chain.w3.eth.chain_id


def test_send_many_pipelines_and_wait_all_returns_receipts_in_order(ledger: Ledger) -> None:
    admin = ledger.admin
    sender = admin.sender
    assert sender is not None
    w3 = ledger.chain.w3
    accounts = [Account.create().address for _ in range(4)]
    start = pending(w3, sender.address)
    calls = [(admin.contract.functions.setAccount(a, True, False), EXPLICIT_GAS) for a in accounts]
    hashes = sender.send_many(calls)
    receipts = sender.wait_all(hashes)
    assert [bytes(r["transactionHash"]) for r in receipts] == [bytes(h) for h in hashes]
    assert [w3.eth.get_transaction(h)["nonce"] for h in hashes] == list(
        range(start, start + len(accounts))
    )
    assert all(r["status"] == 1 for r in receipts)
    assert [r["blockNumber"] for r in receipts] == sorted(r["blockNumber"] for r in receipts)
    assert all(admin.account_status(a).allowed for a in accounts)


def test_a_revert_surfaces_decoded_at_estimation_and_uses_no_nonce(ledger: Ledger) -> None:
    outsider = ledger.outsider
    sender = outsider.sender
    assert sender is not None
    w3 = ledger.chain.w3
    start = pending(w3, sender.address)
    with pytest.raises(AccessControlUnauthorizedAccount) as info:
        sender.transact(_admin_only(outsider))
    assert info.value.arguments["account"].lower() == sender.address.lower()
    assert info.value.arguments["neededRole"] == DEFAULT_ADMIN_ROLE
    assert info.value.tx_hash is None  # nothing was sent
    assert pending(w3, sender.address) == start
    assert sender.nonces.reserve(sender.address) == start  # no nonce was burnt


def test_status_0_receipt_is_decoded_by_replaying_the_call(ledger: Ledger) -> None:
    # With explicit gas there is no estimation: eth-tester accepts the transaction, mines it
    # with status 0, and wait() recovers the custom error by replaying it as a call.
    sender = ledger.outsider.sender
    assert sender is not None
    tx_hash = sender.send(_admin_only(ledger.outsider), gas=EXPLICIT_GAS)
    receipt = ledger.chain.w3.eth.get_transaction_receipt(tx_hash)
    assert receipt["status"] == 0
    with pytest.raises(AccessControlUnauthorizedAccount) as info:
        sender.wait(tx_hash)
    assert info.value.tx_hash == "0x" + bytes(tx_hash).hex()
    assert info.value.arguments["neededRole"] == DEFAULT_ADMIN_ROLE


def test_wait_times_out_for_a_hash_never_sent(ledger: Ledger) -> None:
    sender = ledger.alice.sender
    assert sender is not None
    never_sent = HexBytes(b"\x12" * 32)
    with pytest.raises(TransactionTimeout) as info:
        sender.wait(never_sent, timeout=0.3)
    assert info.value.tx_hash == "0x" + "12" * 32
    assert isinstance(info.value, TransactionError)


def test_sender_applies_its_fee_policy(ledger: Ledger) -> None:
    w3 = ledger.chain.w3
    assert ledger.admin.sender is not None
    account = ledger.admin.sender.account
    sender = TxSender(w3, account, ABI, nonces=ledger.nonces, fees=FeePolicy(3, 11))
    base = int(w3.eth.get_block("latest")["baseFeePerGas"])
    receipt = sender.transact(_admin_only(ledger.admin))
    tx = w3.eth.get_transaction(receipt["transactionHash"])
    assert (tx["maxFeePerGas"], tx["maxPriorityFeePerGas"]) == (3 * base + 11, 11)


# ------------------------------------------------------------ the same on anvil


@dataclass
class AnvilLedger:
    w3: Web3
    admin: LedgerClient
    alice: LedgerClient
    outsider: LedgerClient


MNEMONIC = "test test test test test test test test test test test junk"


@pytest.fixture(scope="module")
def anvil_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilLedger]:
    from chain.anvil import LocalNode, NodeOptions, find_anvil

    try:
        find_anvil()
    except AnvilNotFound as exc:
        pytest.skip(f"anvil is not installed: {exc}")
    with LocalNode(Path(tmp_path_factory.mktemp("anvil")), NodeOptions()) as node:
        w3 = Web3(HTTPProvider(node.url))
        Account.enable_unaudited_hdwallet_features()
        accounts = [
            Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(3)
        ]
        nonces = NonceManager(w3)
        admin_s, alice_s, outsider_s = (TxSender(w3, a, ABI, nonces=nonces) for a in accounts)
        deployment = deploy_ledger(admin_s, admin_delay=3600)
        admin = LedgerClient.for_deployment(w3, deployment, admin_s)
        admin.grant_role(admin.role("PAUSER_ROLE"), admin.account)
        admin.grant_role(admin.role("COMPLIANCE_ROLE"), admin.account)
        admin.set_account(alice_s.address)
        yield AnvilLedger(w3, admin, admin.as_account(alice_s), admin.as_account(outsider_s))


@pytest.mark.anvil
def test_anvil_send_many_and_wait_all(anvil_ledger: AnvilLedger) -> None:
    admin = anvil_ledger.admin
    sender = admin.sender
    assert sender is not None
    accounts = [Account.create().address for _ in range(5)]
    hashes = sender.send_many(
        [(admin.contract.functions.setAccount(a, True, False), EXPLICIT_GAS) for a in accounts]
    )
    receipts = sender.wait_all(hashes)
    assert [bytes(r["transactionHash"]) for r in receipts] == [bytes(h) for h in hashes]
    assert all(admin.account_status(a).allowed for a in accounts)


@pytest.mark.anvil
def test_anvil_revert_decoded_at_estimation(anvil_ledger: AnvilLedger) -> None:
    sender = anvil_ledger.outsider.sender
    assert sender is not None
    with pytest.raises(AccessControlUnauthorizedAccount) as info:
        sender.transact(_admin_only(anvil_ledger.outsider))
    assert info.value.arguments["neededRole"] == DEFAULT_ADMIN_ROLE


@pytest.mark.anvil
def test_anvil_status_0_receipt_is_decoded(anvil_ledger: AnvilLedger) -> None:
    sender = anvil_ledger.outsider.sender
    assert sender is not None
    tx_hash = sender.send(_admin_only(anvil_ledger.outsider), gas=EXPLICIT_GAS)  # anvil accepts it
    receipt = anvil_ledger.w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 0
    with pytest.raises(AccessControlUnauthorizedAccount) as info:
        sender.wait(tx_hash)
    assert info.value.tx_hash == "0x" + bytes(tx_hash).hex()


@pytest.mark.anvil
def test_anvil_wait_times_out(anvil_ledger: AnvilLedger) -> None:
    sender = anvil_ledger.alice.sender
    assert sender is not None
    with pytest.raises(TransactionTimeout):
        sender.wait(HexBytes(b"\x34" * 32), timeout=0.3)


@pytest.mark.anvil
def test_anvil_status_0_after_an_earlier_transaction_of_the_same_block(
    anvil_ledger: AnvilLedger,
) -> None:
    w3, admin, alice = anvil_ledger.w3, anvil_ledger.admin, anvil_ledger.alice
    assert admin.sender is not None and alice.sender is not None
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        pause = admin.sender.send(admin.contract.functions.pause(), gas=EXPLICIT_GAS)
        transfer = alice.contract.functions.transfer(1, 1, 1, alice.account, 1)
        blocked = alice.sender.send(transfer, gas=EXPLICIT_GAS)
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    try:
        assert admin.sender.wait(pause)["status"] == 1
        first, second = (w3.eth.get_transaction_receipt(h) for h in (pause, blocked))
        assert first["blockNumber"] == second["blockNumber"] and second["status"] == 0
        with pytest.raises(EnforcedPause):
            alice.sender.wait(blocked)
    finally:
        admin.unpause()


def test_send_eth_pays_with_the_next_nonce(ledger: Ledger) -> None:
    sender = ledger.admin.sender
    assert sender is not None
    w3 = ledger.chain.w3
    to = Account.create().address
    start = pending(w3, sender.address)
    receipt = sender.wait(sender.send_eth(to, 12_345))
    assert w3.eth.get_balance(to) == 12_345
    assert w3.eth.get_transaction(receipt["transactionHash"])["nonce"] == start
