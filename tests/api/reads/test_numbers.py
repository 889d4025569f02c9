"""Serials at and beyond 2^53 are JSON strings, below it numbers: end to end, from a batch
bridged on the chain with such serials through the indexer to every read that shows them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.reads._common import json_int
from chain.indexer.core import Indexer
from tests.api.reads.conftest import client_for
from tests.api.reads.support import get
from tests.conftest import VCS_NAMESPACE, Ledger

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
