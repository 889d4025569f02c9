"""Registry-format serials of ranges of batches, read from the ledger alone (no query store).

What a registry serial is rebuilt from (``chain.registries.LedgerBatch``) is on the chain:
the batch's programme, namespace, first..last and registry reference are in its
``BatchBridged`` issuance, its project's registry id in the project's ``ProjectRegistered``,
and the programme's code in the ledger's programme record. For callers that have the node but
may have no store (the command line); the API and the pages read the same from the store.

As everywhere a registry serial is shown, a batch whose stored text gives none (a bare block
id, arbitrary text an issuer bridged) has ``None``: callers show the numbers, never fail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chain import registries
from chain.events import LedgerEvent
from chain.ledger_logs import keyed_events

if TYPE_CHECKING:
    from chain.client import LedgerClient


def _first_event(
    ledger: LedgerClient, name: str, key: int | bytes, from_block: int
) -> LedgerEvent | None:
    """The ledger's first ``name`` event whose second indexed field (after ``seq``) is ``key``."""
    events = keyed_events(ledger, name, key, from_block=from_block)
    return events[0] if events else None


def ledger_batch(
    ledger: LedgerClient, batch_id: int, *, from_block: int = 0
) -> registries.LedgerBatch | None:
    """What the ledger holds of batch ``batch_id`` that its registry serial is rebuilt from;
    ``None`` if the node has no ``BatchBridged`` of it. The project id is left unchecked
    (``None``) if the node has no ``ProjectRegistered`` of the batch's project. Logs are
    searched from ``from_block`` (the ledger's deploy block: some nodes limit a search's span)."""
    bridged = _first_event(ledger, "BatchBridged", batch_id, from_block)
    if bridged is None:
        return None
    issuance: dict[str, Any] = bridged.fields["issuance"]
    registered = _first_event(
        ledger, "ProjectRegistered", bytes(issuance["projectKey"]), from_block
    )
    project = None if registered is None else str(registered.fields["project"]["projectId"])
    return registries.LedgerBatch(
        program=ledger.program_policy(int(issuance["programId"])).code,
        namespace=str(issuance["namespace"]),
        first=int(issuance["firstSerial"]),
        last=int(issuance["lastSerial"]),
        reference=str(issuance["registryReference"]),
        project=project,
    )


class RangeSerials:
    """``serials(batch_id, first, last)``: the registry serial of a range of a batch on
    ``ledger``, or ``None`` (``chain.registries.shown_serial``); each batch is read once."""

    def __init__(self, ledger: LedgerClient, *, from_block: int = 0) -> None:
        self._ledger = ledger
        self._from_block = from_block
        self._batches: dict[int, registries.LedgerBatch | None] = {}

    def __call__(self, batch_id: int, first: int, last: int) -> str | None:
        if batch_id not in self._batches:
            self._batches[batch_id] = ledger_batch(
                self._ledger, batch_id, from_block=self._from_block
            )
        batch = self._batches[batch_id]
        return None if batch is None else registries.shown_serial(batch, first, last)
