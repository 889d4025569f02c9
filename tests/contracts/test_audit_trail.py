"""The audit trail: every audited event as a raw log (four topics, ABI-exact), gap-free
sequence numbers across transactions, the rolling head recomputed from raw logs, and detection
of tampered, missing, duplicated or reordered logs."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from eth_utils.crypto import keccak

from chain import audit
from chain.client import TxResult
from chain.domain import Label, PoolMode, PoolRules, Purpose, RetirementRequest, project_key
from chain.errors import InsufficientCredits
from chain.events import event_specs
from tests.conftest import Ledger
from tests.contracts._helpers import (
    AUDITED,
    GS_PROJECT,
    VCS_NS,
    addr,
    assert_consecutive,
    audited,
    audited_logs,
    bridge,
    check_log_matches_abi,
    invariants,  # noqa: F401  (autouse fixture)
    issuance,
    key_of,
    ledger_logs,
    retire,
    reverts,
    send,
    to_checksum,
    transfer,
    unaudited_names,
)

Log = tuple[tuple[bytes, ...], bytes]
OZ_EVENTS = {
    "Initialized",
    "RoleGranted",
    "RoleRevoked",
    "RoleAdminChanged",
    "DefaultAdminTransferScheduled",
    "DefaultAdminTransferCanceled",
    "DefaultAdminDelayChangeScheduled",
    "DefaultAdminDelayChangeCanceled",
}


def _every_event(ledger: Ledger) -> list[TxResult]:
    """One transaction sequence that emits every audited event at least once."""
    fn = ledger.admin.contract.functions
    gs_key = project_key(ledger.gs, GS_PROJECT.project_id)
    return [
        send(ledger.admin, fn.registerProgram(b"CDM".ljust(32, b"\0"), to_checksum(ledger.admin))),
        send(ledger.gs_issuer, fn.registerProject(ledger.gs, GS_PROJECT.as_abi())),
        send(ledger.admin, fn.setAccount(to_checksum(ledger.outsider), True, False)),
        send(ledger.admin, fn.grantRole(keccak(b"PAUSER_ROLE"), to_checksum(ledger.carol))),
        send(ledger.admin, fn.revokeRole(keccak(b"PAUSER_ROLE"), to_checksum(ledger.carol))),
        send(ledger.admin, fn.beginDefaultAdminTransfer(to_checksum(ledger.carol))),
        send(ledger.admin, fn.cancelDefaultAdminTransfer()),
        send(ledger.admin, fn.changeDefaultAdminDelay(7200)),
        send(ledger.admin, fn.rollbackDefaultAdminDelay()),
        bridge(ledger, issuance(ledger, 1001, 2000, labels=Label.CCP_APPROVED)),
        send(ledger.admin, fn.setLabels(1, int(Label.CORSIA_ELIGIBLE))),
        transfer(ledger, ledger.alice, 1, 1401, 1600, ledger.bob, start=1001),
        retire(ledger, ledger.bob, RetirementRequest(1, 1401, 1450, "Acme", Purpose.VOLUNTARY)),
        send(ledger.alice, fn.detokenise(1, 1001, 1010, 1001, "VCS-RETURN-1")),
        send(ledger.admin, fn.cancel(1, to_checksum(ledger.alice), 1011, 1020, 1011, "reversal")),
        send(ledger.admin, fn.setBatchFrozen(1, True)),
        send(ledger.admin, fn.pause()),
        send(ledger.admin, fn.unpause()),
        send(ledger.admin, fn.setProgramPolicy(3, True, True)),
        send(ledger.admin, fn.setNamespaces(3, ["RW"], True)),
        bridge(ledger, issuance(ledger, 5001, 5010)),
        send(ledger.admin, fn.voidBatch(2, VCS_NS, key_of(ledger.vcs, VCS_NS, 1001), "wrong")),
        bridge(ledger, issuance(ledger, 5001, 5010)),
        send(ledger.admin, fn.correctBatch(2, 3)),
        send(ledger.admin, fn.setAccount(to_checksum(ledger.alice), True, True)),
        send(
            ledger.admin,
            fn.recover(to_checksum(ledger.alice), to_checksum(ledger.bob), [(3, 5001)]),
        ),
        send(ledger.alice, fn.useNonce()),
        send(ledger.admin, fn.proposeProjectLink(gs_key, ledger.project_key)),
        send(ledger.admin, fn.withdrawProjectLink(gs_key, ledger.project_key)),
        send(ledger.admin, fn.proposeProjectLink(gs_key, ledger.project_key)),
        send(ledger.admin, fn.acceptProjectLink(ledger.project_key, gs_key)),
        send(ledger.admin, fn.scheduleSeal()),
        send(ledger.admin, fn.cancelSeal()),
        *_buffer_events(ledger),
        *_pool_events(ledger),
    ]


def _buffer_events(ledger: Ledger) -> list[TxResult]:
    """A programme's buffer account, and a reversal cancelling from it for batch 1."""
    fn = ledger.admin.contract.functions
    set_buffer = send(ledger.admin, fn.setProgramBuffer(ledger.vcs, to_checksum(ledger.carol)))
    bridged = bridge(ledger, issuance(ledger, 7001, 7010, ledger.carol))
    pool = int(bridged.event("BatchBridged").fields["batchId"])
    reversed_ = send(ledger.admin, fn.reverseFromBuffer(pool, 7001, 7005, 7001, 1, "reversal"))
    return [set_buffer, bridged, reversed_]


