"""The one way the project signs and sends a transaction.

| module | owns |
|---|---|
| ``calldata`` | a contract function's selector, calldata and decoded result (eth_abi) |
| ``signer`` | EIP-1559 raw transactions signed with coincurve (``RawSigner``), byte-identical to eth-account's |
| ``fees`` | the fee policy: caps from the node's base fee; zero-gas chains |
| ``nonces`` | consecutive nonces per account, resync after a refusal over the nonce |
| ``rpc`` | raw JSON-RPC and batches through a web3 provider |
| ``sender`` | ``TxSender``: web3 contract calls signed, sent and confirmed, reverts decoded |

The typed client, the importer and ``bench/gas.py`` send through ``TxSender``; the API's
submission pipeline and the benchmarks' bulk rounds sign with ``RawSigner`` and broadcast in
``JsonRpc`` batches. All of them take nonces from a ``NonceManager`` and fees from a
``FeePolicy``.
"""

from chain.transactions.fees import FeePolicy
from chain.transactions.nonces import NonceManager
from chain.transactions.sender import TxSender

__all__ = ["FeePolicy", "NonceManager", "TxSender"]
