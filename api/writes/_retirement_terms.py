"""What a retirement records beside its serials, as the contract's ``Retirement`` struct holds
it: shared by a holder's retirement (``api.writes.retirements``) and a pool's
(``api.writes.pools``), whose bodies name the same terms."""

from __future__ import annotations

from typing import Protocol

from api.writes.models import PURPOSES, Period
from chain.domain import PurposeName, date_to_int


class Terms(Protocol):
    """A body naming a retirement's terms."""

    @property
    def beneficiary(self) -> str: ...
    @property
    def purpose(self) -> PurposeName: ...
    @property
    def jurisdiction(self) -> str: ...
    @property
    def consumption_period(self) -> Period | None: ...
    @property
    def note(self) -> str: ...


def retirement_terms(body: Terms) -> tuple[str, int, str, int, int, str]:
    """The struct's fields after the serials: beneficiary, purpose (its number), jurisdiction,
    consumption start and end (0 without a period) and note."""
    period = body.consumption_period
    return (
        body.beneficiary,
        PURPOSES.index(body.purpose),
        body.jurisdiction,
        date_to_int(period.start) if period else 0,
        date_to_int(period.end) if period else 0,
        body.note,
    )
