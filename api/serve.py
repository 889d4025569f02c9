"""``carbon-ledger serve``: the API and, beside it, the indexer (SPEC section 2).

``build_services`` assembles a server from a node connection, a deployment, a store and the
operator's key: the submission pipeline, the custodial accounts, and the API's group-commit
journal. ``serve`` adds the indexer on its own thread, reporting into
``services.indexer`` (``/readyz``), and runs uvicorn until interrupted.
"""

from __future__ import annotations

import logging
import threading
import time

from eth_account.signers.local import LocalAccount
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from web3 import Web3

from api.custody import Custody
from api.deps import IndexerStatus, Ledger, Services
from api.settings import DEV_ADMIN_KEY, DEV_KEYSTORE_PASSWORD, Settings
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


class IndexerThread:
    """The indexer beside the API: follows the chain into the store and reports where it is in
    ``services.indexer`` (``/readyz``, ``/metrics``). A failure is reported there and the
    indexer starts again after a pause (a reorg deeper than the confirmations stays an error
    until someone looks)."""

    def __init__(
        self, services: Services, w3: Web3, deployment: Deployment, poll: float = 0.5
    ) -> None:
        self.services = services
        self.w3 = w3
        self.deployment = deployment
        self.poll = poll
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="indexer", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)

    def _run(self) -> None:
        from chain.indexer.core import Indexer, Progress

        status: IndexerStatus = self.services.indexer
        confirmations = self.services.settings.confirmations

        def report(p: Progress) -> None:
            with status.lock:
                status.head, status.block = p.head, p.block
                status.events_per_s = p.events_per_second
                status.error = None
                status.updated_at = time.monotonic()

        indexer = Indexer(
            self.w3, self.services.engine, self.deployment, confirmations=confirmations
        )
        while not self.stop.is_set():
            try:
                report(indexer.sync())
            except Exception as exc:
                log.exception("the indexer stopped; it starts again in 5 s")
                with status.lock:
                    status.error = f"{type(exc).__name__}: {exc}"
                self.stop.wait(5)
                indexer = Indexer(
                    self.w3, self.services.engine, self.deployment, confirmations=confirmations
                )
                continue
            self.stop.wait(self.poll)


def serve(settings: Settings) -> int:
    """Run the API and the indexer until interrupted (``carbon-ledger serve``)."""
    import uvicorn

    from api.app import create_app
    from chain.cli import cmd_deploy, connect, operator_account
    from chain.deployment import DEFAULT_ADMIN_DELAY
    from chain.errors import ConfigurationError
    from chain.store.engine import default_url, open_store

    settings.check()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    data_dir = settings.data_dir
    path = data_dir / "deployment.json"
    if settings.dev:
        if settings.admin_key is None:
            settings.admin_key = SecretStr(DEV_ADMIN_KEY)
            print(f"--dev: the admin API key is {DEV_ADMIN_KEY!r} (set CARBON_LEDGER_ADMIN_KEY)")
        if not path.exists():
            import argparse

            deploy = argparse.Namespace(
                data_dir=data_dir, rpc=settings.rpc, admin_delay=DEFAULT_ADMIN_DELAY, force=False
            )
            if cmd_deploy(deploy) != 0:
                raise ConfigurationError("the first deployment failed")
    operator = operator_account(local_chain=settings.rpc is None)
    deployment = Deployment.load(path)
    w3 = connect(data_dir, settings.rpc)
    deployment.check(w3)
    engine = open_store(settings.db or default_url(data_dir))
    services = build_services(settings, engine, w3, deployment, operator)
    services.start()
    indexer = IndexerThread(services, connect(data_dir, settings.rpc), deployment)
    indexer.start()
    try:
        print(
            f"carbon-ledger API on http://{settings.host}:{settings.port} (chain {deployment.chain_id}, ledger {deployment.address})"
        )
        uvicorn.run(
            create_app(services),
            host=settings.host,
            port=settings.port,
            log_level="info",
            access_log=False,
        )
    finally:
        indexer.close()
        services.close()
    return 0
