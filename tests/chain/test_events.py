"""chain.events: the raw-log decoder agrees with web3.py's on every event the ledger emits."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from typing import Any

import pytest
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3

from chain.artifacts import ledger_abi
from chain.domain import Label, PoolKind, PoolMode, PoolRules, Project, RetirementRequest
from chain.events import LedgerEvent, decode_log, decode_logs, event_specs, events_named, topic0
from tests.conftest import VCS_NAMESPACE, Ledger

NEVER_EMITTED = {"EIP712DomainChanged"}  # in the ABI, no code path emits it
# Emitted once, by a successor ledger's constructor at its own address
# (tests/contracts/test_migration.py), never by this ledger; the buffer events are emitted and
# decoded in tests/contracts/test_buffers.py and tests/chain/importer/test_units_and_buffers.py.
ELSEWHERE = {"LedgerSucceeded", "ProgramBufferSet", "BufferReversed"}
GS_PROJECT = Project("GS1234", "Landfill gas", "BR", "", "")
ABI_EVENTS = {e["name"] for e in ledger_abi() if e["type"] == "event"}


def _normal(value: Any) -> Any:
    """web3's AttributeDicts, checksum addresses and HexBytes → plain dicts, lowercase, bytes."""
    if isinstance(value, Mapping):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    if isinstance(value, HexBytes):
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    return value


def _every_event(ledger: Ledger) -> list[Any]:
    """Drive the ledger through every kind of event it can emit; return its raw logs."""
    admin, issuer, alice = ledger.admin, ledger.issuer, ledger.alice
    assert admin.sender is not None
    fns = admin.contract.functions
    issuer.bridge(ledger.issuance(1001, 2000, labels=Label.CORSIA_ELIGIBLE))  # batch 1: alice
    issuer.bridge(ledger.issuance(5001, 5100, issuer.account, reference="19386"))  # 2: issuer
    # Labels by the programme's admin, before a retirement relies on them (then they lock).
    admin.set_labels(1, Label.CORSIA_ELIGIBLE | Label.CCP_APPROVED)
    alice.transfer(1, 1101, 1200, ledger.bob.account)
    alice.retire(RetirementRequest(1, 1001, 1010, "Hilti Corporation", jurisdiction="CH"))
    issuer.record_registry_retirement(RetirementRequest(2, 5001, 5010, "Registry"), 20240131)
    alice.detokenise(1, 1011, 1020, "19390")
    admin.cancel(1, alice.account, 1021, 1030, "reversal")  # another's credits: the admin's
    wrong = issuer.bridge(ledger.issuance(7001, 7010, alice.account, reference="19387")).batch_id
    admin.void_batch(wrong, VCS_NAMESPACE, "wrong recipient")
    right = issuer.bridge(ledger.issuance(7001, 7010, ledger.bob.account, reference="19387"))
    admin.correct_batch(wrong, right.batch_id)
    admin.set_account(ledger.bob.account, allowed=True, frozen=True)  # bob lost his key
    admin.recover(ledger.bob.account, ledger.carol.account, [(1, 1101), (right.batch_id, 7001)])
    admin.set_account(ledger.bob.account, allowed=True, frozen=False)
    alice.use_nonce()
    # Pools: a programme's unit, a pool with a list, tightened, a deposit, units moved and
    # approved through the pool's token, a redemption.
    kg = admin.register_program("KG")
    admin.set_program_unit(kg, 1000)
    admin.grant_role(admin.role("POOL_ADMIN_ROLE"), admin.account)
    rules = PoolRules(frozenset({ledger.vcs}), country_mode=PoolMode.EXCEPT)
    pool_id, _token = admin.create_pool("Nature", "NAT", rules, countries=["CN"])
    admin.tighten_pool(pool_id, dataclasses.replace(rules, labels_required=Label.CORSIA_ELIGIBLE))
    admin.list_pool(pool_id, PoolKind.COUNTRY, ["BR"])
    alice.pool_deposit(pool_id, 1, 1031, 1040)
    alice.pool_transfer(pool_id, ledger.carol.account, 2)
    alice.sender.transact(alice.pool_token(pool_id).functions.approve(ledger.carol.account, 1))
    alice.pool_redeem(pool_id, 3)
    # CDM-style link: GS's project ⇄ VCS's (the admin administers both programmes here).
    gs_key = ledger.gs_issuer.register_project(ledger.gs, GS_PROJECT)
    admin.propose_project_link(gs_key, ledger.project_key)
    admin.withdraw_project_link(gs_key, ledger.project_key)
    admin.propose_project_link(gs_key, ledger.project_key)
    admin.accept_project_link(ledger.project_key, gs_key)
    admin.sender.transact(fns.scheduleSeal())
    admin.sender.transact(fns.cancelSeal())
    admin.set_batch_frozen(1, True)
    admin.set_batch_frozen(1, False)
    admin.pause()
    admin.unpause()
    admin.set_program_policy(ledger.vcs, fixed_namespaces=True, numeric_project_ids=True)
    admin.set_namespaces(ledger.vcs, ["VCS-VCU"])
    admin.revoke_role(admin.role("PAUSER_ROLE"), admin.account)
    admin.sender.transact(fns.beginDefaultAdminTransfer(ledger.bob.account))
    admin.sender.transact(fns.cancelDefaultAdminTransfer())
    admin.sender.transact(fns.changeDefaultAdminDelay(7200))
    admin.sender.transact(fns.rollbackDefaultAdminDelay())
    return list(
        ledger.chain.w3.eth.get_logs(
            {"address": Web3.to_checksum_address(ledger.deployment.address), "fromBlock": 0}
        )
    )