def _pool_events(ledger: Ledger) -> list[TxResult]:
    """Every pool event: a programme's unit, a pool with a list, tightened and listed, a
    deposit, an approval through the pool's token, a redemption."""
    fn = ledger.admin.contract.functions
    admin, bob = ledger.admin, ledger.bob
    out = [
        send(admin, fn.registerProgram(b"KG".ljust(32, b"\0"), to_checksum(admin))),
        send(admin, fn.setProgramUnit(4, 1000)),
        send(admin, fn.grantRole(keccak(b"POOL_ADMIN_ROLE"), to_checksum(admin))),
    ]
    rules = PoolRules(frozenset({ledger.vcs}), country_mode=PoolMode.EXCEPT)
    out.append(send(admin, fn.createPool("Pool", "P", rules.as_abi(), ["CN"], [], [])))
    tighter = dataclasses.replace(rules, labels_required=Label.CCP_APPROVED)
    out.append(send(admin, fn.tightenPool(1, tighter.as_abi(), [], [], [])))
    out.append(send(admin, fn.listPool(1, 0, ["BR"])))
    out.append(bridge(ledger, issuance(ledger, 9001, 9010, bob, labels=Label.CCP_APPROVED)))
    batch_id = int(out[-1].event("BatchBridged").fields["batchId"])
    out.append(send(bob, fn.poolDeposit(1, batch_id, 9001, 9005, 9001, 0)))
    token = bob.pool_token(1)
    out.append(send(bob, token.functions.approve(to_checksum(ledger.carol), 2)))
    out.append(send(bob, fn.poolRedeem(1, 2)))
    return out


def _genesis(ledger: Ledger) -> audit.AuditState:
    return audit.genesis_state(ledger.deployment.chain_id, ledger.deployment.address)


def _raw(logs: list[Any]) -> list[Log]:
    return [(tuple(bytes(t) for t in log["topics"]), bytes(log["data"])) for log in logs]


def test_every_audited_event_is_a_four_topic_log_that_web3_decodes_identically(
    ledger: Ledger,
) -> None:
    _every_event(ledger)
    logs = ledger_logs(ledger)
    names = set()
    for log in audited_logs(logs):
        check_log_matches_abi(ledger, log)
        names.add(event_specs()[bytes(log["topics"][0])].name)
    # LedgerSucceeded opens a successor's trail only (tests/contracts/test_migration.py).
    every = {spec.name for spec in event_specs("ICarbonLedgerEvents").values()}
    assert names == every - {"LedgerSucceeded"}
    # Every other log the ledger emits is one of OpenZeppelin's (unaudited) events.
    others = {event_specs()[bytes(log["topics"][0])].name for log in logs} - names
    assert others <= OZ_EVENTS


def test_audited_event_topic0s_are_the_declared_signatures() -> None:
    # The interface artifact and the contract artifact agree on every audited event.
    contract_specs = event_specs("CarbonLedger")
    for topic, spec in event_specs("ICarbonLedgerEvents").items():
        assert contract_specs[topic].name == spec.name
        assert spec.indexed[0].name == "seq" and spec.indexed[0].abi_type == "uint64"
        assert len(spec.indexed) == 3  # seq and two indexed fields: four topics
    assert len(AUDITED) == 30  # with ProgramBufferSet and BufferReversed (issue 16)


def test_sequence_numbers_increase_by_one_per_event_across_transactions(ledger: Ledger) -> None:
    before = ledger.admin.audit_state().seq
    results = _every_event(ledger)
    events = [e for r in results for e in audited(r)]
    assert_consecutive(events, after=before)
    assert ledger.admin.audit_state().seq == events[-1].seq == before + len(events)
    # Multi-event transactions keep their documented order.
    by_tx = [[e.name for e in audited(r)] for r in results]
    assert ["BatchBridged", "SerialsMoved"] in by_tx
    assert ["SerialsMoved", "CreditsRetired"] in by_tx
    assert ["SerialsMoved", "CreditsDetokenised"] in by_tx
    assert ["SerialsMoved", "CreditsCancelled"] in by_tx


