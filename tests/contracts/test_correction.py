"""Correction in the open: voiding an untouched bridging (and linking its replacement),
recovering a lost-key holder's credits, and invalidating a pending signature."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from chain.domain import RangeState, RetirementRequest
from chain.errors import (
    AccessControlUnauthorizedAccount,
    AccountNotAllowed,
    AccountNotFrozen,
    BatchNotVoidable,
    BatchNotVoided,
    EnforcedPause,
    InsufficientCredits,
    InvalidBridgeHint,
    InvalidNamespace,
    InvalidSignature,
    SerialsAlreadyBridged,
    TextBlank,
)
from tests.conftest import Ledger
from tests.contracts._helpers import (
    PARTS_HEAD,
    VCS_NS,
    addr,
    attempt,
    batch,
    bridge,
    bridge_range,
    expect_events,
    invariants,  # noqa: F401  (autouse fixture)
    issuance,
    key_of,
    moved,
    parts,
    ranges,
    reverts,
    send,
    to_checksum,
    transfer,
)

HELD, CANCELLED = RangeState.HELD, RangeState.CANCELLED
OTHER_NS = "VCS-VCU-OTHER"


def _void_fn(client: Any, batch_id: int, namespace: str = VCS_NS, hint: int = PARTS_HEAD) -> Any:
    return client.contract.functions.voidBatch(batch_id, namespace, hint, "wrong recipient")


def _admin_role(ledger: Ledger) -> bytes:
    return ledger.admin.program_admin_role(ledger.vcs)


# ---------------------------------------------------------------- void


def test_voided_serials_bridge_again(ledger: Ledger) -> None:
    bridge_range(ledger, 1001, 2000)  # to alice: it should have gone to bob
    result = send(ledger.admin, _void_fn(ledger.admin, 1))
    expect_events(
        result,
        moved(1, ledger.alice, ledger.alice, 1001, 2000, CANCELLED, ledger.admin),
        ("BatchVoided", {"batchId": 1, "actor": addr(ledger.admin), "reason": "wrong recipient"}),
    )
    assert ledger.admin.batch_voided(1)
    b = batch(ledger, 1)
    assert (b.cancelled, b.held) == (1000, 0)  # voided serials count as cancelled
    assert parts(ledger) == [(PARTS_HEAD, 2**224 - 1, 0)]  # out of the overlap index
    # The same serials bridge again, correctly, and the correction is linked to the void.
    fixed = bridge_range(ledger, 1001, 2000, ledger.bob)
    assert not ledger.admin.batch_voided(fixed)
    linked = ledger.admin.correct_batch(1, fixed)
    expect_events(
        linked,
        ("BatchCorrected", {"voidedBatchId": 1, "batchId": fixed, "actor": addr(ledger.admin)}),
    )
    assert ranges(ledger, fixed) == [(1001, 2000, "bob", HELD)]


def test_void_unlinks_only_its_own_part(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 10)
    bridge_range(ledger, 11, 20)
    bridge_range(ledger, 21, 30)
    below = key_of(ledger.vcs, VCS_NS, 1)
    with reverts(InvalidBridgeHint, hint=PARTS_HEAD):  # not the part just below batch 2's
        attempt(ledger.admin, _void_fn(ledger.admin, 2))
    send(ledger.admin, _void_fn(ledger.admin, 2, hint=below))
    assert [k for k, _n, _b in parts(ledger)][1:] == [below, key_of(ledger.vcs, VCS_NS, 21)]
    with reverts(SerialsAlreadyBridged, programId=ledger.vcs, namespace=VCS_NS, first=5, last=12):
        bridge(ledger, issuance(ledger, 5, 12))
    ledger.issuer.bridge(ledger.issuance(11, 20, ledger.bob.account))


def test_void_refuses_another_namespaces_part(ledger: Ledger) -> None:
    # Same first serial and quantity in two namespaces: only the batch's own part may go.
    bridge_range(ledger, 1, 10)
    bridge_range(ledger, 1, 10, namespace=OTHER_NS)
    other_key = key_of(ledger.vcs, OTHER_NS, 1)
    hint = (
        PARTS_HEAD if other_key < key_of(ledger.vcs, VCS_NS, 1) else key_of(ledger.vcs, VCS_NS, 1)
    )
    with reverts(InvalidNamespace, namespace=OTHER_NS):
        attempt(ledger.admin, _void_fn(ledger.admin, 1, OTHER_NS, hint))
    ledger.admin.void_batch(1, VCS_NS, "wrong recipient")  # the client finds the hint
    assert ledger.admin.batch_voided(1) and not ledger.admin.batch_voided(2)


@pytest.mark.parametrize("touch", ["partial-transfer", "whole-transfer", "retire", "cancel"])
def test_a_touched_batch_cannot_be_voided(ledger: Ledger, touch: str) -> None:
    bridge_range(ledger, 1, 100)
    if touch == "partial-transfer":
        transfer(ledger, ledger.alice, 1, 50, 60, ledger.bob, start=1)
    elif touch == "whole-transfer":  # one range again, but no longer the first recipient's
        transfer(ledger, ledger.alice, 1, 1, 100, ledger.bob, start=1)
    elif touch == "retire":
        ledger.alice.retire(RetirementRequest(1, 100, 100, "Acme"))
    else:
        ledger.admin.cancel(1, ledger.alice.account, 1, 1, "reversal")
    with reverts(BatchNotVoidable, batchId=1):
        attempt(ledger.admin, _void_fn(ledger.admin, 1))


def test_a_batch_is_voided_once(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 100)
    ledger.admin.void_batch(1, VCS_NS, "wrong vintage")
    with reverts(BatchNotVoidable, batchId=1):
        attempt(ledger.admin, _void_fn(ledger.admin, 1))


@pytest.mark.parametrize("who", ["issuer", "gs_issuer", "alice"])
def test_void_needs_the_programme_admin(ledger: Ledger, who: str) -> None:
    bridge_range(ledger, 1, 100)
    client = getattr(ledger, who)
    with reverts(
        AccessControlUnauthorizedAccount, account=addr(client), neededRole=_admin_role(ledger)
    ):
        attempt(client, _void_fn(client, 1))


def test_void_needs_a_reason_and_no_pause(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 100)
    with reverts(TextBlank, field="reason"):
        attempt(ledger.admin, ledger.admin.contract.functions.voidBatch(1, VCS_NS, 0, " "))
    ledger.admin.pause()
    with reverts(EnforcedPause):
        attempt(ledger.admin, _void_fn(ledger.admin, 1))


def test_only_a_voided_batch_can_be_corrected(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 10)
    bridge_range(ledger, 11, 20)
    fn = ledger.admin.contract.functions.correctBatch
    with reverts(BatchNotVoided, batchId=1):
        attempt(ledger.admin, fn(1, 2))
    ledger.admin.void_batch(1, VCS_NS, "wrong metadata")
    with reverts(BatchNotVoidable, batchId=1):  # a voided batch replaces nothing
        attempt(ledger.admin, fn(1, 1))
    with reverts(
        AccessControlUnauthorizedAccount,
        account=addr(ledger.issuer),
        neededRole=_admin_role(ledger),
    ):
        attempt(ledger.issuer, ledger.issuer.contract.functions.correctBatch(1, 2))


# ---------------------------------------------------------------- recovery


def _recover_fn(ledger: Ledger, refs: list[tuple[int, int]], replacement: Any = None) -> Any:
    to = to_checksum(replacement or ledger.carol)
    return ledger.admin.contract.functions.recover(to_checksum(ledger.alice), to, refs)


def test_recovery_moves_a_frozen_holders_ranges_to_its_new_account(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 100)
    bridge_range(ledger, 201, 300)
    transfer(ledger, ledger.alice, 1, 40, 49, ledger.bob, start=1)  # alice: 1-39, 50-100
    ledger.admin.set_account(ledger.alice.account, allowed=True, frozen=True)
    result = send(ledger.admin, _recover_fn(ledger, [(1, 1), (1, 50), (2, 201)]))
    expect_events(
        result,
        moved(1, ledger.alice, ledger.carol, 1, 39, HELD, ledger.admin),
        moved(1, ledger.alice, ledger.carol, 50, 100, HELD, ledger.admin),
        moved(2, ledger.alice, ledger.carol, 201, 300, HELD, ledger.admin),
        (
            "AccountRecovered",
            {
                "lost": addr(ledger.alice),
                "replacement": addr(ledger.carol),
                "actor": addr(ledger.admin),
                "ranges": 3,
            },
        ),
    )
    assert ledger.admin.balance_of(ledger.carol.account, 1) == 90
    assert ledger.admin.balance_of(ledger.alice.account, 2) == 0


def test_recovery_needs_compliance_a_frozen_account_and_an_active_replacement(
    ledger: Ledger,
) -> None:
    bridge_range(ledger, 1, 100)
    refs = [(1, 1)]
    with reverts(AccountNotFrozen, account=addr(ledger.alice)):
        attempt(ledger.admin, _recover_fn(ledger, refs))
    ledger.admin.set_account(ledger.alice.account, allowed=True, frozen=True)
    with reverts(AccountNotAllowed, account=addr(ledger.outsider)):
        attempt(ledger.admin, _recover_fn(ledger, refs, ledger.outsider))
    compliance = ledger.admin.role("COMPLIANCE_ROLE")
    fn = ledger.issuer.contract.functions.recover(
        to_checksum(ledger.alice), to_checksum(ledger.carol), refs
    )
    with reverts(
        AccessControlUnauthorizedAccount, account=addr(ledger.issuer), neededRole=compliance
    ):
        attempt(ledger.issuer, fn)


def test_recovery_moves_only_what_the_lost_account_holds(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 100)
    transfer(ledger, ledger.alice, 1, 51, 100, ledger.bob, start=1)
    ledger.admin.set_account(ledger.alice.account, allowed=True, frozen=True)
    with reverts(InsufficientCredits, holder=addr(ledger.alice), batchId=1, first=51, last=100):
        attempt(ledger.admin, _recover_fn(ledger, [(1, 51)]))


# ---------------------------------------------------------------- nonces


def test_a_holder_invalidates_its_pending_signature(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 100)
    request = RetirementRequest(1, 1, 10, "Acme")
    signed = ledger.alice.sign_retirement(request)
    result = ledger.alice.use_nonce()
    expect_events(result, ("NonceInvalidated", {"holder": addr(ledger.alice), "nonce": 0}))
    assert ledger.admin.nonce(ledger.alice.account) == 1
    with reverts(InvalidSignature, signer=addr(ledger.alice)):
        ledger.bob.retire_signed(request, signed)
    # A pause does not stop a holder from withdrawing consent.
    ledger.admin.pause()
    ledger.alice.use_nonce()
    assert ledger.admin.nonce(ledger.alice.account) == 2


def test_void_and_recover_keep_totals_consistent(ledger: Ledger) -> None:
    # The autouse invariants check conservation and the audit chain after this sequence.
    bridge_range(ledger, 1, 100)
    bridge_range(ledger, 101, 200, ledger.bob)
    ledger.admin.void_batch(2, VCS_NS, "wrong recipient")
    ledger.admin.set_account(ledger.alice.account, allowed=True, frozen=True)
    ledger.admin.recover(ledger.alice.account, ledger.carol.account, [(1, 1)])
    fixed = dataclasses.replace(ledger.issuance(101, 200, ledger.carol.account))
    ledger.issuer.bridge(fixed)
    assert ledger.admin.batch_count() == 3
