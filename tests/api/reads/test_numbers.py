"""Serials at and beyond 2^53 are JSON strings, below it numbers: end to end, from a batch
bridged on the chain with such serials through the indexer to every read that shows them.
Tonnes whose grams pass 2^63 (the largest unit times the longest range) stay exact."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.reads import queries as q
from api.reads._common import json_int
from chain.indexer.core import Indexer
from chain.store.engine import open_store
from chain.units import Unit, tonnes_text
from tests.api.reads.conftest import client_for
from tests.api.reads.support import get
from tests.chain.conftest import new_pg_schema, pg_url
from tests.conftest import VCS_NAMESPACE, Ledger
from tests.contracts._helpers import GS_PROJECT

EDGE = 2**53


def test_json_int_switches_at_2_53() -> None:
    assert json_int(EDGE - 1) == EDGE - 1
    assert json_int(EDGE) == str(EDGE)
    assert json_int(2**63 - 1) == "9223372036854775807"


def _client(ledger: Ledger, store: Engine) -> TestClient:
    Indexer(ledger.chain.w3, store, ledger.deployment, confirmations=0).sync()
    return client_for(store)


def test_big_serials_are_strings_everywhere(ledger: Ledger, fresh_store: Engine) -> None:
    first, last = EDGE - 2, EDGE + 97  # straddles 2^53
    batch = ledger.issuer.bridge(ledger.issuance(first, last)).batch_id
    ledger.alice.transfer(batch, EDGE, EDGE + 9, ledger.bob.account)
    client = _client(ledger, fresh_store)

    body = get(client, f"/v1/batches/{batch}")
    assert (body["first_serial"], body["last_serial"]) == (first, str(last))
    assert body["quantity"] == 100 and body["totals"]["held"] == 100
    pieces = [(x["first_serial"], x["last_serial"]) for x in body["ranges"]["items"]]
    assert pieces == [(first, EDGE - 1), (str(EDGE), str(EDGE + 9)), (str(EDGE + 10), str(last))]

    found = get(client, f"/v1/serials/VCS/{EDGE + 5}", namespace=VCS_NAMESPACE)
    assert found["first_serial"] == str(EDGE + 5) and found["holder"] == ledger.bob.account.lower()
    assert found["ranges"][0]["first_serial"] == str(EDGE)
    moved = [e for e in found["history"] if e["name"] == "SerialsMoved"]
    assert moved[-1]["fields"]["firstSerial"] == str(EDGE)

    holdings = get(client, f"/v1/accounts/{ledger.bob.account}/holdings")
    assert holdings["items"][0]["ranges"] == [
        {
            "first_serial": str(EDGE),
            "last_serial": str(EDGE + 9),
            "quantity": 10,
            "registry_serial": None,  # bridged without a registry serial as its reference
        }
    ]
    below = get(client, f"/v1/serials/VCS/{EDGE - 1}", namespace=VCS_NAMESPACE)
    assert below["first_serial"] == EDGE - 1 and below["holder"] == ledger.alice.account.lower()


# ---------------------------------------------------------------- tonnes past 2^63 grams

LARGEST_UNIT = 2**32 - 1  # grams per serial: setProgramUnit takes any uint32
LARGEST_BATCH = 2**32 - 1  # serials: the contract's longest range


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty, migrated store of either kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'big.sqlite3'}"
    else:
        database = request.getfixturevalue("pg_database")
        url = pg_url(database, new_pg_schema(database))
    engine = open_store(url)
    yield engine
    engine.dispose()


def test_tonnes_past_2_63_grams_are_exact_in_every_total(ledger: Ledger, any_store: Engine) -> None:
    """A batch of the longest range in the largest unit the contract accepts is (2^32-1)^2 g,
    past what a 64-bit SQL integer holds: stats, the account's tonnes, the dashboard's
    series and the monthly retirements stay exact (no float, no overflow error)."""
    gs = ledger.gs
    ledger.admin.set_program_unit(gs, LARGEST_UNIT)
    key = ledger.gs_issuer.ensure_project(gs, GS_PROJECT)
    issuance = dataclasses.replace(
        ledger.issuance(1, LARGEST_BATCH), program_id=gs, project_key=key, namespace="GS"
    )
    batch = ledger.gs_issuer.bridge(issuance).batch_id
    ledger.alice.retire_quantity(batch, 2**31, "Hilti Corporation")
    Indexer(ledger.chain.w3, any_store, ledger.deployment, confirmations=0).sync()
    client = client_for(any_store)

    def tonnes(serials: int) -> str:
        return tonnes_text(Unit(LARGEST_UNIT).tonnes(serials))

    retired, held = 2**31, LARGEST_BATCH - 2**31
    assert tonnes(LARGEST_BATCH) == "18446744065119.617025"
    stats = get(client, "/v1/stats")
    want = {"bridged": tonnes(LARGEST_BATCH), "held": tonnes(held), "retired": tonnes(retired)}
    for group in (stats["totals"], *stats["by_program"]):
        assert {k: group["tonnes"][k] for k in want} == want, group
    with any_store.connect() as conn:
        by_state = q.account_tonnes(conn, ledger.alice.account)
        assert by_state["held"] == Unit(LARGEST_UNIT).tonnes(held)
        assert by_state["retired"] == Unit(LARGEST_UNIT).tonnes(retired)
        [(_, monthly)] = q.retired_by_month(conn)
        assert monthly == Unit(LARGEST_UNIT).tonnes(retired)
        last = q.tonnes_over_blocks(conn, 4)[-1][1]
        assert (last.bridged, last.retired) == (
            Unit(LARGEST_UNIT).tonnes(LARGEST_BATCH),
            Unit(LARGEST_UNIT).tonnes(retired),
        )
