"""Sending web3 contract calls and confirming them: the typed client's and the importer's path.

Every transaction is signed locally (eth-account) and sent raw, so the same code drives the
embedded chain, anvil and a consortium node. Nonces come from a shared ``NonceManager`` (so
``send_many`` can pipeline) and fee caps from the ``FeePolicy``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import TimeExhausted, TransactionNotFound
from web3.types import Nonce, TxParams, TxReceipt, Wei

from chain._revert import as_chain_error, decode_revert
from chain.errors import ContractError, TransactionError, TransactionTimeout
from chain.transactions._replay import replayed_revert
from chain.transactions.fees import FeePolicy
from chain.transactions.nonces import NonceManager
from chain.transactions.rpc import JsonRpc


class TxSender:
    """Signs with one local account and sends through one Web3 connection.

    Reverts are decoded against ``abi`` into the project's ContractError classes, whether the
    node reports them at gas estimation, at send time (eth-tester) or only in a status-0 receipt.
    """

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        abi: Sequence[dict[str, Any]],
        *,
        nonces: NonceManager | None = None,
        fees: FeePolicy | None = None,
        gas_margin: float = 1.2,
        timeout: float = 120.0,
    ) -> None:
        self.w3 = w3
        self.account = account
        self.address: str = account.address
        self._abi = list(abi)
        self.nonces = nonces or NonceManager(w3)
        self.fees = fees or FeePolicy()
        self.gas_margin = gas_margin
        self.timeout = timeout
        self._chain_id: int | None = None

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = self.w3.eth.chain_id
        return self._chain_id

    def build(
        self, fn: ContractFunction, *, gas: int | None = None, nonce: int | None = None
    ) -> TxParams:
        """A signed-ready transaction dict. Without ``gas`` the node estimates it, which also
        surfaces a revert (decoded) before anything is sent."""
        params: TxParams = {"from": self.address, "chainId": self.chain_id}
        if gas is None:
            try:
                gas = int(fn.estimate_gas(params) * self.gas_margin)
            except Exception as exc:
                raise self._estimation_error(fn, params, exc) from exc
        fees = self.fees.fees(self.w3)
        params["gas"] = gas
        params["nonce"] = Nonce(nonce if nonce is not None else self.nonces.reserve(self.address))
        params["maxFeePerGas"] = Wei(fees["maxFeePerGas"])
        params["maxPriorityFeePerGas"] = Wei(fees["maxPriorityFeePerGas"])
        return fn.build_transaction(params)

    def _estimation_error(
        self, fn: ContractFunction, params: TxParams, exc: Exception
    ) -> TransactionError:
        error = as_chain_error(exc, self._abi)
        if isinstance(error, ContractError):
            return error
        # Some providers (web3's eth-tester one) report an estimation revert as text and lose
        # the payload; the same call as eth_call keeps it.
        try:
            fn.call(params)
        except Exception as call_exc:
            replayed = as_chain_error(call_exc, self._abi)
            if isinstance(replayed, ContractError):
                return replayed
        return error

    def send(self, fn: ContractFunction, *, gas: int | None = None) -> HexBytes:
        """Sign and send; returns the transaction hash without waiting."""
        tx = self.build(fn, gas=gas)
        return self._send_signed(tx)

    def send_eth(self, to: str, value: int) -> HexBytes:
        """Sign and send a plain ether transfer (21,000 gas); returns the hash without waiting."""
        fees = self.fees.fees(self.w3)
        tx: TxParams = {
            "from": self.address,
            "to": Web3.to_checksum_address(to),
            "value": Wei(value),
            "gas": 21_000,
            "nonce": Nonce(self.nonces.reserve(self.address)),
            "chainId": self.chain_id,
            "maxFeePerGas": Wei(fees["maxFeePerGas"]),
            "maxPriorityFeePerGas": Wei(fees["maxPriorityFeePerGas"]),
        }
        return self._send_signed(tx)

    def _send_signed(self, tx: TxParams) -> HexBytes:
        signed = self.account.sign_transaction(dict(tx))  # type: ignore[arg-type]
        try:
            return self.w3.eth.send_raw_transaction(signed.raw_transaction)
        except Exception as exc:
            self.nonces.resync(self.address)
            raise as_chain_error(exc, self._abi, tx_hash="0x" + signed.hash.hex()) from exc

    def transact(self, fn: ContractFunction, *, gas: int | None = None) -> TxReceipt:
        """Send and wait for a successful receipt."""
        return self.wait(self.send(fn, gas=gas))

    def send_many(self, calls: Iterable[tuple[ContractFunction, int]]) -> list[HexBytes]:
        """Pipeline: send every ``(call, gas)`` with consecutive nonces, then return the hashes.

        Gas must be given because estimating against a state the earlier transactions have
        not reached yet would be wrong.
        """
        return [self.send(fn, gas=gas) for fn, gas in calls]

    def wait(self, tx_hash: HexBytes, *, timeout: float | None = None) -> TxReceipt:
        """Wait for the receipt; raise the decoded error if the transaction reverted."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while True:
            try:
                receipt = self.w3.eth.wait_for_transaction_receipt(
                    tx_hash, timeout=max(0.1, deadline - time.monotonic()), poll_latency=0.05
                )
                break
            except (TimeExhausted, TransactionNotFound) as exc:
                if time.monotonic() >= deadline:
                    raise TransactionTimeout(
                        f"no receipt for {tx_hash.hex()} within the timeout",
                        tx_hash="0x" + tx_hash.hex(),
                    ) from exc
        if receipt["status"] != 1:
            raise self._reason(receipt)
        return receipt

    def wait_all(self, hashes: Sequence[HexBytes]) -> list[TxReceipt]:
        return [self.wait(h) for h in hashes]

    def _reason(self, receipt: TxReceipt) -> TransactionError:
        """Recover a reverted transaction's custom error.

        The node's own trace of the transaction is exact; nodes without the debug API get a
        replay as a call (``_replayed_revert``), which can differ when an earlier transaction of
        the same block caused the revert (the message then says so).
        """
        tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
        data = self._traced_revert(tx_hash)
        replayed = data is None
        if replayed:
            data = self._replayed_revert(receipt)
        decoded = decode_revert(data, self._abi, tx_hash=tx_hash) if data else None
        if decoded is not None:
            return decoded
        how = " (replayed as a call: the node has no debug_traceTransaction)"
        return TransactionError(
            f"transaction {tx_hash} reverted{how if replayed else ''}", tx_hash=tx_hash
        )

    def _traced_revert(self, tx_hash: str) -> bytes | None:
        rpc = JsonRpc.of(self.w3)
        return None if rpc is None else rpc.traced_output(tx_hash)  # the embedded chain: none

    def _replayed_revert(self, receipt: TxReceipt) -> bytes | None:
        """The revert data of the mined transaction replayed as a call (``replayed_revert``:
        on the parent block's state, then on the block's own)."""
        tx = self.w3.eth.get_transaction(receipt["transactionHash"])
        call: TxParams = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"]}
        return replayed_revert(lambda block: self.w3.eth.call(call, block), receipt["blockNumber"])
