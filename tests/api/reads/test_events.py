"""GET /v1/events: the whole trail, whose raw bytes fold to the contract's audit head."""

from __future__ import annotations

from fastapi.testclient import TestClient

from chain.audit import fold, genesis
from tests.api.reads.conftest import Filled
from tests.api.reads.support import get, invalid_fields, walk


def test_the_trail_recomputes_to_the_contracts_head(client: TestClient, filled: Filled) -> None:
    events = walk(client, "/v1/events", limit=500)
    state = filled.chain.audit_state()
    assert [e["seq"] for e in events] == list(range(1, state.seq + 1))
    head = genesis(filled.env.deployment.chain_id, filled.env.deployment.address)
    for e in events:
        topics = [bytes.fromhex(t[2:]) for t in e["topics"]]
        head = fold(head, topics, bytes.fromhex(e["data"][2:]))
        assert e["audit_head"] == "0x" + head.hex()
    assert head == state.head


def test_positions_match_the_chains_logs(client: TestClient, filled: Filled) -> None:
    w3 = filled.env.chain.w3
    for e in get(client, "/v1/events", after_seq=1000, limit=5)["items"]:
        receipt = w3.eth.get_transaction_receipt(e["tx_hash"])
        log = next(x for x in receipt["logs"] if x["logIndex"] == e["log_index"])
        assert receipt["blockNumber"] == e["block_number"]
        assert "0x" + bytes(receipt["blockHash"]).hex() == e["block_hash"]
        assert receipt["transactionIndex"] == e["tx_index"]
        assert ["0x" + bytes(t).hex() for t in log["topics"]] == e["topics"]


def test_one_batchs_events_and_paging_by_seq(client: TestClient, filled: Filled) -> None:
    first = get(client, "/v1/events", batch_id=filled.batch, limit=4)
    assert len(first["items"]) == 4 and first["next_after_seq"] == first["items"][-1]["seq"]
    assert (
        first["next"]
        == f"/v1/events?batch_id={filled.batch}&limit=4&after_seq={first['next_after_seq']}"
    )
    events = walk(client, "/v1/events", batch_id=filled.batch, limit=4)
    assert all(e["batch_id"] == filled.batch for e in events)
    names = [e["name"] for e in events]
    assert names[0] == "BatchBridged" and names.count("CreditsRetired") == 2
    assert {"CreditsDetokenised", "CreditsCancelled", "LabelsUpdated"} <= set(names)
    moved = next(e for e in events if e["name"] == "SerialsMoved")
    assert moved["fields"]["firstSerial"] == filled.first and moved["fields"]["state"] == 1
    assert get(client, "/v1/events", after_seq=10**9)["items"] == []


def test_bad_parameters_are_422(client: TestClient) -> None:
    assert invalid_fields(client, "/v1/events", after_seq=-1) == ["query.after_seq"]
    assert invalid_fields(client, "/v1/events", batch_id="one") == ["query.batch_id"]
    assert invalid_fields(client, "/v1/events", limit=1001) == ["query.limit"]
