"""``carbon-ledger serve``: the API and, beside it, the indexer (SPEC section 2).

``build_services`` assembles a server from a node connection, a deployment, a store and the
operator's key: the submission pipeline, the custodial accounts, and the API's group-commit
journal. ``serve`` adds the indexer on its own thread, reporting into
``services.indexer`` (``/readyz``), and runs uvicorn until interrupted.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import uvicorn
from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from web3 import Web3

from api import logs
from api._heap import freeze_startup_heap
from api._sigterm import Sigterm
from api.app import create_app
from api.custody import Custody
from api.deps import IndexerStatus, Ledger, Services
from api.journal import writer_engine
from api.logs import LogFormat
from api.readers.primary import serve_with_readers
from api.settings import DEV_ADMIN_KEY, DEV_KEYSTORE_PASSWORD, Settings
from api.submission.gates import Gates
from api.submission.node import Node
from api.submission.pipeline import Pipeline
from api.writes.views import Views
from chain.anvil import LocalChain, stop_node
from chain.connect import connect_to, is_dev_chain, local_chain, operator_account
from chain.deployment import DEFAULT_ADMIN_DELAY, Deployment
from chain.errors import ConfigurationError
from chain.indexer.core import Indexer, Progress
from chain.provision import deploy_into
from chain.store.engine import default_url, open_store

log = logging.getLogger("carbon_ledger.api")
DEV_SCRYPT_N = 2**14
"""Keystores of a --dev server: its password is public, so a strong KDF protects nothing."""


def build_services(
    settings: Settings,
    engine: Engine,
    w3: Web3,
    deployment: Deployment,
    operator: LocalAccount,
    compliance: LocalAccount | None,
) -> Services:
    """A writing server's services (not started: ``Services.start``); ``compliance`` signs
    compliance actions (``compliance_account``), ``None`` refuses them."""
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
        compliance=compliance,
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


def compliance_account(
    settings: Settings, operator: LocalAccount, *, local_chain: bool
) -> LocalAccount | None:
    """The key the server signs compliance actions with: ``CARBON_LEDGER_COMPLIANCE_KEY``;
    unset, the operator's on the local dev chain (where it holds every role) and none on a
    real node. On a real node the compliance key may not be the operator's: the roles are
    separate keys there (``carbon-ledger deploy --compliance``)."""
    key = settings.compliance_key
    if key is None:
        return operator if local_chain else None
    try:
        account: LocalAccount = Account.from_key(key.get_secret_value().strip())
    except (ValueError, TypeError) as exc:
        raise ConfigurationError("CARBON_LEDGER_COMPLIANCE_KEY is not a valid private key") from exc
    if not local_chain and account.address == operator.address:
        raise ConfigurationError(
            "CARBON_LEDGER_COMPLIANCE_KEY is the operator's key: on a real node compliance "
            "signs with a key of its own (the account named by deploy --compliance)"
        )
    return account


@dataclass(frozen=True)
class IndexerJob:
    """What the indexer process needs (picklable: it is started fresh, not forked)."""

    data_dir: Path
    rpc: str  # the node the server found, never a local chain to look for again
    store: str
    confirmations: int
    poll: float = 0.5
    log_format: LogFormat = "text"


def index_forever(job: IndexerJob, reports: Connection, stop: EventType) -> None:
    """The indexer process: sync, report, wait, again; a failure is reported and retried (the
    indexer records it in the store too: ``chain.indexer.halt``). Every commit is reported,
    not only each sync's end: writes waiting for their block are answered as it lands."""
    logs.configure("INFO", job.log_format, prefix="indexer ")
    deployment = Deployment.load(job.data_dir / "deployment.json")

    def report(p: Progress) -> None:
        reports.send(("progress", p.head, p.block, p.events_per_second))

    while not stop.is_set():
        try:
            engine = writer_engine(open_store(job.store))
            indexer = Indexer(
                connect_to(job.rpc),
                engine,
                deployment,
                confirmations=job.confirmations,
                on_progress=report,
            )
            indexer.follow(stop, poll_interval=job.poll, on_sync=report)
        except Exception as exc:
            log.exception("the indexer stopped; it starts again in 5 s")
            reports.send(("error", f"{type(exc).__name__}: {exc}"))
            stop.wait(5)