@pytest.fixture(scope="module")
def every_log(_ledger_session: Ledger) -> list[Any]:
    """The logs of ``_every_event``, made once for the module and rolled back at once."""
    chain = _ledger_session.chain
    snapshot = chain.snapshot()
    try:
        return _every_event(_ledger_session)
    finally:
        chain.revert(snapshot)
        _ledger_session.admin._parts.refresh()
        _ledger_session.nonces.reset()


def test_every_event_decodes_as_web3_decodes_it(ledger: Ledger, every_log: list[Any]) -> None:
    logs = every_log
    events = ledger.admin.contract.events
    seen = set()
    for log in logs:
        ours = decode_log(log)
        assert ours is not None
        theirs = events[ours.name]().process_log(log)
        assert ours.fields == _normal(dict(theirs["args"]))
        assert ours.name == theirs["event"]
        assert (ours.block_number, ours.tx_index, ours.log_index) == (
            theirs["blockNumber"],
            theirs["transactionIndex"],
            theirs["logIndex"],
        )
        assert ours.tx_hash == "0x" + bytes(log["transactionHash"]).hex()
        assert ours.block_hash == "0x" + bytes(log["blockHash"]).hex()
        assert ours.topics == tuple(bytes(t) for t in log["topics"])
        assert ours.data == bytes(log["data"])
        assert ours.seq == ours.fields.get("seq", 0)
        seen.add(ours.name)
    assert seen == ABI_EVENTS - NEVER_EMITTED - ELSEWHERE


def test_struct_fields_decode_to_dicts(ledger: Ledger, every_log: list[Any]) -> None:
    events = decode_logs(every_log)
    project, gs_project = events_named(events, "ProjectRegistered")
    assert project.fields["project"]["projectId"] == "1340"
    assert gs_project.fields["project"]["projectId"] == "GS1234"
    bridged = events_named(events, "BatchBridged")[0].fields["issuance"]
    assert (bridged["firstSerial"], bridged["lastSerial"]) == (1001, 2000)
    assert bridged["recipient"] == ledger.alice.account.lower()
    assert bridged["metadataHash"] == b"\x11" * 32
    retired = [e.fields for e in events_named(events, "CreditsRetired")]
    assert [(r["retirement"]["beneficiary"], r["mirrored"]) for r in retired] == [
        ("Hilti Corporation", False),
        ("Registry", True),
    ]
    assert retired[1]["retiredOn"] == 20240131


def test_audited_events_carry_consecutive_seqs(every_log: list[Any]) -> None:
    events = decode_logs(every_log)
    audited = set(event_specs("ICarbonLedgerEvents"))
    seqs = [e.seq for e in events if e.topics[0] in audited]
    assert seqs == list(range(1, len(seqs) + 1))
    assert {e.seq for e in events if e.topics[0] not in audited} == {0}  # OpenZeppelin's own


