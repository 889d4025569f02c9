"""Buffer pools on-chain (issue 16 item 3): a programme's buffer account, set by its admin,
and reversals that cancel buffer-held serials linked to the reversed batch; and the unit a
programme admin fixes before its first project (item 2)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from chain.domain import PoolRules, Project, RangeState
from chain.errors import (
    AccessControlUnauthorizedAccount,
    InsufficientCredits,
    InvalidAccount,
    NoBufferAccount,
    PooledCredits,
    ProgramUnitFixed,
    ReversalOutsideProgramme,
    TextBlank,
    UnknownBatch,
    UnknownProgram,
)
from chain.events import LedgerEvent, decode_logs
from chain.replay import HoldingsReplay
from chain.units import KILOGRAM, TONNE
from tests.conftest import Ledger
from tests.contracts._helpers import (
    addr,
    attempt,
    batch,
    bridge,
    bridge_range,
    expect_events,
    invariants,  # noqa: F401  (autouse fixture)
    issuance,
    ledger_logs,
    moved,
    predicted_pool_token,
    range_start,
    reverts,
    send,
    to_checksum,
)

CANCELLED = RangeState.CANCELLED


def _set_buffer_fn(client: Any, program_id: int, account: Any) -> Any:
    return client.contract.functions.setProgramBuffer(program_id, to_checksum(account))


def _reverse_fn(
    client: Any, batch_id: int, first: int, last: int, start: int, reversed_id: int, reason: str
) -> Any:
    return client.contract.functions.reverseFromBuffer(
        batch_id, first, last, start, reversed_id, reason
    )


def _with_buffer(ledger: Ledger) -> tuple[int, int]:
    """Carol is VCS's buffer account; batch 1 (alice's, 1001..2000) is the issuance whose
    buffer share is batch 2 (carol's, 2001..2200). Returns (issued, buffer) batch ids."""
    ledger.admin.set_program_buffer(ledger.vcs, ledger.carol.account)
    issued = bridge_range(ledger, 1001, 2000)
    buffer = bridge_range(ledger, 2001, 2200, ledger.carol)
    return issued, buffer


# ---------------------------------------------------------------- buffer account


def test_the_programme_admin_sets_the_buffer_account(ledger: Ledger) -> None:
    assert ledger.admin.buffer_account(ledger.vcs) is None
    result = send(ledger.admin, _set_buffer_fn(ledger.admin, ledger.vcs, ledger.carol))
    expect_events(
        result,
        (
            "ProgramBufferSet",
            {
                "programId": ledger.vcs,
                "account": addr(ledger.carol),
                "actor": addr(ledger.admin),
            },
        ),
    )
    assert ledger.admin.buffer_account(ledger.vcs) == addr(ledger.carol)
    assert ledger.admin.buffer_account(ledger.gs) is None  # per programme


def test_a_buffer_account_set_by_a_stranger_or_an_issuer_is_refused(ledger: Ledger) -> None:
    for who in (ledger.outsider, ledger.issuer, ledger.gs_issuer):
        with reverts(
            AccessControlUnauthorizedAccount,
            account=addr(who),
            neededRole=ledger.admin.program_admin_role(ledger.vcs),
        ):
            attempt(who, _set_buffer_fn(who, ledger.vcs, who))


def test_a_zero_buffer_account_or_an_unknown_programme_is_refused(ledger: Ledger) -> None:
    zero = "0x" + "0" * 40
    with reverts(InvalidAccount, account=zero):
        attempt(ledger.admin, _set_buffer_fn(ledger.admin, ledger.vcs, zero))
    with pytest.raises((UnknownProgram, AccessControlUnauthorizedAccount)):
        attempt(ledger.admin, _set_buffer_fn(ledger.admin, 999, ledger.carol))


def test_a_pool_account_as_buffer_account_is_refused(ledger: Ledger) -> None:
    admin = ledger.admin
    admin.grant_role(admin.role("POOL_ADMIN_ROLE"), admin.account)
    _pool_id, token = admin.create_pool("Nature pool", "NAT", PoolRules(frozenset({ledger.vcs})))
    with reverts(InvalidAccount, account=token):
        attempt(admin, _set_buffer_fn(admin, ledger.vcs, token))


# ---------------------------------------------------------------- reversals


def test_a_reversal_cancels_buffer_credits_linked_to_the_reversed_batch(ledger: Ledger) -> None:
    issued, buffer = _with_buffer(ledger)
    result = ledger.admin.reverse_from_buffer(buffer, 2001, 2050, issued, "fire in 2024")
    expect_events(
        result,
        moved(buffer, ledger.carol, ledger.carol, 2001, 2050, CANCELLED, ledger.admin),
        (
            "BufferReversed",
            {
                "batchId": buffer,
                "reversedBatchId": issued,
                "holder": addr(ledger.carol),
                "firstSerial": 2001,
                "lastSerial": 2050,
                "reason": "fire in 2024",
                "actor": addr(ledger.admin),
            },
        ),
    )
    assert (batch(ledger, buffer).cancelled, batch(ledger, buffer).held) == (50, 150)
    assert batch(ledger, issued).cancelled == 0  # the reversed batch's holders keep theirs
    # The auditor's replay accepts it: the serials were the buffer account's.
    replay = HoldingsReplay().apply_all(_events(ledger))
    assert replay.violations == []


def test_the_buffer_account_as_an_issuer_may_reverse_its_own_credits(ledger: Ledger) -> None:
    ledger.admin.set_program_buffer(ledger.vcs, ledger.issuer.account)
    issued = bridge_range(ledger, 1001, 2000)
    buffer = bridge_range(ledger, 2001, 2100, ledger.issuer)
    ledger.issuer.reverse_from_buffer(buffer, 2001, 2010, issued, "reversal")
    assert batch(ledger, buffer).cancelled == 10


def test_a_reversal_by_a_stranger_is_refused(ledger: Ledger) -> None:
    issued, buffer = _with_buffer(ledger)
    role = ledger.admin.program_admin_role(ledger.vcs)
    for who in (ledger.outsider, ledger.alice, ledger.carol, ledger.gs_issuer):
        with pytest.raises(AccessControlUnauthorizedAccount):
            attempt(who, _reverse_fn(who, buffer, 2001, 2010, 2001, issued, "x"))
    # The VCS issuer is not the buffer account: it cannot cancel the buffer's credits.
    with reverts(AccessControlUnauthorizedAccount, account=addr(ledger.issuer), neededRole=role):
        attempt(ledger.issuer, _reverse_fn(ledger.issuer, buffer, 2001, 2010, 2001, issued, "x"))


def test_a_reversal_of_non_buffer_serials_is_refused(ledger: Ledger) -> None:
    issued, _buffer = _with_buffer(ledger)
    # Alice's serials of the issued batch are not the buffer's.
    with reverts(
        InsufficientCredits, holder=addr(ledger.carol), batchId=issued, first=1001, last=1010
    ):
        attempt(ledger.admin, _reverse_fn(ledger.admin, issued, 1001, 1010, 1001, issued + 1, "x"))


def test_a_reversal_of_more_than_the_buffer_holds_is_refused(ledger: Ledger) -> None:
    issued, buffer = _with_buffer(ledger)
    with pytest.raises(InsufficientCredits):
        attempt(ledger.admin, _reverse_fn(ledger.admin, buffer, 2001, 2201, 2001, issued, "x"))
    # Nor twice the same serials: once cancelled they are no longer held.
    ledger.admin.reverse_from_buffer(buffer, 2001, 2200, issued, "all of it")
    with pytest.raises(InsufficientCredits):
        attempt(ledger.admin, _reverse_fn(ledger.admin, buffer, 2001, 2001, 2001, issued, "x"))


def test_a_reversal_after_the_buffer_gave_credits_away_is_refused(ledger: Ledger) -> None:
    issued, buffer = _with_buffer(ledger)
    ledger.carol.transfer(buffer, 2001, 2100, ledger.bob.account)
    with pytest.raises(InsufficientCredits):
        attempt(
            ledger.admin,
            _reverse_fn(
                ledger.admin, buffer, 2001, 2010, range_start(ledger, buffer, 2001), issued, "x"
            ),
        )


def test_a_reversal_linking_to_a_batch_of_another_programme_is_refused(ledger: Ledger) -> None:
    _issued, buffer = _with_buffer(ledger)
    gs_key = ledger.gs_issuer.register_project(
        ledger.gs, Project("1001", "Cookstoves", "GH", "TPDDTEC", "Energy efficiency")
    )
    other = issuance(
        ledger, 1, 10, program_id=ledger.gs, project_key=gs_key, namespace="GS1-1-GH-GS1001-1-2020"
    )
    gs_batch = int(
        bridge(ledger, other, by=ledger.gs_issuer).event("BatchBridged").fields["batchId"]
    )
    with reverts(ReversalOutsideProgramme, reversedBatchId=gs_batch, programId=ledger.vcs):
        attempt(ledger.admin, _reverse_fn(ledger.admin, buffer, 2001, 2010, 2001, gs_batch, "x"))
    with reverts(ReversalOutsideProgramme, reversedBatchId=buffer, programId=ledger.vcs):
        attempt(ledger.admin, _reverse_fn(ledger.admin, buffer, 2001, 2010, 2001, buffer, "x"))
    with reverts(UnknownBatch, batchId=99):
        attempt(ledger.admin, _reverse_fn(ledger.admin, buffer, 2001, 2010, 2001, 99, "x"))


def test_a_reversal_without_a_buffer_account_or_reason_is_refused(ledger: Ledger) -> None:
    issued = bridge_range(ledger, 1001, 2000)
    buffer = bridge_range(ledger, 2001, 2100, ledger.carol)
    with reverts(NoBufferAccount, programId=ledger.vcs):
        attempt(ledger.admin, _reverse_fn(ledger.admin, buffer, 2001, 2010, 2001, issued, "x"))
    ledger.admin.set_program_buffer(ledger.vcs, ledger.carol.account)
    with pytest.raises(TextBlank):
        attempt(ledger.admin, _reverse_fn(ledger.admin, buffer, 2001, 2010, 2001, issued, " "))


def test_a_reversal_from_a_buffer_account_named_before_its_pool_was_created_is_refused(
    ledger: Ledger,
) -> None:
    """A pool's token address is known before the pool exists (CREATE2): a programme admin
    naming it the buffer account must not be able to cancel the serials that back units."""
    admin = ledger.admin
    admin.grant_role(admin.role("POOL_ADMIN_ROLE"), admin.account)
    predicted = predicted_pool_token(ledger, 1, "Nature pool", "NAT")
    admin.set_program_buffer(ledger.vcs, predicted)
    issued = bridge_range(ledger, 1001, 2000)
    pooled = bridge_range(ledger, 2001, 2100)
    pool_id, token = admin.create_pool("Nature pool", "NAT", PoolRules(frozenset({ledger.vcs})))
    assert token.lower() == predicted.lower() == admin.buffer_account(ledger.vcs)
    ledger.alice.pool_deposit(pool_id, pooled, 2001, 2100)
    with reverts(PooledCredits, poolId=pool_id, batchId=pooled):
        attempt(admin, _reverse_fn(admin, pooled, 2001, 2010, 2001, issued, "fire"))
    # The units still stand for exactly the tonnes the pool holds.
    assert admin.pool(pool_id).supply == admin.balance_of(token, pooled) == 100


def test_the_audit_replay_refuses_a_reversal_of_another_account_s_serials(
    ledger: Ledger,
) -> None:
    issued, buffer = _with_buffer(ledger)
    ledger.admin.reverse_from_buffer(buffer, 2001, 2010, issued, "fire")
    events = _events(ledger)
    # Forge the log: the buffer account named is not the one the programme set.
    forged = []
    for e in events:
        if e.name == "ProgramBufferSet":
            e = dataclasses.replace(e, fields={**e.fields, "account": addr(ledger.bob)})
        forged.append(e)
    replay = HoldingsReplay().apply_all(forged)
    assert [v.field for v in replay.violations] == ["holder"]


# ---------------------------------------------------------------- units


def test_a_programme_admin_sets_a_kg_unit_before_any_project(ledger: Ledger) -> None:
    assert ledger.admin.program_unit(ledger.gs) == TONNE
    result = ledger.admin.set_program_unit(ledger.gs, KILOGRAM.chain_value)
    expect_events(
        result,
        (
            "ProgramUnitSet",
            {"programId": ledger.gs, "actor": addr(ledger.admin), "unitGrams": 1000},
        ),
    )
    assert ledger.admin.program_unit(ledger.gs) == KILOGRAM


def test_a_unit_change_after_projects_is_refused(ledger: Ledger) -> None:
    # VCS has the Bale Mountains project: its unit is fixed for good.
    with reverts(ProgramUnitFixed, programId=ledger.vcs):
        attempt(ledger.admin, ledger.admin.contract.functions.setProgramUnit(ledger.vcs, 1000))


def test_a_unit_change_by_a_stranger_is_refused(ledger: Ledger) -> None:
    with pytest.raises(AccessControlUnauthorizedAccount):
        attempt(ledger.issuer, ledger.issuer.contract.functions.setProgramUnit(ledger.gs, 1000))


def _events(ledger: Ledger) -> list[LedgerEvent]:
    return decode_logs(ledger_logs(ledger))