class IndexerProcess:
    """The indexer beside the API, in a process of its own: decoding and writing a full block
    a second would otherwise compete with the API for its one interpreter lock, which is what
    limits the API when it keeps the chain full (bench/api.py). A thread here relays its progress into ``services.indexer`` (``/readyz``, ``/metrics``) and
    ``services.mirror`` (the writes waiting for their block); a failure
    is reported there, and the process starts the indexer again after a pause (a reorg deeper
    than the confirmations stays an error until someone looks)."""

    def __init__(self, services: Services, job: IndexerJob) -> None:
        context = multiprocessing.get_context("spawn")
        self.services = services
        self.stop = context.Event()
        self._reports, child = context.Pipe(duplex=False)
        self.process = context.Process(
            target=index_forever, args=(job, child, self.stop), name="indexer", daemon=True
        )
        self.relay = threading.Thread(target=self._relay, name="indexer-relay", daemon=True)

    def start(self) -> None:
        self.process.start()
        self.relay.start()

    def close(self) -> None:
        self.stop.set()
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.kill()
        self.relay.join(timeout=5)

    def _relay(self) -> None:
        status: IndexerStatus = self.services.indexer
        while not self.stop.is_set():
            if not self._reports.poll(0.5):
                continue
            try:
                report = self._reports.recv()
            except EOFError:
                return
            with status.lock:
                if report[0] == "progress":
                    status.head, status.block, status.events_per_s = report[1:]
                    status.error = None
                else:
                    status.error = report[1]
                status.updated_at = time.monotonic()
            if report[0] == "progress":
                self.services.mirror.advance(report[2])  # writes waiting for it answer now


def read_workers(settings: Settings) -> int:
    """How many read workers to run: none when reads are not public, since then every read is
    authenticated and written to the API audit log, whose one writer is this process."""
    if settings.read_workers and not settings.public_reads:
        log.info("public reads are off: every read is audited here, so no read workers run")
        return 0
    return settings.read_workers


def serve(settings: Settings) -> int:
    """Run the API and the indexer until interrupted (``carbon-ledger serve``).

    Without ``--rpc`` it runs on the data folder's local chain, starting it if it is not
    running. A chain it started it stops when it exits (Ctrl-C, SIGTERM, an error), since
    nothing else knows to; one that ran before it (``carbon-ledger chain``, another command's)
    it leaves alone. A server killed outright leaves its chain, and the next command joins it."""
    settings.check()
    logs.configure(settings.log_level, settings.log_format)
    local: LocalChain | None = None
    with Sigterm().installed() as sigterm:
        try:
            rpc = settings.rpc
            if rpc is None:
                local = local_chain(settings.data_dir)
                rpc = local.url
            _serve(settings, rpc)
        finally:
            if local is not None and local.started is not None:
                stop_node(settings.data_dir, pid=local.started)
    return sigterm.exit_code(0)


def _serve(settings: Settings, rpc: str) -> None:
    data_dir = settings.data_dir
    path = data_dir / "deployment.json"
    local = settings.rpc is None
    w3 = connect_to(rpc)
    # One key may hold every role on a development chain, the folder's or anvil at --rpc.
    one_key = local or is_dev_chain(w3)
    operator = operator_account(local_chain=local)
    if settings.dev:
        if settings.admin_key is None:
            settings.admin_key = SecretStr(DEV_ADMIN_KEY)
            print(f"--dev: the admin API key is {DEV_ADMIN_KEY!r} (set CARBON_LEDGER_ADMIN_KEY)")
        if not path.exists() and not one_key:
            raise ConfigurationError(
                f"{path} does not exist: on a real node deploy first, naming its separate "
                "keys (carbon-ledger deploy --rpc URL --compliance ADDR --pauser ADDR "
                "--program-admin CODE=ADDR); serve --dev deploys only on a development chain"
            )
        if not path.exists():
            deploy_into(
                data_dir,
                w3,
                on_local_chain=one_key,
                admin_delay=DEFAULT_ADMIN_DELAY,
                force=False,
                operator=operator,
            )
    deployment = Deployment.load(path)
    deployment.check(w3)
    store = settings.db or default_url(data_dir)
    engine = open_store(store)  # migrated before the indexer and the read workers
    compliance = compliance_account(settings, operator, local_chain=one_key)
    services = build_services(settings, engine, w3, deployment, operator, compliance)
    services.start()
    # The indexer follows the node this server found: were it to look for the local chain on
    # its own, it could start another one that the API never talks to.
    indexer = IndexerProcess(
        services,
        IndexerJob(data_dir, rpc, store, settings.confirmations, log_format=settings.log_format),
    )
    indexer.start()
    try:
        print(
            f"carbon-ledger API on http://{settings.host}:{settings.port} (chain {deployment.chain_id}, ledger {deployment.address})"
        )
        app = create_app(services)
        freeze_startup_heap()
        workers = read_workers(settings)
        if workers:
            serve_with_readers(app, settings, store, workers, services.connections)
        else:
            uvicorn.run(app, host=settings.host, port=settings.port, **logs.UVICORN_OPTIONS)
    finally:
        indexer.close()
        services.close()
