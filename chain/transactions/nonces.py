"""Consecutive nonces per account, so many transactions can be in flight from one account.

Every sender of the project takes its nonces here: the typed client and the importer
(``TxSender``), the API's per-account queues and the benchmarks' raw rounds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from web3 import Web3


class NonceManager:
    """Consecutive nonces per account, so transactions can be pipelined without waiting.

    The first nonce comes from the node's pending count; after a failed send, ``resync``
    forgets the account so the next reservation asks the node again (``chain.errors.NonceConflict``
    is a refusal over the nonce, such as "nonce too low").
    """

    def __init__(self, w3: Web3) -> None:
        self._pending: Callable[[str], int] = lambda address: w3.eth.get_transaction_count(
            Web3.to_checksum_address(address), "pending"
        )
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()

    @classmethod
    def counting(cls, pending: Callable[[str], int]) -> NonceManager:
        """A manager that asks ``pending(address)`` for an account's first nonce (a node
        reached without web3's formatters, such as the API's)."""
        manager = cls.__new__(cls)
        manager._pending = pending
        manager._next = {}
        manager._lock = threading.Lock()
        return manager

    def reserve(self, address: str) -> int:
        with self._lock:
            nonce = self._next.get(address)
            if nonce is None:
                nonce = self._pending(address)
            self._next[address] = nonce + 1
            return nonce

    def resume_at(self, address: str, nonce: int) -> None:
        """The account's next reservation is ``nonce`` (the caller knows what went out)."""
        with self._lock:
            self._next[address] = nonce

    def resync(self, address: str) -> None:
        with self._lock:
            self._next.pop(address, None)

    def reset(self) -> None:
        """Forget every account (e.g. after the chain was rolled back to a snapshot)."""
        with self._lock:
            self._next.clear()
