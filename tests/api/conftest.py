"""A writing API over the embedded chain: the session's deployed ledger (tests/conftest.py,
rolled back after each test), a fresh SQLite store, real custodial keystores in the test's
folder, the submission pipeline running, and the indexer following the chain into the store
beside it (as ``serve`` runs it: there in a process, here in a thread), so that writes answer
once the store holds them. ``api.key(...)`` creates keys through the API itself, as an admin
would."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from pydantic import SecretStr
from web3 import Web3

from api.app import create_app
from api.deps import Ledger as ApiLedger
from api.deps import Services
from api.journal import writer_engine
from api.mirror import Mirror
from api.serve import build_services
from api.settings import Settings
from chain.deployment import Deployment
from chain.indexer import halt
from chain.indexer.core import Indexer, Progress
from chain.store import schema as s
from chain.store.engine import open_store
from tests.conftest import VCS_NAMESPACE, Ledger

log = logging.getLogger(__name__)
ADMIN = "test-admin-key-0123456789"
PASSWORD = "test-keystore-password"
VERRA_SERIAL = "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
BALE = {
    "name": "Bale Mountains Eco-region REDD+ project",
    "country": "ET",
    "methodology": "VM0015",
    "type": "AFOLU",
}
__all__ = ["VCS_NAMESPACE"]


def verra_serial(first: int, last: int, block: int = 19385) -> str:
    """A Verra serial of the Bale Mountains 2020 vintage (project 1340) for ``first..last``."""
    return f"{block}-{first}-{last}-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"


def issuance_body(
    recipient: str, first: int = 941467007, last: int = 941467431, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "program": "VCS",
        "serial": verra_serial(first, last),
        "recipient": recipient,
        "project": dict(BALE),
        "vintage_start": "2020-01-01",
        "vintage_end": "2020-12-31",
        "labels": ["corsia_eligible"],
    }
    body.update(extra)
    return body


@dataclass
class Key:
    id: str
    secret: str
    role: str
    address: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


@dataclass
class Api:
    client: TestClient
    services: Services
    ledger: Ledger
    folder: Path
    syncing: threading.Lock
    """Held by the indexer beside the API while it syncs (``indexer_paused``)."""
    keys: dict[str, Key] = field(default_factory=dict)

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN}"}

    @property
    def chain(self) -> ApiLedger:
        assert self.services.ledger is not None
        return self.services.ledger

    def key(self, role: str, program: str | None = None) -> Key:
        body: dict[str, Any] = {"role": role}
        if program is not None:
            body["program"] = program
        answer = self.client.post("/v1/keys", json=body, headers=self.admin)
        assert answer.status_code == 201, answer.text
        data = answer.json()
        return Key(data["id"], data["key"], role, data.get("address"))

    def post(self, path: str, key: Key | None, body: Any, **headers: str) -> httpx.Response:
        sent = dict(key.headers if key else {}) | headers
        return self.client.post(path, json=body, headers=sent)

    @contextlib.contextmanager
    def mining_paused(self) -> Iterator[None]:
        """Transactions wait in the pool until ``mine``."""
        with self._chain_lock:
            self.ledger.chain.tester.disable_auto_mine_transactions()
        try:
            yield
        finally:
            with self._chain_lock:
                self.ledger.chain.tester.enable_auto_mine_transactions()

    def mine(self) -> None:
        with self._chain_lock:
            self.ledger.chain.mine()

    @property
    def _chain_lock(self) -> Any:
        # py-evm is not thread-safe: the pipeline's threads query it through this lock.
        return self.ledger.chain.w3.provider._carbon_ledger_lock  # type: ignore[attr-defined]

    @contextlib.contextmanager
    def indexer_paused(self) -> Iterator[None]:
        """The store stays where it is (the indexer waits) until the block ends."""
        with self.syncing:
            yield

    def index(self) -> None:
        """Bring the store up to the chain now. The indexer beside the server waits meanwhile:
        two indexers at once would refuse each other (``IndexerBusy``)."""
        with self.syncing:
            Indexer(
                self.ledger.chain.w3, self.services.engine, self.ledger.deployment, confirmations=0
            ).catch_up(timeout=20, poll=0.02)


def stop_the_indexer_at_a_retirement(ledger: Ledger, engine: sa.Engine) -> halt.Halt:
    """Index a retirement into ``engine``, then stop its indexer for real: a retirements row
    put in the store by hand with the id of the chain's next retirement, which the indexer
    then cannot insert. Returns the halt it recorded (a SQLite store)."""
    w3 = ledger.chain.w3
    ledger.issuer.bridge(ledger.issuance(1, 1000))
    ledger.alice.retire_quantity(1, 10, "Hilti Corporation")
    Indexer(w3, engine, ledger.deployment, confirmations=0).sync()
    with engine.begin() as conn:
        row = conn.execute(sa.select(s.retirements)).mappings().one()
        conn.execute(s.retirements.insert().values(dict(row, id=row["id"] + 1)))
    ledger.alice.retire_quantity(1, 20, "Kering")
    with pytest.raises(sa.exc.IntegrityError):
        Indexer(w3, engine, ledger.deployment, confirmations=0).sync()
    with engine.connect() as conn:
        recorded = halt.read(conn)
    assert recorded is not None and recorded.event == "CreditsRetired"
    return recorded


def api_settings(folder: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": folder,
        "admin_key": SecretStr(ADMIN),
        "keystore_password": SecretStr(PASSWORD),
        "keystore_scrypt_n": 2**4,
        "operator_key": SecretStr("0x" + "11" * 32),
        "confirm_timeout_s": 20.0,
        "rate_limit_per_minute": 100_000,
    }
    values.update(overrides)
    return Settings(**values)


OPERATOR_COMPLIANCE: Any = object()
"""``open_api``'s default compliance key: the operator's, as on a dev chain (the test ledger's
admin holds COMPLIANCE_ROLE)."""


def open_api(
    ledger: Ledger,
    folder: Path,
    *,
    compliance: LocalAccount | None = OPERATOR_COMPLIANCE,
    **overrides: Any,
) -> Services:
    """Services over the test ledger, started (reconciling what the store holds); the API
    signs compliance actions with ``compliance`` (default: the operator, as on a dev chain)."""
    engine = open_store(f"sqlite:///{folder / 'store.sqlite3'}")
    assert ledger.admin.sender is not None
    operator = ledger.admin.sender.account
    services = build_services(
        api_settings(folder, **overrides),
        engine,
        ledger.chain.w3,
        ledger.deployment,
        operator,
        operator if compliance is OPERATOR_COMPLIANCE else compliance,
    )
    services.start()
    return services


@contextlib.contextmanager
def indexer_beside(
    w3: Web3, url: str, deployment: Deployment, mirror: Callable[[], Mirror]
) -> Iterator[threading.Lock]:
    """The indexer following the chain into the store at ``url``, reporting each commit to
    ``mirror()``, as ``serve``'s relay does (a server started again on the store meanwhile
    finds the store's progress itself: ``api.mirror``). Like ``serve``'s, it starts again
    after a failure (eth-tester refuses calls now and then while transactions wait unmined).
    Yields the lock each sync holds: whoever takes it holds the store where it is."""
    engine = writer_engine(open_store(url))
    stop = threading.Event()
    syncing = threading.Lock()

    def report(progress: Progress) -> None:
        mirror().advance(progress.block)

    def run() -> None:
        indexer = Indexer(w3, engine, deployment, confirmations=0, on_progress=report)
        while not stop.is_set():
            try:
                with syncing:
                    report(indexer.sync())
            except Exception:
                log.warning("the indexer beside the test API stopped; again", exc_info=True)
            stop.wait(0.02)

    thread = threading.Thread(target=run, name="test-indexer", daemon=True)
    thread.start()
    try:
        yield syncing
    finally:
        stop.set()
        thread.join(timeout=30)
        engine.dispose()


@pytest.fixture
def api(ledger: Ledger, tmp_path: Path) -> Iterator[Api]:
    with running_api(ledger, tmp_path) as running:
        yield running


@contextlib.contextmanager
def running_api(ledger: Ledger, tmp_path: Path, **options: Any) -> Iterator[Api]:
    """The ``api`` fixture's server, ``open_api``'s ``options`` given."""
    services = open_api(ledger, tmp_path, **options)
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    try:
        with (
            indexer_beside(
                ledger.chain.w3, url, ledger.deployment, lambda: services.mirror
            ) as syncing,
            TestClient(create_app(services)) as client,
        ):
            yield Api(client, services, ledger, tmp_path, syncing)
    finally:
        services.close()
        # The API sent as the operator (the fixture's admin): its cached nonce is stale now.
        ledger.nonces.reset()
