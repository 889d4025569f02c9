"""Reversals from a programme's buffer pool, in tonnes: which buffer-held serials to cancel.

A registry reverses credits (a forest burned, stored carbon leaked) by cancelling the same
tonnes from its buffer pool. On the ledger the programme's buffer account holds the buffer
shares (``setProgramBuffer``; the importer bridges them there), and ``reverseFromBuffer``
cancels a run of them with the reason and the reversed batch's id. ``plan_reversal`` turns
"T tonnes for batch N" into those runs: the lowest live serials the buffer account holds in the
buffer batches given, in the order given, exactly T tonnes of the programme's unit
(``chain.units``), or a clear refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from chain.client import LedgerClient, TxResult
from chain.domain import RangeState
from chain.errors import InvalidQuantity, NoBufferAccount, ReversalOutsideProgramme


@dataclass(frozen=True)
class Run:
    """Serials ``first..last`` of buffer batch ``batch_id`` to cancel."""

    batch_id: int
    first: int
    last: int


def plan_reversal(
    client: LedgerClient,
    reversed_batch_id: int,
    tonnes: Decimal | str,
    from_batches: Sequence[int],
) -> list[Run]:
    """The runs of buffer-held serials that make ``tonnes`` for a reversal of
    ``reversed_batch_id``, taken from ``from_batches`` in order, lowest serials first.

    Refuses (before any transaction) a quantity finer than the programme's unit, a buffer
    batch of another programme, a programme without a buffer account, and more tonnes than the
    buffer holds in those batches."""
    program_id = client.batch(reversed_batch_id).program_id
    buffer = client.buffer_account(program_id)
    if buffer is None:
        raise NoBufferAccount("NoBufferAccount", {"programId": program_id})
    needed = client.program_unit(program_id).serials(tonnes)
    runs: list[Run] = []
    for batch_id in from_batches:
        if client.batch(batch_id).program_id != program_id or batch_id == reversed_batch_id:
            raise ReversalOutsideProgramme(
                "ReversalOutsideProgramme",
                {"reversedBatchId": reversed_batch_id, "programId": program_id},
            )
        for r in client.holdings(batch_id, buffer):
            if needed == 0:
                break
            if r.state is not RangeState.HELD:
                continue
            take = min(needed, r.last - r.first + 1)
            runs.append(Run(batch_id, r.first, r.first + take - 1))
            needed -= take
    if needed:
        held = sum(run.last - run.first + 1 for run in runs)
        raise InvalidQuantity(
            f"the buffer account {buffer} holds {held:,} serials live in batches "
            f"{', '.join(map(str, from_batches))}, fewer than the {tonnes} t asked for"
        )
    return runs


def reverse(
    client: LedgerClient, reversed_batch_id: int, runs: Sequence[Run], reason: str
) -> list[TxResult]:
    """Cancel each run from the buffer for a reversal of ``reversed_batch_id``."""
    return [
        client.reverse_from_buffer(run.batch_id, run.first, run.last, reversed_batch_id, reason)
        for run in runs
    ]
