"""A ledger filled the way the demo fills it, for the read routes: the bundled real Verra and
Gold Standard exports imported on the embedded chain (every block bridged, the registries'
retirements and cancellations mirrored), then buyers moving, retiring, detokenising and
having credits cancelled in one VCS batch, with its labels set and its freeze toggled. The
chain is indexed into SQLite and, when the local server answers, into PostgreSQL too; every
route test runs against both stores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.app import create_app
from api.deps import Services
from api.settings import Settings
from chain.client import LedgerClient
from chain.domain import Label, Purpose, RangeState, RetirementRequest
from chain.indexer.core import Indexer
from chain.store import schema as s
from chain.store.engine import open_store
from tests.chain.conftest import new_pg_schema, pg_database, pg_url
from tests.chain.importer.support import GS_ISSUANCES, GS_RETIREMENTS, VERRA, Env, make_env

__all__ = ["pg_database"]  # the session's PostgreSQL database, reused from the store tests

LABELS = Label.CORSIA_ELIGIBLE | Label.CCP_APPROVED | Label.CORRESPONDING_ADJUSTMENT
"""The filled batch's labels."""

BENEFICIARY = "Ärzte ohne Grenzen 北京办事处"


@dataclass
class Filled:
    """The filled ledger and what the activity on it did (``batch``: the VCS batch used)."""

    env: Env
    alice: LedgerClient
    bob: LedgerClient
    custody: str
    batch: int
    first: int
    last: int
    retirements: list[int] = field(default_factory=list)
    engines: dict[str, Engine] = field(default_factory=dict)

    @property
    def chain(self) -> LedgerClient:
        return self.env.admin


def _live_vcs_batch(engine: Engine, custody: str) -> tuple[int, int, int]:
    """A VCS batch of at least 1,000 t that the registry's custody still holds whole."""
    b, r = s.batches, s.serial_ranges
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(b.c.id, b.c.first_serial, b.c.last_serial)
            .join(r, r.c.batch_id == b.c.id)
            .where(
                b.c.program_id == 1,
                b.c.quantity >= 1000,
                r.c.holder == custody.lower(),
                r.c.state == int(RangeState.HELD),
                r.c.first_serial == b.c.first_serial,
                r.c.last_serial == b.c.last_serial,
            )
            .order_by(b.c.id)
        ).first()
    assert row is not None, "the Verra export has live blocks of 1,000 t and more"
    return int(row.id), int(row.first_serial), int(row.last_serial)


def _activity(env: Env) -> Filled:
    alice, bob = env.buyer(1), env.buyer(2)
    issuer = env.issuer("VCS")
    custody = issuer.account
    batch, first, last = _live_vcs_batch(env.engine, custody)
    f = first
    issuer.transfer(batch, f + 100, f + 599, alice.account)
    alice.transfer(batch, f + 200, f + 299, bob.account)
    filled = Filled(env, alice, bob, custody, batch, first, last)
    request = RetirementRequest(
        batch,
        f + 100,
        f + 149,
        BENEFICIARY,
        Purpose.VOLUNTARY,
        jurisdiction="CH",
        consumption_start=dt.date(2024, 1, 1),
        consumption_end=dt.date(2024, 12, 31),
        note="read-route test",
    )
    # Labels first: once a credit is retired they are fixed (the retirement relied on them).
    # The vintage is 2021 or later: a CORSIA retirement needs the corresponding adjustment.
    env.admin.set_labels(batch, LABELS)
    filled.retirements.append(alice.retire(request).retirement_id)
    bob.detokenise(batch, f + 250, f + 299, "VCS-RETURN-1")
    env.admin.cancel(batch, bob.account, f + 200, f + 209, "reversal")
    env.admin.set_batch_frozen(batch, True)
    env.admin.set_batch_frozen(batch, False)
    corsia = RetirementRequest(batch, f + 150, f + 159, "Demo Airways", Purpose.CORSIA)
    filled.retirements.append(alice.retire(corsia).retirement_id)
    return filled


@pytest.fixture(scope="session")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Filled:
    env = make_env(tmp_path_factory.mktemp("reads"))
    env.run("vcs", issuances=VERRA)
    env.run("gs", issuances=GS_ISSUANCES, retirements=GS_RETIREMENTS)
    out = _activity(env)
    Indexer(env.chain.w3, env.engine, env.deployment, confirmations=0).sync()
    out.engines["sqlite"] = env.engine
    return out


@pytest.fixture(scope="session")
def pg_engine(filled: Filled, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The same chain indexed into a PostgreSQL store of its own."""
    database = request.getfixturevalue("pg_database")
    engine = open_store(pg_url(database, new_pg_schema(database)))
    Indexer(filled.env.chain.w3, engine, filled.env.deployment, confirmations=0).sync()
    yield engine
    engine.dispose()


def settings() -> Settings:
    # The route tests walk many pages quickly; rate limits are the limits tests' business.
    return Settings(dev=True, rate_limit_per_minute=10**7)


def client_for(engine: Engine) -> TestClient:
    return TestClient(create_app(Services(settings(), engine)))


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def store(request: pytest.FixtureRequest, filled: Filled) -> Engine:
    if request.param == "postgresql":
        engine: Engine = request.getfixturevalue("pg_engine")
        return engine
    return filled.engines["sqlite"]


@pytest.fixture(scope="session")
def client(store: Engine) -> TestClient:
    return client_for(store)


@pytest.fixture
def fresh_store(tmp_path: Path) -> Iterator[Engine]:
    """An empty, migrated SQLite store."""
    engine = open_store(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    yield engine
    engine.dispose()
