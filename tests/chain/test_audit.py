"""chain.audit: recomputing the contract's hash chain from raw logs, and what breaks it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak
from web3 import Web3

from chain.audit import AuditState, fold, genesis, genesis_state, recompute
from chain.domain import RetirementRequest
from chain.events import decode_logs, event_specs
from tests.conftest import Ledger

Log = tuple[tuple[bytes, ...], bytes]
Trail = tuple[list[Log], AuditState, AuditState]


@pytest.fixture(scope="module")
def trail(_ledger_session: Ledger) -> tuple[list[Log], AuditState, AuditState]:
    """The audited logs of a short history, the ledger's genesis state, and the chain's own
    (seq, head) after it."""
    ledger = _ledger_session
    chain = ledger.chain
    snapshot = chain.snapshot()
    try:
        ledger.issuer.bridge(ledger.issuance(1001, 2000))
        ledger.alice.transfer(1, 1101, 1200, ledger.bob.account)
        ledger.bob.retire(RetirementRequest(1, 1101, 1110, "Hilti Corporation"))
        ledger.admin.pause()
        ledger.admin.unpause()
        logs = chain.w3.eth.get_logs(
            {"address": Web3.to_checksum_address(ledger.deployment.address), "fromBlock": 0}
        )
        audited = set(event_specs("ICarbonLedgerEvents"))
        trail = [(e.topics, e.data) for e in decode_logs(logs) if e.topics[0] in audited]
        start = genesis_state(int(chain.w3.eth.chain_id), ledger.deployment.address)
        return trail, start, ledger.admin.audit_state()
    finally:
        chain.revert(snapshot)
        ledger.admin._parts.refresh()
        ledger.nonces.reset()


def test_recompute_equals_the_chain(trail: Trail) -> None:
    logs, start, on_chain = trail
    assert on_chain.seq == len(logs) > 10
    assert recompute(logs, start) == on_chain
    assert on_chain.head_hex == "0x" + on_chain.head.hex()


def test_the_trail_is_bound_to_its_ledger(trail: Trail) -> None:
    logs, start, on_chain = trail
    # The same logs folded from another chain's or another address's genesis miss the head.
    other_chain = AuditState(0, genesis(1, "0x" + "00" * 19 + "01"))
    assert recompute(logs, other_chain).head != on_chain.head
    assert recompute(logs, AuditState(0, b"\0" * 32)).head != on_chain.head
    assert start.head != b"\0" * 32


def test_genesis_is_keccak_of_the_abi_encoded_chain_id_and_address() -> None:
    address = "0x" + "ab" * 20
    expected = keccak(encode(["uint256", "address"], [31337, address]))
    assert genesis(31337, address) == expected
    with pytest.raises(ValueError, match="not an address"):
        genesis(1, "0x1234")


def test_recompute_continues_from_a_checkpoint(trail: Trail) -> None:
    logs, start, on_chain = trail
    middle = recompute(logs[:7], start)
    assert middle.seq == 7
    assert recompute(logs[7:], middle) == on_chain


def test_fold_is_keccak_of_head_topics_and_data() -> None:
    topics = (b"\x01" * 32, (1).to_bytes(32), b"\x02" * 32, b"\x03" * 32)
    data = encode(["uint256"], [42])
    head = genesis(1, "0x" + "11" * 20)
    assert fold(head, topics, data) == keccak(head + b"".join(topics) + data)
    assert recompute([], AuditState(0, head)) == AuditState(0, head)


def test_a_removed_log_is_a_gap(trail: Trail) -> None:
    logs, start, _ = trail
    with pytest.raises(ValueError, match="expected seq 5, found 6"):
        recompute(logs[:4] + logs[5:], start)


def test_a_missing_first_log_is_a_gap(trail: Trail) -> None:
    logs, start, _ = trail
    with pytest.raises(ValueError, match="expected seq 1, found 2"):
        recompute(logs[1:], start)


def test_a_duplicated_log_is_refused(trail: Trail) -> None:
    logs, start, _ = trail
    with pytest.raises(ValueError, match="expected seq 5, found 4"):
        recompute(logs[:4] + logs[3:], start)


def test_a_reordered_pair_is_refused(trail: Trail) -> None:
    logs, start, _ = trail
    swapped = [*logs[:2], logs[3], logs[2], *logs[4:]]
    with pytest.raises(ValueError, match="expected seq 3, found 4"):
        recompute(swapped, start)


def test_a_checkpoint_that_does_not_fit_is_refused(trail: Trail) -> None:
    logs, start, _ = trail
    with pytest.raises(ValueError, match="expected seq 4, found 6"):
        recompute(logs[5:], recompute(logs[:3], start))


def _flip(value: bytes, index: int) -> bytes:
    return value[:index] + bytes([value[index] ^ 0x01]) + value[index + 1 :]


@pytest.mark.parametrize("where", ["data", "topic0", "topic2", "topic3"])
def test_a_flipped_byte_changes_the_head(trail: Trail, where: str) -> None:
    logs, start, on_chain = trail
    topics, data = logs[4]
    if where == "data":
        assert data, "this log has data to tamper with"
        tampered = (topics, _flip(data, len(data) // 2))
    else:
        i = int(where[-1])
        tampered = ((*topics[:i], _flip(topics[i], 31), *topics[i + 1 :]), data)
    state = recompute([*logs[:4], tampered, *logs[5:]], start)
    assert state.seq == on_chain.seq
    assert state.head != on_chain.head


def test_a_flipped_seq_topic_is_a_gap(trail: Trail) -> None:
    logs, start, _ = trail
    topics, data = logs[4]
    tampered = ((topics[0], _flip(topics[1], 31), *topics[2:]), data)
    with pytest.raises(ValueError, match="expected seq 5"):
        recompute([*logs[:4], tampered, *logs[5:]], start)


def test_module_needs_no_abi_and_no_node() -> None:
    # The auditor's tool: keccak over bytes, importable without the artifacts or web3.
    code = (
        "import sys, chain.audit; "
        "print(sorted(m for m in ('chain.artifacts', 'chain.events', 'web3') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
