"""Behaviours every holdings operation shares, written once (as OpenZeppelin's
``shouldBehaveLike…`` suites are) and run for each operation in ``test_holder_refusals.py``.

A :class:`HolderOperation` builds the contract call that moves ``first..last`` of a batch out
of a holder's live credits (a transfer, a retirement, a signed retirement relayed by another
account, a detokenisation). Each ``should_…`` function provokes one refusal through it and
checks the exact custom error, then (where the refusal is temporary) lifts the cause and
shows the same call succeed, so a refusal is never an accident of the set-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from web3.contract.contract import ContractFunction

from chain.client import LedgerClient
from chain.domain import RetirementRequest
from chain.errors import (
    AccountFrozen,
    AccountNotAllowed,
    BatchFrozen,
    EnforcedPause,
    InsufficientCredits,
    InvalidRangeHint,
    InvalidSerialRange,
    UnknownBatch,
)
from tests.conftest import Ledger
from tests.contracts._helpers import addr, attempt, next_block_timestamp, reverts, send

Call = Callable[[Ledger, LedgerClient, int, int, int, int], tuple[LedgerClient, ContractFunction]]
"""(ledger, holder, batch id, first, last, range start) → (who sends it, the call)."""


@dataclass(frozen=True)
class HolderOperation:
    """One way a holder's live credits leave its hands."""

    name: str
    call: Call

    def __str__(self) -> str:
        return self.name


def _transfer(
    ledger: Ledger, holder: LedgerClient, batch_id: int, first: int, last: int, start: int
) -> tuple[LedgerClient, ContractFunction]:
    fn = holder.contract.functions.transfer(batch_id, first, last, ledger.carol.account, start)
    return holder, fn


def _retire(
    ledger: Ledger, holder: LedgerClient, batch_id: int, first: int, last: int, start: int
) -> tuple[LedgerClient, ContractFunction]:
    request = RetirementRequest(batch_id, first, last, "Hilti Corporation")
    return holder, holder.contract.functions.retire(request.as_abi(), start)


def _retire_signed(
    ledger: Ledger, holder: LedgerClient, batch_id: int, first: int, last: int, start: int
) -> tuple[LedgerClient, ContractFunction]:
    request = RetirementRequest(batch_id, first, last, "Hilti Corporation")
    deadline = next_block_timestamp(ledger) + 3600
    signed = holder.sign_retirement(request, deadline=deadline)
    relayer = ledger.carol  # a third party pays; the holder's signature is the authority
    fn = relayer.contract.functions.retireWithSignature(
        request.as_abi(), start, holder.account, signed.deadline, signed.signature
    )
    return relayer, fn


def _detokenise(
    ledger: Ledger, holder: LedgerClient, batch_id: int, first: int, last: int, start: int
) -> tuple[LedgerClient, ContractFunction]:
    fn = holder.contract.functions.detokenise(batch_id, first, last, start, "VCS-RETURN-1")
    return holder, fn


OPERATIONS = (
    HolderOperation("transfer", _transfer),
    HolderOperation("retire", _retire),
    HolderOperation("retire with signature", _retire_signed),
    HolderOperation("detokenise", _detokenise),
)
"""Every holdings operation of a holder. (Cancellation is the registry's, with other rules.)"""

# Alice holds batch 1, serials 1001..2000 (the ``held`` fixture of test_holder_refusals).
FIRST, LAST = 1001, 2000


def _refused(ledger: Ledger, op: HolderOperation, error: type, **arguments: Any) -> None:
    sender, fn = op.call(ledger, ledger.alice, 1, FIRST, FIRST + 9, FIRST)
    with reverts(error, **arguments):
        attempt(sender, fn)


def _works(ledger: Ledger, op: HolderOperation) -> None:
    sender, fn = op.call(ledger, ledger.alice, 1, FIRST, FIRST + 9, FIRST)
    send(sender, fn)


def should_be_refused_while_paused(ledger: Ledger, op: HolderOperation) -> None:
    ledger.admin.pause()
    _refused(ledger, op, EnforcedPause)
    ledger.admin.unpause()
    _works(ledger, op)


