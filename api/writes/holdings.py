"""Choosing the serials a transfer or retirement moves, from the holder's live holdings.

Exact serials are checked against the contract (``locateSerial``). A quantity takes the
holder's lowest live serials: for a transfer across as many runs as it takes (one multicall),
for a retirement from the lowest run that holds it all, so one retirement (and its
certificate) is one contiguous range of serials. Short of credits, the 409 names what is held.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from api.problems import Problem
from api.writes.views import Views
from chain._hints import holder_runs, lowest_serials
from chain.domain import RangeState


def insufficient(
    views: Views, holder: str, batch_id: int, requested: int, detail: str = ""
) -> Problem:
    """409 naming what ``holder`` holds of the batch."""
    held = views.balance(holder, batch_id)
    runs = holder_runs([r for r in views.ranges(batch_id) if r.state == RangeState.HELD], holder)
    shown = ", ".join(f"{a}-{b}" for a, b in runs[:20]) + (" ..." if len(runs) > 20 else "")
    return Problem(
        409,
        "InsufficientCredits",
        "Ledger state conflict",
        detail
        or f"{holder} holds {held} t of batch {batch_id}"
        + (f" (serials {shown})" if runs else "")
        + f"; {requested} t were asked for",
        error="InsufficientCredits",
        held=held,
        held_ranges=[{"first_serial": a, "last_serial": b} for a, b in runs],
        requested=requested,
    )


def exact_start(views: Views, holder: str, batch_id: int, first: int, last: int) -> int:
    """The start of the holding range ``first`` lies in, if ``holder`` holds it live."""
    found = views.locate(batch_id, first)
    if found.holder != holder.lower() or found.state != RangeState.HELD:
        raise insufficient(views, holder, batch_id, last - first + 1)
    return found.first


def lowest_runs(
    views: Views, engine: Engine, holder: str, batch_id: int, quantity: int
) -> list[tuple[int, int]]:
    """The holder's ``quantity`` lowest live serials, as runs (each starts a holding range)."""
    ranges = views.held_ranges(engine, holder, batch_id, quantity)
    try:
        return lowest_serials(ranges, holder, quantity)
    except LookupError:
        raise insufficient(views, holder, batch_id, quantity) from None


def one_run(
    views: Views, engine: Engine, holder: str, batch_id: int, quantity: int
) -> tuple[int, int]:
    """``quantity`` serials from the lowest run of the holder's that holds them all."""
    for ranges in (
        views.held_ranges(engine, holder, batch_id, quantity),
        [r for r in views.ranges(batch_id) if r.state == RangeState.HELD],
    ):
        runs = holder_runs(ranges, holder)
        for first, last in runs:
            if last - first + 1 >= quantity:
                return first, first + quantity - 1
    if sum(b - a + 1 for a, b in runs) >= quantity:
        raise insufficient(
            views,
            holder,
            batch_id,
            quantity,
            f"{holder} holds {quantity} t of batch {batch_id} only in separate runs of serials, "
            "and one retirement is one run: retire by first_serial and last_serial",
        )
    raise insufficient(views, holder, batch_id, quantity)
