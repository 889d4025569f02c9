"""chain.transactions.rpc: raw JSON-RPC and batches against anvil, each answer in its place."""

from __future__ import annotations

import pytest
from web3 import Web3

from chain.errors import NodeError
from chain.transactions.nonces import NonceManager
from chain.transactions.rpc import JsonRpc
from chain.transactions.signer import RawSigner
from tests.chain.indexer.support import dev_account, set_automine
from tests.conftest import Ledger


@pytest.fixture
def rpc(anvil_w3: Web3) -> JsonRpc:
    client = JsonRpc.of(anvil_w3)
    assert client is not None  # an HTTP provider
    return client


def signer_and_nonce(w3: Web3, index: int) -> tuple[RawSigner, int]:
    """A funded dev account's raw signer, and its next nonce."""
    account = dev_account(index)
    return RawSigner(account, w3.eth.chain_id), w3.eth.get_transaction_count(
        account.address, "pending"
    )


def test_the_embedded_chain_takes_no_raw_json_rpc(ledger: Ledger) -> None:
    assert JsonRpc.of(ledger.chain.w3) is None


@pytest.mark.anvil
def test_a_request_returns_the_raw_result_or_raises(anvil_w3: Web3, rpc: JsonRpc) -> None:
    assert int(rpc.request("eth_chainId"), 16) == anvil_w3.eth.chain_id
    with pytest.raises(NodeError, match="eth_noSuchMethod"):
        rpc.request("eth_noSuchMethod", [])


@pytest.mark.anvil
def test_a_batch_answers_each_call_in_order_with_its_result_or_its_error(
    anvil_w3: Web3, rpc: JsonRpc
) -> None:
    answers = rpc.batch([("eth_chainId", []), ("eth_noSuchMethod", [1]), ("eth_blockNumber", [])])
    assert int(answers[0], 16) == anvil_w3.eth.chain_id
    assert isinstance(answers[1], NodeError) and "eth_noSuchMethod" in answers[1].message
    assert int(answers[2], 16) == anvil_w3.eth.block_number
    assert rpc.batch([]) == []
    with pytest.raises(NodeError, match="#1"):
        rpc.batch_results("eth_getBalance", [["0x" + "00" * 20, "latest"], ["bad", "latest"]])


@pytest.mark.anvil
def test_raw_transactions_go_out_in_one_batch_and_are_mined_together(
    anvil_w3: Web3, rpc: JsonRpc
) -> None:
    # The benchmarks' and the API's path: nonces from one manager, signed raw, one batch.
    signer, start = signer_and_nonce(anvil_w3, 5)
    nonces = NonceManager(anvil_w3)
    to = "0x" + "42" * 20
    raws = [
        signer.sign(
            nonce=nonces.reserve(signer.address),
            to=to,
            data=b"",
            gas=21_000,
            max_fee=10**11,
            value=1,
        )
        for _ in range(5)
    ]
    set_automine(anvil_w3, False)
    try:
        hashes = rpc.batch_results("eth_sendRawTransaction", [["0x" + r.raw.hex()] for r in raws])
        assert hashes == [r.tx_hash for r in raws]
        rpc.request("evm_mine", [])
    finally:
        set_automine(anvil_w3, True)
    block = anvil_w3.eth.get_block("latest")
    assert [h.to_0x_hex() for h in block["transactions"]] == hashes  # type: ignore[union-attr]
    assert anvil_w3.eth.get_transaction_count(Web3.to_checksum_address(signer.address)) == start + 5
    # A second batch with a nonce already used: that answer is refused, the others go out.
    again = signer.sign(nonce=start, to=to, data=b"", gas=21_000, max_fee=10**11)
    fresh = signer.sign(nonce=start + 5, to=to, data=b"", gas=21_000, max_fee=10**11)
    answers = rpc.batch([("eth_sendRawTransaction", ["0x" + t.raw.hex()]) for t in (again, fresh)])
    assert isinstance(answers[0], NodeError) and answers[1] == fresh.tx_hash


@pytest.mark.anvil
def test_traced_output_is_a_reverts_payload(anvil_w3: Web3, rpc: JsonRpc) -> None:
    signer, nonce = signer_and_nonce(anvil_w3, 6)
    # A contract creation (no ``to``) whose code reverts with the 4 bytes 0xdeadbeef:
    # PUSH4, PUSH1 0, MSTORE, PUSH1 4, PUSH1 28, REVERT.
    code = bytes.fromhex("63deadbeef6000526004601cfd")
    reverted = signer.sign(nonce=nonce, to="0x", data=code, gas=100_000, max_fee=10**11)
    tx_hash = rpc.request("eth_sendRawTransaction", ["0x" + reverted.raw.hex()])
    assert anvil_w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 0
    assert rpc.traced_output(tx_hash) == bytes.fromhex("deadbeef")
    assert rpc.traced_output("0x" + "00" * 32) is None  # no such transaction
