"""How the pages show an audited event: the read API's record (``api.reads.queries.Event``)
with the parts each kind may have pulled out for display, so one template lists every kind.

Enumerations stay as stable keys (``"held"``, ``"corsia"``, ``"corsia_eligible"``) that the
templates translate through the message catalogs. Every other record a page shows is the read
API's own (batches, holding ranges, retirements, holdings, statistics).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from pydantic import Field
from sqlalchemy.engine import Connection

from api.reads.queries import Event, Page, batch_units, program_codes
from chain.domain import label_names, purpose_name, state_name
from chain.units import GRAMS_PER_TONNE, Unit


class EventView(Event):
    """An audited event with its serials, parties, state and kind-specific facts pulled out."""

    actor: str | None = None
    first_serial: int | None = None
    last_serial: int | None = None
    sender: str | None = None
    receiver: str | None = None
    state: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    """Kind-specific facts (beneficiary, reason, labels, account flags, …) for the template."""
    unit_grams: int = GRAMS_PER_TONNE
    """The unit of the batch's programme (``chain.units``), for ``tonnes``."""

    @property
    def quantity(self) -> int | None:
        if self.first_serial is None or self.last_serial is None:
            return None
        return self.last_serial - self.first_serial + 1

    @property
    def tonnes(self) -> Decimal | None:
        """The serials in exact tonnes: what a person reads."""
        quantity = self.quantity
        return None if quantity is None else Unit(self.unit_grams).tonnes(quantity)


PROGRAM_EVENTS = frozenset(
    (
        "ProgramRegistered",
        "ProgramPolicyUpdated",
        "NamespaceUpdated",
        "ProgramUnitSet",
        "ProgramBufferSet",
    )
)
"""Events about a programme: shown with its code, which the event itself carries only as an id."""


def shown_events(conn: Connection, events: Sequence[Event]) -> list[EventView]:
    """``events`` for display, each programme event with its programme's code."""
    wanted = (e.fields.get("programId") for e in events if e.name in PROGRAM_EVENTS)
    codes = program_codes(conn, {int(x) for x in wanted if x is not None})
    units = batch_units(conn, {e.batch_id for e in events if e.batch_id is not None})
    return [
        shown(e, codes).model_copy(
            update={"unit_grams": units.get(e.batch_id or 0, GRAMS_PER_TONNE)}
        )
        for e in events
    ]


def shown_page(conn: Connection, page: Page[Event]) -> Page[Event]:
    """``page`` with its events for display (``EventView`` is an ``Event``)."""
    return page.model_copy(update={"items": shown_events(conn, page.items)})


def shown(event: Event, programs: Mapping[int, str] | None = None) -> EventView:
    """``event`` for display; ``programs`` (id → code) names the programme of a programme event
    (``PROGRAM_EVENTS``)."""
    f: Mapping[Any, Any] = event.fields
    name = event.name
    base: dict[str, Any] = {**event.__dict__, "actor": f.get("actor")}
    match name:
        case "BatchBridged":
            i = f.get("issuance") or {}
            return EventView(
                **base,
                first_serial=_int(i.get("firstSerial")),
                last_serial=_int(i.get("lastSerial")),
                receiver=i.get("recipient"),
                state="held",
                detail={"namespace": i.get("namespace", ""), "labels": i.get("labels", 0)},
            )
        case "SerialsMoved":
            return EventView(
                **base,
                first_serial=_int(f.get("firstSerial")),
                last_serial=_int(f.get("lastSerial")),
                sender=f.get("from"),
                receiver=f.get("to"),
                state=state_name(int(f.get("state", 0))),
            )
        case "CreditsRetired":
            r = f.get("retirement") or {}
            return EventView(
                **base,
                first_serial=_int(r.get("firstSerial")),
                last_serial=_int(r.get("lastSerial")),
                sender=f.get("holder"),
                state="retired",
                detail={
                    "retirement_id": f.get("retirementId"),
                    "beneficiary": r.get("beneficiary", ""),
                    "purpose": purpose_name(int(r.get("purpose", 0))),
                    "mirrored": bool(f.get("mirrored")),
                },
            )
        case "BufferReversed":
            return EventView(
                **base,
                first_serial=_int(f.get("firstSerial")),
                last_serial=_int(f.get("lastSerial")),
                sender=f.get("holder"),
                state="cancelled",
                detail={"reason": f.get("reason", ""), "reversed_batch": f.get("reversedBatchId")},
            )
        case "CreditsDetokenised" | "CreditsCancelled":
            return EventView(
                **base,
                first_serial=_int(f.get("firstSerial")),
                last_serial=_int(f.get("lastSerial")),
                sender=f.get("holder"),
                state="detokenised" if name == "CreditsDetokenised" else "cancelled",
                detail={
                    "reference": f.get("registryReference", ""),
                    "reason": f.get("reason", ""),
                },
            )
        case "LabelsUpdated":
            return EventView(**base, detail={"labels": label_names(int(f.get("labels", 0)))})
        case "BatchFreezeChanged":
            return EventView(**base, detail={"frozen": bool(f.get("frozen"))})
        case "AccountUpdated":
            return EventView(
                **base,
                receiver=f.get("account"),
                detail={"allowed": bool(f.get("allowed")), "frozen": bool(f.get("frozen"))},
            )
        case (
            "ProgramRegistered"
            | "ProgramPolicyUpdated"
            | "NamespaceUpdated"
            | "ProgramUnitSet"
            | "ProgramBufferSet"
        ):
            program_id = _int(f.get("programId"))
            detail: dict[str, Any] = {
                "program_id": program_id,
                "program": (programs or {}).get(program_id or 0, ""),
            }
            if name == "ProgramPolicyUpdated":
                detail["fixed_namespaces"] = bool(f.get("fixedNamespaces"))
                detail["numeric_project_ids"] = bool(f.get("numericProjectIds"))
            elif name == "NamespaceUpdated":
                detail["namespace"] = f.get("namespace", "")
                detail["allowed"] = bool(f.get("allowed"))
            elif name == "ProgramUnitSet":
                detail["unit"] = Unit.from_chain(int(f.get("unitGrams", 0))).symbol
            elif name == "ProgramBufferSet":
                detail["account"] = f.get("account", "")
            return EventView(**base, detail=detail)
        case "ProjectRegistered":
            p = f.get("project") or {}
            return EventView(
                **base, detail={"project_id": p.get("projectId", ""), "name": p.get("name", "")}
            )
        case "RoleUpdated":
            return EventView(
                **base,
                receiver=f.get("account"),
                detail={"role": f.get("role", ""), "granted": bool(f.get("granted"))},
            )
        case "PoolUnitsMoved":
            return EventView(
                **base,
                sender=f.get("from"),
                receiver=f.get("to"),
                detail={"pool_id": _int(f.get("poolId")), "units": _int(f.get("amount"))},
            )
        case "PoolCreated" | "PoolRulesTightened" | "PoolListUpdated" | "PoolUnitsApproved":
            return EventView(
                **base, detail={"pool_id": _int(f.get("poolId")), "name": f.get("name", "")}
            )
        case "PauseChanged":
            return EventView(**base, detail={"paused": bool(f.get("paused"))})
        case _:
            return EventView(**base)


def _int(value: Any) -> int | None:
    # The read API gives integers from 2^53 on as decimal strings.
    return None if value is None else int(value)
