"""What the pages show, as plain typed records built from store rows.

Enumerations stay as stable keys (``"held"``, ``"corsia"``, ``"CORSIA_ELIGIBLE"``) that the
templates translate through the message catalogs; dates are ``datetime.date`` (or ``None``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chain.domain import Label, Purpose, RangeState

LABELS = (
    Label.CORSIA_ELIGIBLE,
    Label.CCP_APPROVED,
    Label.ARTICLE6_AUTHORISED,
    Label.CORRESPONDING_ADJUSTMENT,
)


def label_names(bits: int) -> list[str]:
    return [str(label.name).lower() for label in LABELS if bits & label]


def state_name(value: int) -> str:
    try:
        return RangeState(value).label
    except ValueError:
        return "unknown"


def purpose_name(value: int) -> str:
    try:
        return Purpose(value).name.lower()
    except ValueError:
        return "unknown"


def to_date(value: int | None) -> dt.date | None:
    """``YYYYMMDD`` → date; ``0``, ``None`` or an impossible date → ``None``."""
    if not value:
        return None
    try:
        return dt.date(value // 10000, value // 100 % 100, value % 100)
    except ValueError:
        return None


@dataclass(frozen=True)
class Tonnes:
    """Tonnes by fate; ``held`` follows from conservation (bridged = held + the rest)."""

    bridged: int = 0
    retired: int = 0
    detokenised: int = 0
    cancelled: int = 0

    @property
    def held(self) -> int:
        return self.bridged - self.retired - self.detokenised - self.cancelled

    def as_dict(self) -> dict[str, int]:
        return {
            "bridged": self.bridged,
            "held": self.held,
            "retired": self.retired,
            "detokenised": self.detokenised,
            "cancelled": self.cancelled,
        }


@dataclass(frozen=True)
class Project:
    key: str
    program: str
    project_id: str
    name: str
    country: str
    methodology: str
    project_type: str


@dataclass(frozen=True)
class Batch:
    id: int
    program: str
    project: Project
    namespace: str
    first_serial: int
    last_serial: int
    quantity: int
    recipient: str
    vintage_start: dt.date | None
    vintage_end: dt.date | None
    labels: list[str]
    metadata_hash: str
    registry_reference: str
    frozen: bool
    tonnes: Tonnes
    bridged_by: str
    seq: int
    block_number: int
    tx_hash: str


@dataclass(frozen=True)
class Range:
    batch_id: int
    first_serial: int
    last_serial: int
    holder: str
    state: str
    seq: int

    @property
    def quantity(self) -> int:
        return self.last_serial - self.first_serial + 1


@dataclass(frozen=True)
class Retirement:
    id: int
    batch_id: int
    holder: str
    first_serial: int
    last_serial: int
    quantity: int
    beneficiary: str
    purpose: str
    jurisdiction: str
    consumption_start: dt.date | None
    consumption_end: dt.date | None
    note: str
    retired_on: dt.date | None
    mirrored: bool
    actor: str
    seq: int
    block_number: int
    tx_hash: str


@dataclass(frozen=True)
class Event:
    """One audited event, with the parts every kind may have pulled out for display."""

    seq: int
    name: str
    block_number: int
    tx_hash: str
    log_index: int
    audit_head: str
    batch_id: int | None
    actor: str | None = None
    first_serial: int | None = None
    last_serial: int | None = None
    sender: str | None = None
    receiver: str | None = None
    state: str | None = None
    detail: Mapping[Any, Any] = field(default_factory=dict)
    """Kind-specific facts (beneficiary, reason, labels, account flags, …) for the template."""

    @property
    def quantity(self) -> int | None:
        if self.first_serial is None or self.last_serial is None:
            return None
        return self.last_serial - self.first_serial + 1


PROGRAM_EVENTS = frozenset(("ProgramRegistered", "ProgramPolicyUpdated", "NamespaceUpdated"))
"""Events about a programme: shown with its code, which the event itself carries only as an id."""


def event_from_row(row: Mapping[Any, Any], programs: Mapping[int, str] | None = None) -> Event:
    """An ``events`` row (its decoded ``fields``) as an :class:`Event`; ``programs`` (id → code)
    names the programme of a programme event (``PROGRAM_EVENTS``)."""
    f: Mapping[Any, Any] = row["fields"] or {}
    name = str(row["name"])
    base: dict[str, Any] = {
        "seq": int(row["seq"]),
        "name": name,
        "block_number": int(row["block_number"]),
        "tx_hash": str(row["tx_hash"]),
        "log_index": int(row["log_index"]),
        "audit_head": str(row["audit_head"]),
        "batch_id": None if row["batch_id"] is None else int(row["batch_id"]),
        "actor": f.get("actor"),
    }
    match name:
        case "BatchBridged":
            i = f.get("issuance") or {}
            return Event(
                **base,
                first_serial=_int(i.get("firstSerial")),
                last_serial=_int(i.get("lastSerial")),
                receiver=i.get("recipient"),
                state="held",
                detail={"namespace": i.get("namespace", ""), "labels": i.get("labels", 0)},
            )
        case "SerialsMoved":
            return Event(
                **base,
                first_serial=_int(f.get("firstSerial")),
                last_serial=_int(f.get("lastSerial")),
                sender=f.get("from"),
                receiver=f.get("to"),
                state=state_name(int(f.get("state", 0))),
            )
        case "CreditsRetired":
            r = f.get("retirement") or {}
            return Event(
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
        case "CreditsDetokenised" | "CreditsCancelled":
            return Event(
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
            return Event(**base, detail={"labels": label_names(int(f.get("labels", 0)))})
        case "BatchFreezeChanged":
            return Event(**base, detail={"frozen": bool(f.get("frozen"))})
        case "AccountUpdated":
            return Event(
                **base,
                receiver=f.get("account"),
                detail={"allowed": bool(f.get("allowed")), "frozen": bool(f.get("frozen"))},
            )
        case "ProgramRegistered" | "ProgramPolicyUpdated" | "NamespaceUpdated":
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
            return Event(**base, detail=detail)
        case "ProjectRegistered":
            p = f.get("project") or {}
            return Event(
                **base, detail={"project_id": p.get("projectId", ""), "name": p.get("name", "")}
            )
        case "RoleUpdated":
            return Event(
                **base,
                receiver=f.get("account"),
                detail={"role": f.get("role", ""), "granted": bool(f.get("granted"))},
            )
        case "PauseChanged":
            return Event(**base, detail={"paused": bool(f.get("paused"))})
        case _:
            return Event(**base)


def _int(value: Any) -> int | None:
    # The store keeps integers wider than a JSON-safe 63 bits as decimal strings.
    return None if value is None else int(value)
