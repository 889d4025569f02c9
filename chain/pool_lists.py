"""A pool's list of one kind (countries, project types, methodologies), read from the ledger
alone (no query store): for callers that have the node but may have no store (the command
line's ``pool tighten``); the API and the pages read the same from the store.

The ledger keeps a list as a set of tags it cannot enumerate, so the values are those its
``PoolListUpdated`` events listed and did not unlist, each confirmed by ``poolListed``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chain.domain import PoolKind
from chain.ledger_logs import keyed_events

if TYPE_CHECKING:
    from chain.client import LedgerClient


def pool_list(
    ledger: LedgerClient, pool_id: int, kind: PoolKind, *, from_block: int = 0
) -> list[str]:
    """The values on pool ``pool_id``'s list of kind ``kind``, in the order first listed.
    Logs are searched from ``from_block`` (the ledger's deploy block)."""
    listed: dict[str, None] = {}  # insertion-ordered set
    for e in keyed_events(ledger, "PoolListUpdated", pool_id, from_block=from_block):
        if int(e.fields["kind"]) != kind:
            continue
        value = str(e.fields["value"])
        if e.fields["listed"]:
            listed.setdefault(value)
        else:
            listed.pop(value, None)
    # The ledger's own view decides (two texts could share a tag; a node could miss a log).
    return [v for v in listed if ledger.pool_listed(pool_id, kind, v)]
