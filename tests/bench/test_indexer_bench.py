"""bench/indexer.py in a small in-process run (no timing is asserted), and the exactness of the
fast paths it measures: the raw-log decoder and the ``events.fields`` encoding.

The run generates ~2,000 events on a temporary anvil, indexes them into SQLite and (when a
server answers) PostgreSQL, verifies both stores against the chain, and times the lookups on
a 20,000-range store.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hexbytes import HexBytes
from web3 import Web3

from bench import indexer
from chain.domain import Label, RetirementRequest
from chain.events import LedgerEvent, _decode_with_eth_abi, decode_log, decode_logs
from chain.indexer._fields_json import fields_json, jsonable
from tests.conftest import Ledger

EVENTS = 2_000
RANGES = 20_000
REQUIRED = (
    "events",
    "ceiling_events_per_s",
    "sqlite_events_per_s",
    "postgres_events_per_s",
    "lookup_p99_ms",
)


def _postgres() -> bool:
    import psycopg

    url = os.environ.get(indexer.POSTGRES_ENV, indexer.DEFAULT_POSTGRES)
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    args = ["--json", "--events", str(EVENTS), "--ranges", str(RANGES)]
    if not _postgres():
        args.append("--skip-postgres")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = indexer.main(args)
    lines = stdout.getvalue().splitlines()
    assert len(lines) == 1, lines  # exactly one JSON object on stdout
    result: dict[str, Any] = json.loads(lines[0])
    assert status == 0, result
    return result


@pytest.mark.anvil
def test_json_has_the_required_keys(figures: dict[str, Any]) -> None:
    assert all(key in figures for key in REQUIRED)
    assert figures["events"] >= EVENTS
    assert figures["ceiling_events_per_s"] > 0 and figures["sqlite_events_per_s"] > 0
    assert figures["lookup_p99_ms"] > 0 and figures["holdings_p99_ms"] > 0
    assert figures["ranges"] == RANGES
    assert figures["generate_seconds"] > 0 and figures["transactions"] > 0


@pytest.mark.anvil
def test_every_store_verifies_against_the_chain(figures: dict[str, Any]) -> None:
    assert figures["verified"] is True
    assert figures["sqlite_verified"] is True
    if figures["postgres_events_per_s"] is not None:
        assert figures["postgres_verified"] is True


@pytest.mark.anvil
def test_derived_figures_follow_from_the_measured_ones(figures: dict[str, Any]) -> None:
    for store in ("sqlite", "postgres"):
        rate = figures[f"{store}_events_per_s"]
        if rate is None:
            continue
        assert figures[f"{store}_seconds"] > 0
        share = figures[f"{store}_share_of_ceiling"]
        assert share == pytest.approx(rate / figures["ceiling_events_per_s"], abs=0.01)
        million = figures[f"extrapolated_1m_seconds_{store}"]
        assert million == pytest.approx(1_000_000 / rate, rel=0.01)
        assert figures[f"lookup_p50_ms_{store}"] <= figures[f"lookup_p99_ms_{store}"]
        assert figures[f"holdings_p50_ms_{store}"] <= figures[f"holdings_p99_ms_{store}"]
        assert figures[f"retired_only_ranges_{store}"] > 0


def test_the_report_states_goals_and_verdicts() -> None:
    latency = indexer.Latency(0.1, 0.2, 0.3)
    results = indexer.Results(
        ceiling=indexer.Stage("ceiling", 1000, 0.02),
        stores={"sqlite": indexer.Stage("sqlite", 1000, 0.05)},
        verified={"sqlite": True},
        verify_first={"sqlite": ""},
        lookups={
            "sqlite": {"lookup": latency, "holdings": latency, "holdings_retired_only": latency}
        },
        lookup_build_seconds={"sqlite": 1.0},
        retired_only={"sqlite": 42},
        ranges=100,
    )
    text = indexer.report(results)
    assert "indexer -> SQLite" in text and "40%" in text  # 20,000 of 50,000 events/s
    assert "SQLite: MISSES the goal" in text
    assert "chain.verify on the SQLite store: ok" in text
    assert "retired all its 42 ranges" in text
    figures = results.as_json()
    assert figures["postgres_events_per_s"] is None and figures["sqlite_events_per_s"] == 20_000


# ---------------------------------------------------------------- exactness of the fast paths


def _raw(log: Any) -> dict[str, Any]:
    """A web3 log as eth_getLogs returns it over JSON-RPC: hex strings throughout."""
    return {
        "address": str(log["address"]).lower(),
        "topics": ["0x" + bytes(t).hex() for t in log["topics"]],
        "data": "0x" + bytes(log["data"]).hex(),
        "blockNumber": hex(log["blockNumber"]),
        "blockHash": "0x" + bytes(log["blockHash"]).hex(),
        "transactionHash": "0x" + bytes(log["transactionHash"]).hex(),
        "transactionIndex": hex(log["transactionIndex"]),
        "logIndex": hex(log["logIndex"]),
        "removed": False,
    }


@pytest.fixture(scope="module")
def busy_logs(_ledger_session: Ledger) -> Iterator[list[Any]]:
    """Logs of a bridging, a transfer, a retirement (with a note), a detokenisation, a
    cancellation and a label change on the embedded chain; rolled back afterwards."""
    ledger = _ledger_session
    snapshot = ledger.chain.snapshot()
    try:
        ledger.issuer.bridge(ledger.issuance(1001, 2000, labels=Label.CORSIA_ELIGIBLE))
        ledger.admin.set_labels(1, Label.CCP_APPROVED)  # before a retirement fixes them
        ledger.alice.transfer(1, 1101, 1200, ledger.bob.account)
        ledger.alice.retire(
            RetirementRequest(1, 1001, 1010, "Zürich AG — ünïcode", jurisdiction="CH", note="x")
        )
        ledger.alice.detokenise(1, 1011, 1020, "19390")
        ledger.admin.cancel(1, ledger.alice.account, 1021, 1030, "reversal")
        address = Web3.to_checksum_address(ledger.deployment.address)
        yield list(ledger.chain.w3.eth.get_logs({"address": address, "fromBlock": 0}))
    finally:
        ledger.chain.revert(snapshot)
        ledger.admin._parts.refresh()
        ledger.nonces.reset()


def _outcome(decode: Callable[[], LedgerEvent | None]) -> str:
    """What a decoding gives, exceptions included, in a form that tells True from 1."""
    try:
        return repr(decode())
    except Exception as exc:
        return f"raises {type(exc).__name__}"


def _agree(log: dict[str, Any]) -> None:
    fast = _outcome(lambda: decode_log(log))
    assert fast == _outcome(lambda: _decode_with_eth_abi(log, "CarbonLedger"))


def _word(data: str, index: int, value: str) -> str:
    """``data`` (0x hex) with its ``index``-th 32-byte word replaced by ``value`` (64 hex)."""
    body = data[2:]
    return "0x" + body[: 64 * index] + value + body[64 * (index + 1) :]


def test_the_fast_decoder_agrees_with_eth_abi_on_every_log(busy_logs: list[Any]) -> None:
    raw = [_raw(log) for log in busy_logs]
    names = {e.name for e in decode_logs(raw)}
    assert {"BatchBridged", "SerialsMoved", "CreditsRetired", "CreditsCancelled"} <= names
    for log in raw:
        _agree(log)
        _agree(dict(log, data=log["data"].upper().replace("0X", "0x")))  # upper-case hex
        _agree(dict(log, data=log["data"][2:]))  # no 0x prefix
        _agree(dict(log, topics=[t[2:] for t in log["topics"]]))
    for log in busy_logs:  # web3's own shape: HexBytes and ints
        _agree(dict(log))


def test_the_fast_decoder_agrees_on_malformed_and_unusual_logs(busy_logs: list[Any]) -> None:
    raw = [_raw(log) for log in busy_logs]
    by_name = {e.name: log for e, log in zip(decode_logs(raw), raw, strict=True)}
    moved, retired = by_name["SerialsMoved"], by_name["CreditsRetired"]
    cases = [
        dict(moved, topics=moved["topics"][:3]),  # a topic short
        dict(moved, topics=[*moved["topics"][:3], moved["topics"][3][:-2]]),  # 31-byte topic
        dict(moved, topics=[moved["topics"][0], "0x" + "ff" * 32, *moved["topics"][2:]]),
        dict(moved, data=moved["data"][:-64]),  # a word short
        dict(moved, data=moved["data"] + "00" * 32),  # a word too many (eth_abi ignores it)
        dict(moved, data=_word(moved["data"], 0, "01" + "00" * 31)),  # address padding
        dict(moved, data=_word(moved["data"], 3, "00" * 30 + "0100")),  # uint8 overflow
        dict(moved, data=_word(moved["data"], 1, "ff" * 32)),  # uint64 overflow
        dict(moved, topics=[*moved["topics"][:3], "0x" + "01" * 32]),  # address topic padding
        dict(retired, data=_word(retired["data"], 0, "00" * 31 + "a0")),  # non-canonical head
        dict(retired, data=retired["data"][:-64]),  # tail cut short
        dict(moved, topics=[]),
        dict(moved, topics=["0x" + "00" * 32]),  # not a ledger event
    ]
    # Invalid UTF-8 in the beneficiary: eth_abi raises UnicodeDecodeError; so must the decoder.
    data = bytearray.fromhex(retired["data"][2:])
    at = data.find("Zürich".encode())
    assert at > 0
    data[at] = 0xFF
    cases.append(dict(retired, data="0x" + data.hex()))
    for case in cases:
        _agree(case)
    with pytest.raises(UnicodeDecodeError):
        decode_log(cases[-1])


def test_fields_json_is_the_json_types_encoding(busy_logs: list[Any]) -> None:
    for event in decode_logs([_raw(log) for log in busy_logs]):
        assert fields_json(event.fields, event.topics[0]) == json.dumps(jsonable(event.fields))
    wide = {"seq": 2**64 - 1, "batchId": 1, "firstSerial": 2**63, "lastSerial": 2**63 + 5}
    moved = next(
        e for e in decode_logs([_raw(log) for log in busy_logs]) if e.name == "SerialsMoved"
    )
    fields = {**moved.fields, **wide}
    assert fields_json(fields, moved.topics[0]) == json.dumps(jsonable(fields))
    odd = {"x": [b"\x01", (2, bytearray(b"\x02"))], "big": 2**70, "flag": True, "none": None}
    assert fields_json(odd) == json.dumps(jsonable(odd))
    assert fields_json(odd, moved.topics[0]) == json.dumps(jsonable(odd))
    # The right keys with values of the wrong type: the template declines, the encoder decides.
    for wrong in ({"state": True}, {"to": b"\x01"}, {"firstSerial": "7"}, {"lastSerial": 2**63}):
        fields = {**moved.fields, **wrong}
        assert fields_json(fields, moved.topics[0]) == json.dumps(jsonable(fields))
    assert HexBytes(b"\x01") == b"\x01"  # HexBytes fields encode as bytes do
    assert fields_json({"h": HexBytes(b"\x01")}) == json.dumps(jsonable({"h": HexBytes(b"\x01")}))
