"""Migration: an announced, delayed seal freezes the ledger for good; a successor deployment
starts its audit chain from the sealed predecessor's final head."""

from __future__ import annotations

from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from chain import audit
from chain.client import LedgerClient
from chain.deployment import deploy_ledger
from chain.errors import (
    AccessControlUnauthorizedAccount,
    LedgerSealed,
    PredecessorNotSealed,
    SealNotReady,
)
from chain.events import decode_logs
from tests.conftest import Ledger
from tests.contracts._helpers import (
    addr,
    attempt,
    bridge_range,
    expect_events,
    invariants,  # noqa: F401  (autouse fixture)
    next_block_timestamp,
    reverts,
    send,
    to_checksum,
)

DELAY = 3600  # the fixture's admin delay


def _fn(client: LedgerClient) -> Any:
    return client.contract.functions


def _sealed(ledger: Ledger) -> None:
    send(ledger.admin, _fn(ledger.admin).scheduleSeal())
    ledger.chain.time_travel(next_block_timestamp(ledger) + DELAY)
    send(ledger.admin, _fn(ledger.admin).seal())


def test_a_seal_is_announced_delayed_and_then_final(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 100)
    at = next_block_timestamp(ledger) + DELAY
    scheduled = send(ledger.admin, _fn(ledger.admin).scheduleSeal())
    expect_events(
        scheduled, ("SealRecorded", {"actor": addr(ledger.admin), "step": 0, "effectiveAt": at})
    )
    with reverts(SealNotReady, sealAt=at):  # the delay has not passed
        attempt(ledger.admin, _fn(ledger.admin).seal())
    ledger.chain.time_travel(next_block_timestamp(ledger) + DELAY)
    sealed = send(ledger.admin, _fn(ledger.admin).seal())
    expect_events(
        sealed, ("SealRecorded", {"actor": addr(ledger.admin), "step": 2, "effectiveAt": at})
    )
    is_sealed, seq, head, commitment = _fn(ledger.admin).finalState().call()
    assert is_sealed and (seq, head) == (
        ledger.admin.audit_state().seq,
        ledger.admin.audit_state().head,
    )
    assert commitment == keccak(
        encode(["uint64", "uint64", "uint64", "bytes32"], [1, 0, seq, head])
    )
    # Every state change is refused from now on, governance included.
    fn = _fn(ledger.alice)
    with reverts(LedgerSealed):
        attempt(ledger.alice, fn.transfer(1, 1, 1, to_checksum(ledger.bob), 1))
    with reverts(LedgerSealed):
        attempt(ledger.admin, _fn(ledger.admin).setAccount(to_checksum(ledger.carol), True, True))
    with reverts(LedgerSealed):
        attempt(ledger.admin, _fn(ledger.admin).grantRole(b"\1" * 32, to_checksum(ledger.carol)))


def test_a_scheduled_seal_can_be_cancelled(ledger: Ledger) -> None:
    send(ledger.admin, _fn(ledger.admin).scheduleSeal())
    cancelled = send(ledger.admin, _fn(ledger.admin).cancelSeal())
    expect_events(
        cancelled, ("SealRecorded", {"actor": addr(ledger.admin), "step": 1, "effectiveAt": 0})
    )
    ledger.chain.time_travel(next_block_timestamp(ledger) + DELAY)
    with reverts(SealNotReady, sealAt=0):
        attempt(ledger.admin, _fn(ledger.admin).seal())
    with reverts(SealNotReady, sealAt=0):
        attempt(ledger.admin, _fn(ledger.admin).cancelSeal())


def test_only_the_ledger_admin_seals(ledger: Ledger) -> None:
    for call in ("scheduleSeal", "cancelSeal", "seal"):
        with reverts(
            AccessControlUnauthorizedAccount, account=addr(ledger.issuer), neededRole=b"\0" * 32
        ):
            attempt(ledger.issuer, getattr(_fn(ledger.issuer), call)())


def test_a_successor_starts_from_its_sealed_predecessors_final_head(ledger: Ledger) -> None:
    sender = ledger.admin.sender
    assert sender is not None
    with reverts(PredecessorNotSealed, predecessor=addr(ledger.deployment.address)):
        deploy_ledger(sender, admin_delay=DELAY, predecessor=ledger.deployment.address)
    bridge_range(ledger, 1, 100)
    _sealed(ledger)
    _, _, final_head, commitment = _fn(ledger.admin).finalState().call()

    successor = deploy_ledger(sender, admin_delay=DELAY, predecessor=ledger.deployment.address)
    assert successor.predecessor_head == "0x" + bytes(final_head).hex()
    client = LedgerClient.for_deployment(ledger.chain.w3, successor, sender)
    assert client.contract.functions.predecessor().call() == to_checksum(ledger.deployment.address)
    # Its trail: LedgerSucceeded (seq 1) naming the predecessor, then the admin grant.
    logs = ledger.chain.w3.eth.get_logs({"address": successor.address, "fromBlock": 0})
    trail = [e for e in decode_logs(logs) if e.seq]
    assert trail[0].name == "LedgerSucceeded"
    assert trail[0].fields["predecessor"] == addr(ledger.deployment.address)
    assert trail[0].fields["predecessorHead"] == bytes(final_head)
    assert trail[0].fields["predecessorCommitment"] == bytes(commitment)
    # genesis = keccak256(abi.encode(keccak256(abi.encode(chainId, successor)), finalHead))
    first = audit.genesis(successor.chain_id, successor.address)
    assert successor.audit_genesis == keccak(first + bytes(final_head))
    before = audit.predecessor_head(trail[0].topics)
    start = audit.genesis_state(successor.chain_id, successor.address, before)
    assert audit.recompute([(e.topics, e.data) for e in trail], start) == client.audit_state()
