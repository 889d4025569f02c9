"""The one way the project signs and sends a transaction (docs/ARCHITECTURE.md lists the modules).

The typed client, the importer and ``bench/gas.py`` send web3 contract calls through
``TxSender``; the API's submission pipeline and the benchmarks' bulk rounds encode with
``calldata``, sign with ``signer.RawSigner`` and broadcast in ``rpc.JsonRpc`` batches. All of
them take nonces from a ``NonceManager`` and fee caps from a ``FeePolicy``.
"""

from chain.transactions.fees import FeePolicy
from chain.transactions.nonces import NonceManager
from chain.transactions.sender import TxSender

__all__ = ["FeePolicy", "NonceManager", "TxSender"]