def should_be_refused_on_a_frozen_batch(ledger: Ledger, op: HolderOperation) -> None:
    ledger.admin.set_batch_frozen(1, True)
    _refused(ledger, op, BatchFrozen, batchId=1)
    ledger.admin.set_batch_frozen(1, False)
    _works(ledger, op)


def should_be_refused_for_a_frozen_holder(ledger: Ledger, op: HolderOperation) -> None:
    ledger.admin.set_account(ledger.alice.account, allowed=True, frozen=True)
    _refused(ledger, op, AccountFrozen, account=addr(ledger.alice))
    ledger.admin.set_account(ledger.alice.account, allowed=True, frozen=False)
    _works(ledger, op)


def should_be_refused_for_a_holder_off_the_allowlist(ledger: Ledger, op: HolderOperation) -> None:
    ledger.admin.set_account(ledger.alice.account, allowed=False, frozen=False)
    _refused(ledger, op, AccountNotAllowed, account=addr(ledger.alice))
    # Not allowlisted is reported before frozen.
    ledger.admin.set_account(ledger.alice.account, allowed=False, frozen=True)
    _refused(ledger, op, AccountNotAllowed, account=addr(ledger.alice))
    ledger.admin.set_account(ledger.alice.account, allowed=True, frozen=False)
    _works(ledger, op)


def should_be_refused_for_an_unknown_batch(ledger: Ledger, op: HolderOperation) -> None:
    for batch_id in (0, 2, 2**64 - 1):
        sender, fn = op.call(ledger, ledger.alice, batch_id, FIRST, FIRST, FIRST)
        with reverts(UnknownBatch, batchId=batch_id):
            attempt(sender, fn)


def should_be_refused_for_a_wrong_range_hint(ledger: Ledger, op: HolderOperation) -> None:
    sender, fn = op.call(ledger, ledger.alice, 1, FIRST, FIRST, FIRST + 1)
    with reverts(InvalidRangeHint, batchId=1, rangeStart=FIRST + 1):
        attempt(sender, fn)


def should_be_refused_for_serials_not_held(ledger: Ledger, op: HolderOperation) -> None:
    holder = {"holder": addr(ledger.bob), "batchId": 1, "first": FIRST, "last": FIRST}
    sender, fn = op.call(ledger, ledger.bob, 1, FIRST, FIRST, FIRST)  # alice's, not bob's
    with reverts(InsufficientCredits, **holder):
        attempt(sender, fn)
    past_the_end = {
        "holder": addr(ledger.alice),
        "batchId": 1,
        "first": LAST - 10,
        "last": LAST + 10,
    }
    sender, fn = op.call(ledger, ledger.alice, 1, LAST - 10, LAST + 10, FIRST)
    with reverts(InsufficientCredits, **past_the_end):
        attempt(sender, fn)


def should_be_refused_for_a_reversed_range(ledger: Ledger, op: HolderOperation) -> None:
    sender, fn = op.call(ledger, ledger.alice, 1, FIRST + 1, FIRST, FIRST)
    with reverts(InvalidSerialRange, first=FIRST + 1, last=FIRST):
        attempt(sender, fn)


def should_change_nothing_when_refused(ledger: Ledger, op: HolderOperation) -> None:
    from tests.contracts._helpers import ranges

    before = (ranges(ledger, 1), ledger.admin.audit_state())
    sender, fn = op.call(ledger, ledger.bob, 1, FIRST, FIRST + 9, FIRST)
    with reverts(
        InsufficientCredits, holder=addr(ledger.bob), batchId=1, first=FIRST, last=FIRST + 9
    ):
        send(sender, fn)  # mined, not simulated: whatever ran before the check is undone
    assert (ranges(ledger, 1), ledger.admin.audit_state()) == before


BEHAVIOURS = (
    should_be_refused_while_paused,
    should_be_refused_on_a_frozen_batch,
    should_be_refused_for_a_frozen_holder,
    should_be_refused_for_a_holder_off_the_allowlist,
    should_be_refused_for_an_unknown_batch,
    should_be_refused_for_a_wrong_range_hint,
    should_be_refused_for_serials_not_held,
    should_be_refused_for_a_reversed_range,
    should_change_nothing_when_refused,
)
"""What every holdings operation must do; ``test_holder_refusals.py`` runs each for each."""
