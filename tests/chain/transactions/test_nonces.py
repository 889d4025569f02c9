"""chain.transactions.nonces: consecutive nonces, thread safety, resync after a refusal."""

from __future__ import annotations

import threading
import time
from typing import cast

import pytest
from web3 import Web3

from chain.errors import NonceConflict, node_error
from chain.transactions.nonces import NonceManager
from tests.chain.transactions.test_sender import _noop, pending
from tests.conftest import Ledger


def test_reserve_hands_out_consecutive_nonces_from_the_pending_count(ledger: Ledger) -> None:
    w3 = ledger.chain.w3
    nonces = NonceManager(w3)
    alice, bob = ledger.alice.account, ledger.bob.account
    start_a, start_b = pending(w3, alice), pending(w3, bob)
    assert [nonces.reserve(alice) for _ in range(4)] == list(range(start_a, start_a + 4))
    assert nonces.reserve(bob) == start_b  # accounts are independent
    assert nonces.reserve(alice) == start_a + 4


class _SlowEth:
    """A node whose nonce lookup is slow, to widen any race between threads."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.calls = 0

    def get_transaction_count(self, address: str, block: str) -> int:
        assert block == "pending"
        self.calls += 1
        time.sleep(0.01)
        return self.count


class _FakeWeb3:
    def __init__(self, count: int) -> None:
        self.eth = _SlowEth(count)


def test_reserve_is_thread_safe() -> None:
    fake = _FakeWeb3(count=7)
    nonces = NonceManager(cast(Web3, fake))
    address = "0x" + "11" * 20
    threads, per_thread = 8, 50
    barrier = threading.Barrier(threads)
    got: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        barrier.wait()
        mine = [nonces.reserve(address) for _ in range(per_thread)]
        assert mine == sorted(mine)  # each thread sees its own nonces increase
        with lock:
            got.extend(mine)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert sorted(got) == list(range(7, 7 + threads * per_thread))
    assert fake.eth.calls == 1  # the node was asked once, under the lock


def test_resync_refetches_one_account(ledger: Ledger) -> None:
    w3 = ledger.chain.w3
    nonces = NonceManager(w3)
    alice, bob = ledger.alice.account, ledger.bob.account
    start = pending(w3, alice)
    for _ in range(3):
        nonces.reserve(alice)  # reserved, never sent
    bob_next = nonces.reserve(bob) + 1
    assert ledger.alice.sender is not None
    ledger.alice.sender.transact(_noop(ledger.alice))  # through another manager
    assert pending(w3, alice) == start + 1
    nonces.resync(alice)
    assert nonces.reserve(alice) == start + 1  # the node's count, not start + 3
    assert nonces.reserve(bob) == bob_next  # untouched


def test_reset_refetches_every_account(ledger: Ledger) -> None:
    w3 = ledger.chain.w3
    nonces = NonceManager(w3)
    accounts = [ledger.alice.account, ledger.bob.account]
    starts = [pending(w3, a) for a in accounts]
    for a in accounts:
        nonces.reserve(a)
        nonces.reserve(a)
    nonces.reset()
    assert [nonces.reserve(a) for a in accounts] == starts


def test_counting_asks_its_source_once_per_account_until_resynced() -> None:
    asked: list[str] = []

    def count(address: str) -> int:
        asked.append(address)
        return 10

    nonces = NonceManager.counting(count)
    assert [nonces.reserve("a"), nonces.reserve("a"), nonces.reserve("b")] == [10, 11, 10]
    assert asked == ["a", "b"]
    nonces.resync("a")
    assert nonces.reserve("a") == 10 and asked == ["a", "b", "a"]


def test_resume_at_sets_the_next_reservation() -> None:
    nonces = NonceManager.counting(lambda _: 0)
    nonces.reserve("a")
    nonces.resume_at("a", 42)
    assert nonces.reserve("a") == 42
    assert nonces.reserve("a") == 43


@pytest.mark.parametrize(
    ("message", "conflict"),
    [
        ("nonce too low: next nonce 5, tx nonce 3", True),
        ("Nonce too high", True),
        ("replacement transaction underpriced", True),
        ("already known", False),
        ("insufficient funds for gas * price + value", False),
        ("max fee per gas less than block base fee", False),
    ],
)
def test_nonce_conflict_tells_a_refusal_over_the_nonce(message: str, conflict: bool) -> None:
    assert isinstance(node_error("eth_sendRawTransaction", message), NonceConflict) is conflict


def test_a_nonce_too_low_refusal_resyncs_to_the_nodes_count(ledger: Ledger) -> None:
    # Another user of the key sends behind the manager's back; the manager's next nonce is
    # then taken, the node refuses it over the nonce, and after a resync the count is right.
    w3 = ledger.chain.w3
    sender = ledger.alice.sender
    assert sender is not None
    nonces = NonceManager(w3)
    stale = nonces.reserve(sender.address)  # reserved here, not yet sent
    sender.transact(_noop(ledger.alice))  # through another manager: takes that nonce
    tx = sender.build(_noop(ledger.alice), gas=200_000, nonce=stale)
    signed = sender.account.sign_transaction(dict(tx))  # type: ignore[arg-type]
    with pytest.raises(Exception) as info:
        w3.eth.send_raw_transaction(signed.raw_transaction)
    assert isinstance(node_error("eth_sendRawTransaction", str(info.value)), NonceConflict)
    nonces.resync(sender.address)
    assert nonces.reserve(sender.address) == pending(w3, sender.address) == stale + 1