def _log(
    topics: list[bytes], data: bytes = b"", position: tuple[int, int, int] = (1, 0, 0)
) -> dict[str, Any]:
    block, tx, index = position
    return {
        "address": "0x" + "99" * 20,
        "topics": [HexBytes(t) for t in topics],
        "data": HexBytes(data),
        "blockNumber": block,
        "blockHash": HexBytes(b"\x01" * 32),
        "transactionHash": HexBytes(b"\x02" * 32),
        "transactionIndex": tx,
        "logIndex": index,
    }


def test_logs_of_other_contracts_decode_to_none(ledger: Ledger) -> None:
    transfer = keccak(b"Transfer(address,address,uint256)")
    assert decode_log(_log([transfer, b"\0" * 32, b"\0" * 32], b"\0" * 32)) is None
    assert decode_log(_log([])) is None  # LOG0: no topic at all
    # A real log of another contract: init code that runs LOG1(topic) and stops.
    assert ledger.admin.sender is not None
    w3 = ledger.chain.w3
    topic = keccak(b"Something(uint256)")
    init = "0x7f" + topic.hex() + "60006000a100"
    factory = w3.eth.contract(abi=[], bytecode=init)
    receipt = ledger.admin.sender.transact(factory.constructor())  # type: ignore[arg-type]
    (log,) = receipt["logs"]
    assert bytes(log["topics"][0]) == topic
    assert decode_log(log) is None
    assert decode_logs([log]) == []


def test_hex_string_logs_decode_like_bytes(every_log: list[Any]) -> None:
    logs = every_log
    as_json = [
        {
            **log,
            "topics": ["0x" + bytes(t).hex() for t in log["topics"]],
            "data": "0x" + bytes(log["data"]).hex(),
            "blockHash": "0x" + bytes(log["blockHash"]).hex(),
            "transactionHash": "0x" + bytes(log["transactionHash"]).hex(),
        }
        for log in logs
    ]
    assert decode_logs(as_json) == decode_logs(logs)


def test_decode_logs_sorts_by_block_tx_and_log_index(every_log: list[Any]) -> None:
    logs = every_log
    shuffled = list(logs)
    random.Random(7).shuffle(shuffled)
    foreign = _log([keccak(b"Other()")], position=(0, 0, 0))
    events = decode_logs([foreign, *shuffled])
    assert len(events) == len(logs)
    positions = [e.position for e in events]
    assert positions == sorted(positions)
    assert [e.position for e in decode_logs(logs)] == positions
    # Within one bridging transaction: BatchBridged (lower log index) before SerialsMoved.
    first_bridge = events_named(events, "BatchBridged")[0]
    same_tx = [e for e in events if e.tx_hash == first_bridge.tx_hash]
    assert [e.name for e in same_tx] == ["BatchBridged", "SerialsMoved"]


def test_decode_logs_orders_synthetic_positions() -> None:
    selector = topic0("PauseChanged")
    actor = b"\0" * 12 + b"\x55" * 20
    positions = [(3, 0, 5), (2, 1, 0), (2, 0, 9), (2, 0, 1), (10, 0, 0)]
    logs = [
        _log([selector, (i + 1).to_bytes(32), actor, (1).to_bytes(32)], position=p)
        for i, p in enumerate(positions)
    ]
    events: list[LedgerEvent] = decode_logs(logs)
    assert [e.position for e in events] == sorted(positions)
    assert [e.seq for e in events] == [4, 3, 2, 1, 5]
    assert events[0].fields == {"seq": 4, "actor": "0x" + "55" * 20, "paused": True}


def test_topic0_of_an_unknown_event() -> None:
    with pytest.raises(KeyError):
        topic0("NoSuchEvent")


@pytest.mark.parametrize("shape", ["indexed-account", "short-data"])
def test_a_foreign_log_with_a_colliding_topic0_is_not_a_ledger_event(shape: str) -> None:
    initialized = keccak(b"Initialized(uint64)")
    assert initialized == topic0("Initialized")
    if shape == "indexed-account":
        log = _log([initialized, b"\0" * 12 + b"\x55" * 20])
    else:
        log = _log([initialized], b"\x01")
    assert decode_log(log) is None
