"""An OffsetsDB-shaped export (CarbonPlan's OffsetsDB): projects and credit transactions.

Field names and order are OffsetsDB's published pandera schemas in the carbonplan/
offsets-db-data repository, ``offsets_db_data/models.py`` (commit
185171be50ac9b3a965963a72872f7edacf216dc): ``project_schema`` and ``credit_schema`` (the
columns of ``credit_without_id_schema`` then ``id``). The constants below are those lists
verbatim; ``tests/api/reads/test_exports.py`` holds every exported header to them.
docs/EXPORTS.md maps each field to the ledger.

Transactions: one ``issuance`` per batch (its whole quantity), one ``retirement`` per
retirement, one ``cancellation`` per cancellation (a void's cancellation included) and one
``detokenisation`` per detokenisation (credits returned to the registry; not an OffsetsDB
type, kept so a project's transactions reconcile to the tonne: issued = held + retired +
cancelled + detokenised).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Final

from sqlalchemy.engine import Connection

from chain.domain import RangeState, int_to_date, purpose_name
from chain.exports.csvsafe import ExportTable
from chain.exports.snapshot import Snapshot, read_snapshot

SOURCE: Final = (
    "carbonplan/offsets-db-data offsets_db_data/models.py "
    "(commit 185171be50ac9b3a965963a72872f7edacf216dc)"
)

PROJECT_FIELDS: Final = (
    "protocol",
    "category",
    "project_type",
    "project_type_source",
    "retired",
    "issued",
    "project_id",
    "name",
    "registry",
    "proponent",
    "status",
    "country",
    "listed_at",
    "first_issuance_at",
    "first_retirement_at",
    "is_compliance",
    "project_url",
)
CREDIT_FIELDS: Final = (
    "quantity",
    "project_id",
    "vintage",
    "transaction_date",
    "transaction_type",
    "retirement_account",
    "retirement_reason",
    "retirement_note",
    "retirement_beneficiary",
    "retirement_beneficiary_harmonized",
    "id",
)
TABLES: Final = {"projects": PROJECT_FIELDS, "credits": CREDIT_FIELDS}

REGISTRIES: Final = {
    "VCS": ("verra", "VCS"),
    "GS": ("gold-standard", "GLD"),
    "ACR": ("american-carbon-registry", "ACR"),
    "CAR": ("climate-action-reserve", "CAR"),
    "ART": ("art-trees", "ART"),
    "CERCARBONO": ("cercarbono", "CDC-"),
}
"""Programme code → OffsetsDB ``registry`` and its project-id prefix (OffsetsDB writes
``VCS191``, ``GLD1234``, ``CDC-1``…); any other programme is ``none`` with its code as the prefix."""

PROJECT_TYPE_SOURCE: Final = "carbon-ledger"
"""OffsetsDB names where a project type came from; here, the project's registration on the
ledger (its registry's own type)."""


def offsets_project_id(program: str, project_id: str) -> str:
    _registry, prefix = REGISTRIES.get(program, ("none", program))
    return f"{prefix}{project_id}"


def offsetsdb_tables(conn: Connection) -> dict[str, ExportTable]:
    """Both OffsetsDB tables of the ledger the store mirrors, by name (``TABLES``)."""
    return build(read_snapshot(conn))


def _iso_time(value: int | None) -> str | None:
    date = int_to_date(value)
    return None if date is None else f"{date.isoformat()}T00:00:00+00:00"


def build(snap: Snapshot) -> dict[str, ExportTable]:
    projects = ExportTable("projects", PROJECT_FIELDS)
    credits = ExportTable("credits", CREDIT_FIELDS)
    # Serial counts per project; every figure written is tonnes (``Snapshot.tonnes``).
    issued: dict[str, int] = defaultdict(int)
    retired: dict[str, int] = defaultdict(int)
    first_retired: dict[str, int] = {}
    seq = 0

    def credit(**fields: str | int | None) -> None:
        nonlocal seq
        seq += 1
        credits.add(id=seq, **fields)

    for b in snap.batches:
        batch_id = int(b.id)
        key = str(b.project_key)
        project = snap.projects.get(key)
        pid = offsets_project_id(snap.program(b), str(project.project_id) if project else key)
        vintage = int(b.vintage_start) // 10000 or None
        issued[key] += int(b.quantity)
        credit(
            quantity=snap.tonnes(b, int(b.quantity)),
            project_id=pid,
            vintage=vintage,
            transaction_type="issuance",
        )
        for t in snap.retirements[batch_id]:
            retired[key] += int(t.quantity)
            day = int(t.retired_on)
            if day and (key not in first_retired or day < first_retired[key]):
                first_retired[key] = day
            credit(
                quantity=snap.tonnes(b, int(t.quantity)),
                project_id=pid,
                vintage=vintage,
                transaction_date=_iso_time(day),
                transaction_type="retirement",
                retirement_account=str(t.holder),
                retirement_reason=purpose_name(int(t.purpose)),
                retirement_note=str(t.note) or None,
                retirement_beneficiary=str(t.beneficiary) or None,
            )
        # Cancellations from the ranges (a void cancels without a cancellations row).
        cancelled = sum(
            int(r.last_serial) - int(r.first_serial) + 1
            for r in snap.ranges[batch_id]
            if int(r.state) == RangeState.CANCELLED
        )
        listed = 0
        for c in snap.cancellations[batch_id]:
            listed += int(c.quantity)
            credit(
                quantity=snap.tonnes(b, int(c.quantity)),
                project_id=pid,
                vintage=vintage,
                transaction_type="cancellation",
                retirement_account=str(c.holder),
                retirement_note=str(c.reason) or None,
            )
        if cancelled > listed:  # a voided batch: its whole remainder cancelled at once
            credit(
                quantity=snap.tonnes(b, cancelled - listed),
                project_id=pid,
                vintage=vintage,
                transaction_type="cancellation",
                retirement_note=f"batch voided: {snap.voided.get(batch_id, '')}",
            )
        for d in snap.detokenisations[batch_id]:
            credit(
                quantity=snap.tonnes(b, int(d.quantity)),
                project_id=pid,
                vintage=vintage,
                transaction_type="detokenisation",
                retirement_account=str(d.holder),
                retirement_note=str(d.registry_reference) or None,
            )

    for key, p in snap.projects.items():
        program = snap.program(p)
        registry, _prefix = REGISTRIES.get(program, ("none", program))
        methodology = str(p.methodology)
        projects.add(
            protocol=json.dumps([methodology] if methodology else [], ensure_ascii=False),
            project_type=str(p.project_type) or None,
            project_type_source=PROJECT_TYPE_SOURCE,
            retired=snap.tonnes(p, retired.get(key, 0)),
            issued=snap.tonnes(p, issued.get(key, 0)),
            project_id=offsets_project_id(program, str(p.project_id)),
            name=str(p.name),
            registry=registry,
            country=str(p.country) or None,
            first_retirement_at=_iso_time(first_retired.get(key)),
        )
    return {"projects": projects, "credits": credits}
