"""Reaching a chain and the operator's key: a node at a URL, or the data folder's local anvil.

Every command that talks to a chain, and ``carbon-ledger serve``, comes here: without ``--rpc``
they share the data folder's one local chain (started if needed), and the operator signs with
``CARBON_LEDGER_OPERATOR_KEY`` or, on that local chain only, anvil's public development key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from chain.errors import AnvilNotFound, ConfigurationError

if TYPE_CHECKING:
    from chain.anvil import LocalChain

OPERATOR_KEY_ENV = "CARBON_LEDGER_OPERATOR_KEY"
# anvil's first development account (mnemonic "test test ... junk"): public knowledge, only
# ever used against the data folder's own local chain.
ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


DEV_CHAIN_ID = 31337
"""anvil's (and Hardhat's) default chain id: a developer's own node, the data folder's or one at
``--rpc``, where one key may hold every role. A consortium's network has an id of its own, and
there the ledger's keys are separate (``carbon-ledger deploy --compliance --pauser``)."""


def is_dev_chain(w3: Web3) -> bool:
    """Whether the node is a development chain (``DEV_CHAIN_ID``)."""
    return int(w3.eth.chain_id) == DEV_CHAIN_ID


def operator_account(*, local_chain: bool) -> LocalAccount:
    """The operator's key: env CARBON_LEDGER_OPERATOR_KEY, or anvil's dev key on a local chain."""
    key = os.environ.get(OPERATOR_KEY_ENV)
    if key:
        try:
            account: LocalAccount = Account.from_key(key)
            return account
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"{OPERATOR_KEY_ENV} is not a valid private key") from exc
    if not local_chain:
        raise ConfigurationError(f"set {OPERATOR_KEY_ENV} to the operator's private key for --rpc")
    dev: LocalAccount = Account.from_key(ANVIL_DEV_KEY)
    return dev


def local_chain(data_dir: Path) -> LocalChain:
    """The data folder's local anvil, started (detached) if it is not running. Without anvil,
    the error names every way out, --rpc included: this is where a command without --rpc
    comes."""
    from chain.anvil import start_or_join

    try:
        return start_or_join(data_dir)
    except AnvilNotFound as exc:
        raise AnvilNotFound(f"{exc}; or pass --rpc URL to use a node that runs elsewhere") from None


def connect_to(rpc: str) -> Web3:
    """A connection to the node at ``rpc`` that answers."""
    w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 60}))
    if not w3.is_connected():
        raise ConfigurationError(f"cannot reach a node at {rpc}")
    return w3


def connect(data_dir: Path, rpc: str | None) -> Web3:
    """A connection to ``rpc``, or to the data folder's local anvil (started if needed)."""
    return connect_to(rpc if rpc is not None else local_chain(data_dir).url)
