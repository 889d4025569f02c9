"""``POST /v1/issuances`` (custodial): the SPEC's response, what lands on chain, and every way a
body can be wrong (422 naming the field, 409 for conflicts, 403 for another programme)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from eth_utils.crypto import keccak

from chain.domain import Label, project_key
from tests.api.conftest import BALE, Api, Key, issuance_body, verra_serial

SPEC_FIELDS = {
    "id",
    "batch_id",
    "program",
    "namespace",
    "first_serial",
    "last_serial",
    "quantity",
    "tx_hash",
    "status",
}
TONGXU = "19380-941382555-941382741-VCS-VCU-1310-VER-CN-13-3005-01012022-31102022-0"
GS_SERIAL = "GS1-1-UG-GS11236-16-2024-30307-1-19149"


@pytest.fixture
def issuer(api: Api) -> Key:
    return api.key("issuer", "VCS")


@pytest.fixture
def holder(api: Api) -> Key:
    return api.key("holder")


def test_a_verra_block_is_bridged_serial_exact(api: Api, issuer: Key, holder: Key) -> None:
    body = issuance_body(holder.address or "", metadata={"source": "registry", "row": 7})
    answer = api.post("/v1/issuances", issuer, body)
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert set(data) >= SPEC_FIELDS
    assert data["status"] == "confirmed"
    assert (data["program"], data["namespace"]) == ("VCS", "VCS-VCU")
    assert (data["first_serial"], data["last_serial"], data["quantity"]) == (
        941467007,
        941467431,
        425,
    )
    chain = api.ledger.admin
    batch = chain.batch(data["batch_id"])
    assert (batch.first_serial, batch.quantity) == (941467007, 425)
    assert batch.labels == Label.CORSIA_ELIGIBLE
    assert chain.balance_of(holder.address or "", data["batch_id"]) == 425
    receipt = chain.w3.eth.get_transaction_receipt(data["tx_hash"])
    assert receipt["status"] == 1
    # The batch carries the hash of the canonical metadata document (docs/API.md).
    document = {
        "serial": body["serial"],
        "program": "VCS",
        "namespace": "VCS-VCU",
        "first": 941467007,
        "last": 941467431,
        "project": {"id": "1340", **BALE},
        "vintage": ["2020-01-01", "2020-12-31"],
        "labels": 1,
        "reference": body["serial"],  # by default the registry serial (it names block 19385)
        "metadata": {"source": "registry", "row": 7},
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    bridged = next(e for e in chain._result(receipt).events if e.name == "BatchBridged")
    issuance = bridged.fields["issuance"]
    assert issuance["metadataHash"] == keccak(text.encode())
    assert issuance["registryReference"] == body["serial"]


def test_a_new_project_is_registered_first(api: Api, issuer: Key, holder: Key) -> None:
    chain = api.ledger.admin
    key = project_key(api.ledger.vcs, "3005")
    assert chain.project_program(key) == 0
    project = {"name": "Tongxu wind", "country": "CN", "methodology": "ACM0002", "type": "Wind"}
    body = issuance_body(holder.address or "", serial=TONGXU, project=project)
    body |= {"vintage_start": "2022-01-01", "vintage_end": "2022-10-31"}
    answer = api.post("/v1/issuances", issuer, body)
    assert answer.status_code == 201, answer.text
    assert chain.project_program(key) == api.ledger.vcs


def test_other_registries_formats_work_through_their_adapter(api: Api, holder: Key) -> None:
    gs = api.key("issuer", "GS")
    body = {
        "program": "GS",
        "serial": GS_SERIAL,
        "recipient": holder.address,
        "project": {"name": "BioLite cook stoves", "country": "UG", "type": "Energy Efficiency"},
        "vintage_start": "2024-01-01",
        "vintage_end": "2024-12-08",
    }
    answer = api.post("/v1/issuances", gs, body)
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert data["namespace"] == "GS1-1-UG-GS11236-16-2024-30307"
    assert (data["first_serial"], data["last_serial"]) == (1, 19149)


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (941467007, 941467431),
        (941467431, 941467500),
        (941467000, 941467007),
        (941467100, 941467200),
    ],
)
def test_overlapping_or_repeated_serials_are_409_and_nothing_is_sent(
    api: Api, issuer: Key, holder: Key, first: int, last: int
) -> None:
    assert api.post("/v1/issuances", issuer, issuance_body(holder.address or "")).status_code == 201
    batches = api.ledger.admin.batch_count()
    answer = api.post("/v1/issuances", issuer, issuance_body(holder.address or "", first, last))
    assert answer.status_code == 409, answer.text
    problem = answer.json()
    assert problem["error"] == "SerialsAlreadyBridged"
    assert problem["tx_hash"] is None  # refused before sending: the part book knew
    assert api.ledger.admin.batch_count() == batches


def test_adjacent_blocks_both_bridge(api: Api, issuer: Key, holder: Key) -> None:
    lower = api.post("/v1/issuances", issuer, issuance_body(holder.address or "", 100, 199))
    upper = api.post("/v1/issuances", issuer, issuance_body(holder.address or "", 200, 299))
    below = api.post("/v1/issuances", issuer, issuance_body(holder.address or "", 1, 99))
    assert [a.status_code for a in (lower, upper, below)] == [201, 201, 201]


def test_an_issuer_bridges_only_its_own_programme(api: Api, issuer: Key, holder: Key) -> None:
    body = issuance_body(holder.address or "", program="GS", serial=GS_SERIAL)
    answer = api.post("/v1/issuances", issuer, body)
    assert answer.status_code == 403, answer.text


def _bad(holder: str) -> list[tuple[dict[str, Any], str, int]]:
    base = issuance_body(holder)
    return [
        (base | {"serial": "19385-941467431-941467007-VCS-VCU"}, "serial", 422),
        (base | {"serial": "not a serial"}, "serial", 422),
        (base | {"serial": GS_SERIAL}, "serial", 422),
        (base | {"project": BALE | {"id": "999"}}, "project.id", 422),
        (base | {"vintage_start": "2019-01-01"}, "vintage_start", 422),
        (base | {"vintage_end": "2019-12-31"}, "vintage_end", 422),
        (base | {"vintage_start": "2020-02-30"}, "vintage_start", 422),
        (base | {"labels": ["gold_star"]}, "labels.0", 422),
        (base | {"recipient": "0x1234"}, "recipient", 422),
        (base | {"program": "vcs"}, "program", 422),
        (base | {"colour": "green"}, "colour", 422),
        ({k: v for k, v in base.items() if k != "serial"}, "serial", 422),
        (base | {"project": {"name": "x"}}, "project.country", 422),
        (base | {"registry_reference": "r" * 300}, "registry_reference", 422),
        (base | {"serial": verra_serial(1, 2**40)}, "serial", 422),
    ]


def test_every_bad_field_is_a_422_naming_it(api: Api, issuer: Key, holder: Key) -> None:
    for body, field, status in _bad(holder.address or ""):
        answer = api.post("/v1/issuances", issuer, body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        fields = [e["field"] for e in answer.json().get("errors", [])]
        assert field in fields, (field, answer.json())
    assert api.ledger.admin.batch_count() == 0


def test_malformed_json_is_a_422_not_a_crash(api: Api, issuer: Key) -> None:
    answer = api.client.post(
        "/v1/issuances",
        content=b"{not json",
        headers=issuer.headers | {"content-type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "body"


def test_a_recipient_not_allowlisted_is_409(api: Api, issuer: Key) -> None:
    outsider = api.ledger.outsider.account
    answer = api.post("/v1/issuances", issuer, issuance_body(outsider))
    assert answer.status_code == 409, answer.text
    assert answer.json()["errors"][0]["field"] == "recipient"


def test_a_paused_ledger_refuses_with_409(api: Api, issuer: Key, holder: Key) -> None:
    api.ledger.admin.pause()
    answer = api.post("/v1/issuances", issuer, issuance_body(holder.address or ""))
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"] == "EnforcedPause"
    assert answer.json()["tx_hash"]  # mined and reverted: the decoded error is the answer


def test_a_slow_chain_gets_202_and_a_status_url(api: Api, issuer: Key, holder: Key) -> None:
    api.services.settings.confirm_timeout_s = 0.2
    with api.mining_paused():
        answer = api.post("/v1/issuances", issuer, issuance_body(holder.address or ""))
        assert answer.status_code == 202, answer.text
        data = answer.json()
        assert (
            answer.headers["location"] == data["status_url"] == f"/v1/requests/{data['request_id']}"
        )
        # On a busy machine the answer may come before the broadcast: then it says "accepted",
        # and the status URL says "submitted", with the transaction's hash, once it is sent.
        assert data["status"] in ("accepted", "submitted")
        assert data["status"] == "accepted" or data["tx_hash"]
        deadline = time.monotonic() + 30
        while True:
            pending = api.client.get(data["status_url"], headers=issuer.headers).json()
            if pending["status"] != "accepted" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert pending["status"] == "submitted" and pending["result"] is None
        assert pending["tx_hash"] and data["tx_hash"] in (None, pending["tx_hash"])
        api.mine()
    api.chain.pipeline.settled(data["request_id"], timeout=30)
    api.index()  # "confirmed" once the store holds it too (test_read_your_writes.py)
    status = api.client.get(data["status_url"], headers=issuer.headers).json()
    assert status["status"] == "confirmed"
    assert status["result"]["batch_id"] == 1
    assert status["tx_hash"] == pending["tx_hash"]
