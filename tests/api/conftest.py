"""A writing API over the embedded chain: the session's deployed ledger (tests/conftest.py,
rolled back after each test), a fresh SQLite store, real custodial keystores in the test's
folder, and the submission pipeline running. ``api.key(...)`` creates keys through the API
itself, as an admin would."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.deps import Ledger as ApiLedger
from api.deps import Services
from api.serve import build_services
from api.settings import Settings
from chain.indexer.core import Indexer
from chain.store.engine import open_store
from tests.conftest import VCS_NAMESPACE, Ledger

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

    def index(self) -> None:
        """Bring the store up to the chain (as the indexer beside the server does)."""
        Indexer(
            self.ledger.chain.w3, self.services.engine, self.ledger.deployment, confirmations=0
        ).sync()


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


def open_api(ledger: Ledger, folder: Path, **overrides: Any) -> Services:
    """Services over the test ledger, started (reconciling what the store holds)."""
    engine = open_store(f"sqlite:///{folder / 'store.sqlite3'}")
    assert ledger.admin.sender is not None
    services = build_services(
        api_settings(folder, **overrides),
        engine,
        ledger.chain.w3,
        ledger.deployment,
        ledger.admin.sender.account,
    )
    services.start()
    return services


@pytest.fixture
def api(ledger: Ledger, tmp_path: Path) -> Iterator[Api]:
    services = open_api(ledger, tmp_path)
    try:
        with TestClient(create_app(services)) as client:
            yield Api(client, services, ledger, tmp_path)
    finally:
        services.close()
        # The API sent as the operator (the fixture's admin): its cached nonce is stale now.
        ledger.nonces.reset()
