"""``carbon-ledger serve``: the API and, beside it, the indexer (SPEC section 2).

``build_services`` assembles a server from a node connection, a deployment, a store and the
operator's key: the submission pipeline, the custodial accounts, and the API's group-commit
journal. ``serve`` adds the indexer on its own thread, reporting into
``services.indexer`` (``/readyz``), and runs uvicorn until interrupted.
"""

from __future__ import annotations

import logging

from eth_account.signers.local import LocalAccount
from sqlalchemy.engine import Engine
from web3 import Web3

from api.custody import Custody
from api.deps import Ledger, Services
from api.settings import DEV_KEYSTORE_PASSWORD, Settings
from api.submission.gates import Gates
from api.submission.node import Node
from api.submission.pipeline import Pipeline
from api.writes.views import Views
from chain.deployment import Deployment

log = logging.getLogger("carbon_ledger.api")
DEV_SCRYPT_N = 2**14
"""Keystores of a --dev server: its password is public, so a strong KDF protects nothing."""


def build_services(
    settings: Settings,
    engine: Engine,
    w3: Web3,
    deployment: Deployment,
    operator: LocalAccount,
) -> Services:
    """A writing server's services (not started: ``Services.start``)."""
    node = Node(w3)
    services = Services(settings, engine)
    password = settings.keystore_password
    custody = Custody(
        settings.data_dir,
        password.get_secret_value() if password is not None else DEV_KEYSTORE_PASSWORD,
        operator,
        node.chain_id,
        scrypt_n=settings.keystore_scrypt_n
        if not settings.dev
        else min(settings.keystore_scrypt_n, DEV_SCRYPT_N),
    )
    contract = deployment.address.lower()
    pipeline = Pipeline(node, services.journal, contract, custody.signer)
    services.ledger = Ledger(
        w3=w3,
        deployment=deployment,
        node=node,
        pipeline=pipeline,
        custody=custody,
        gates=Gates(),
        views=Views(node, contract),
    )
    return services