def test_openzeppelin_events_are_emitted_alongside_but_not_audited(ledger: Ledger) -> None:
    results = _every_event(ledger)
    assert unaudited_names(results[3]) == ["RoleGranted"]
    assert unaudited_names(results[4]) == ["RoleRevoked"]
    assert unaudited_names(results[5]) == ["DefaultAdminTransferScheduled"]
    # A programme's registration wires its roles: admin of itself and of its issuers.
    assert unaudited_names(results[0]) == ["RoleAdminChanged", "RoleAdminChanged", "RoleGranted"]
    # The ledger's own pause flag emits only the audited PauseChanged.
    assert unaudited_names(results[16]) == unaudited_names(results[17]) == []
    # The client's TxResult.events mixes both kinds; unaudited ones carry no sequence number.
    assert all(e.seq == 0 for r in results for e in r.events if e.topics[0] not in AUDITED)


def test_the_head_recomputed_from_raw_logs_equals_the_contract(ledger: Ledger) -> None:
    _every_event(ledger)
    logs = _raw(audited_logs(ledger_logs(ledger)))
    state = audit.recompute(logs, _genesis(ledger))
    assert state == ledger.admin.audit_state()
    assert state.seq == len(logs)
    fn = ledger.admin.contract.functions
    assert (fn.auditSeq().call(), fn.auditHead().call()) == (state.seq, state.head)
    # Folding in two halves gives the same head (incremental verification).
    mid = audit.recompute(logs[:20], _genesis(ledger))
    assert audit.recompute(logs[20:], mid) == state


def test_each_step_is_keccak_of_the_previous_head_topics_and_data(ledger: Ledger) -> None:
    before = ledger.admin.audit_state()
    result = bridge(ledger, issuance(ledger, 1, 10))
    head = before.head
    for e in audited(result):
        head = keccak(head + b"".join(e.topics) + e.data)
    assert ledger.admin.audit_state() == audit.AuditState(before.seq + 2, head)


def test_a_reverted_transaction_leaves_no_trace_in_the_trail(ledger: Ledger) -> None:
    bridge(ledger, issuance(ledger, 1, 10))
    before = ledger.admin.audit_state()
    with reverts(InsufficientCredits, holder=addr(ledger.bob), batchId=1, first=1, last=1):
        transfer(ledger, ledger.bob, 1, 1, 1, ledger.carol, start=1)  # mined, status 0
    assert ledger.admin.audit_state() == before


def _flip_data(logs: list[Log]) -> list[Log]:
    i = next(n for n, (_t, d) in enumerate(logs) if d)
    topics, data = logs[i]
    return [*logs[:i], (topics, bytes([data[0] ^ 1]) + data[1:]), *logs[i + 1 :]]


def _change_actor_topic(logs: list[Log]) -> list[Log]:
    topics, data = logs[10]
    return [*logs[:10], ((*topics[:3], b"\x01" * 32), data), *logs[11:]]


def _renumber(logs: list[Log]) -> list[Log]:
    return [((t[0], n.to_bytes(32), *t[2:]), d) for n, (t, d) in enumerate(logs, start=1)]


TAMPERINGS: dict[str, Callable[[list[Log]], list[Log]]] = {
    "flipped-data-byte": _flip_data,
    "changed-indexed-field": _change_actor_topic,
    "removed-middle-log": lambda logs: logs[:5] + logs[6:],
    "swapped-logs": lambda logs: [*logs[:5], logs[6], logs[5], *logs[7:]],
    "duplicated-log": lambda logs: [*logs[:6], logs[5], *logs[6:]],
    "removed-last-log": lambda logs: logs[:-1],
    "removed-first-log": lambda logs: logs[1:],
    "changed-seq-topic": lambda logs: [
        ((logs[0][0][0], (99).to_bytes(32), *logs[0][0][2:]), logs[0][1]),
        *logs[1:],
    ],
    "swapped-and-renumbered": lambda logs: _renumber([*logs[:5], logs[6], logs[5], *logs[7:]]),
    "removed-and-renumbered": lambda logs: _renumber(logs[:5] + logs[6:]),
    "appended-forged-log": lambda logs: [
        *logs,
        ((logs[-1][0][0], (len(logs) + 1).to_bytes(32), *logs[-1][0][2:]), logs[-1][1]),
    ],
}


def test_every_kind_of_tampered_log_copy_is_detected(ledger: Ledger) -> None:
    _every_event(ledger)
    logs = _raw(audited_logs(ledger_logs(ledger)))
    on_chain = ledger.admin.audit_state()
    assert audit.recompute(logs, _genesis(ledger)) == on_chain
    undetected = []
    for name, tamper in TAMPERINGS.items():
        try:
            recomputed = audit.recompute(tamper(logs), _genesis(ledger))
        except ValueError as exc:
            assert "audit sequence gap" in str(exc), name
        else:
            if recomputed == on_chain:
                undetected.append(name)
    assert undetected == []
