"""Choosing the serials a transfer or retirement moves, from the holder's live holdings.

Exact serials are checked against the contract (``locateSerial``). A quantity takes the
holder's lowest live serials: for a transfer across as many runs as it takes (one multicall),
for a retirement from the lowest run that holds it all, so one retirement (and its
certificate) is one contiguous range of serials. Short of credits, the 409 names what is held.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from api.deps import Ledger
from api.problems import Problem
from api.reads._common import json_int
from api.submission import calls
from api.writes.models import SerialsChoice
from api.writes.views import Views
from chain._hints import holder_runs, lowest_serials
from chain.domain import RangeState
from chain.errors import InsufficientCredits


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


def single_run(views: Views, engine: Engine, holder: str, body: SerialsChoice) -> tuple[int, int]:
    """The one run of ``holder``'s serials ``body`` names: its exact serials (unchecked), or
    its quantity from the lowest run that holds it all."""
    if body.quantity is not None:
        return one_run(views, engine, holder, body.batch_id, body.quantity)
    assert body.first_serial is not None and body.last_serial is not None
    return body.first_serial, body.last_serial


def chosen_runs(views: Views, engine: Engine, holder: str, body: SerialsChoice) -> list[list[int]]:
    """``[first, last, range_start]`` per run of ``holder``'s serials ``body`` names: its
    exact serials (one run, checked held), or its quantity's lowest serials (one or more runs,
    each starting a holding range)."""
    if body.quantity is None:
        assert body.first_serial is not None and body.last_serial is not None
        first, last = body.first_serial, body.last_serial
        return [[first, last, exact_start(views, holder, body.batch_id, first, last)]]
    picked = lowest_runs(views, engine, holder, body.batch_id, body.quantity)
    return [[first, last, first] for first, last in picked]


def runs_json(runs: list[list[int]]) -> list[dict[str, Any]]:
    """The runs as a response lists them."""
    return [{"first_serial": json_int(r[0]), "last_serial": json_int(r[1])} for r in runs]


def spending_gas(
    ledger: Ledger, sender: str, holder: str, batch_id: int, quantity: int, data: bytes
) -> int:
    """The gas of a call that spends ``holder``'s credits, asked of the contract first (so a
    refusal costs no transaction); short of credits, the 409 names what is held."""
    try:
        estimate = ledger.node.estimate_gas(sender, ledger.contract, data)
    except InsufficientCredits:
        raise insufficient(ledger.views, holder, batch_id, quantity) from None
    return calls.with_margin(estimate)
