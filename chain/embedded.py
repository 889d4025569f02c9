"""The embedded chain: eth-tester on py-evm, in-process, for the demo and unit tests.

It needs no Node and no network, mines one block per transaction, and runs about 30
transactions per second here, so it suits tests and the demo, not benchmarks (use anvil).
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester, PyEVMBackend
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider


@dataclass
class EmbeddedChain:
    """An in-process chain with funded accounts whose keys we hold."""

    w3: Web3
    tester: EthereumTester
    accounts: list[LocalAccount]

    def snapshot(self) -> int:
        return int(self.tester.take_snapshot())

    def revert(self, snapshot_id: int) -> None:
        self.tester.revert_to_snapshot(snapshot_id)

    def mine(self, blocks: int = 1) -> None:
        self.tester.mine_blocks(blocks)

    def time_travel(self, timestamp: int) -> None:
        self.tester.time_travel(timestamp)


def embedded_chain() -> EmbeddedChain:
    """A fresh embedded chain; its ten dev accounts each hold 1,000,000 ETH."""
    backend = PyEVMBackend()
    tester = EthereumTester(backend)
    w3 = Web3(EthereumTesterProvider(tester))
    accounts = [Account.from_key(key.to_bytes()) for key in backend.account_keys]
    return EmbeddedChain(w3=w3, tester=tester, accounts=accounts)
