"""A Climate Action Data Trust (CADT) v2-shaped export: projects, their locations and
methodologies, issuances, units (serial blocks with their status) and labels.

Field names and order are the CAD Trust v2.0.2 data model's API field names, as published in
the machine-readable schema of the Chia-Network/cadt repository,
``docs/cadtrust-schema-v2.0.2.json`` (commit 0f406f57cfaa98c1e35517f4334202d0483877c1,
"CAD Trust Data Schema v2.0.2", ``tables.<table>.fields.*.apiField`` in file order). The
constants below are those lists verbatim; ``tests/api/reads/test_exports.py`` holds every
exported header to them. docs/EXPORTS.md maps each field to the ledger.

Units are the ledger's holding ranges: every live, detokenised or cancelled range of a batch
is one unit (``unitStatus`` ``Held``, ``Inactive`` or ``Cancelled``), and every retirement is
one unit (``Retired``, with its beneficiary), so the units of a batch tile it exactly and sum,
by status, to the batch's held, retired, detokenised and cancelled tonnes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy.engine import Connection

from chain.domain import LABEL_BITS, RangeState, int_to_date, purpose_name
from chain.exports.csvsafe import ExportTable
from chain.exports.snapshot import Snapshot, read_snapshot

SOURCE: Final = (
    "Chia-Network/cadt docs/cadtrust-schema-v2.0.2.json "
    "(commit 0f406f57cfaa98c1e35517f4334202d0483877c1)"
)

PROJECT_FIELDS: Final = (
    "cadTrustProjectId",
    "orgUid",
    "projectRegistryName",
    "projectId",
    "projectCreditingProgram",
    "projectName",
    "projectLink",
    "projectDescription",
    "projectSector",
    "projectType",
    "projectSubtype",
    "projectStatus",
    "projectStatusDate",
    "projectUnitMetric",
    "createdAt",
    "updatedAt",
    "cadTrustReferenceProjectId",
    "cadTrustProgramId",
)
METHODOLOGY_FIELDS: Final = (
    "cadTrustMethodologyId",
    "methodologyCode",
    "methodologyName",
    "methodologyType",
    "methodologyVersion",
    "methodologyDate",
    "methodologyLink",
    "createdAt",
    "updatedAt",
)
PROJECT_METHODOLOGY_FIELDS: Final = (
    "cadTrustProjectMethodologyId",
    "cadTrustProjectId",
    "cadTrustMethodologyId",
    "projectMethodologyDate",
    "projectMethodologyDescription",
    "createdAt",
    "updatedAt",
)
LOCATION_FIELDS: Final = (
    "cadTrustLocationId",
    "locationCountry",
    "locationRegion",
    "locationGis",
    "locationMapType",
    "locationMapFileLink",
    "createdAt",
    "updatedAt",
    "cadTrustProjectId",
)
ISSUANCE_FIELDS: Final = (
    "cadTrustIssuanceId",
    "issuanceId",
    "issuanceDate",
    "createdAt",
    "updatedAt",
    "cadTrustVerificationId",
    "cadTrustProjectMethodologyId",
    "cadTrustLocationId",
)
UNIT_FIELDS: Final = (
    "cadTrustUnitId",
    "orgUid",
    "unitSerialId",
    "unitStartBlock",
    "unitEndBlock",
    "unitCount",
    "unitType",
    "unitVintageYear",
    "unitStatus",
    "unitStatusReason",
    "unitStatusDate",
    "unitRetirementDetail",
    "unitRetirementBeneficiary",
    "unitRetirementBeneficiaryId",
    "unitLink",
    "unitMetric",
    "unitCurrentOwner",
    "unitItmosReferenceId",
    "createdAt",
    "updatedAt",
    "cadTrustIssuanceId",
)
LABEL_FIELDS: Final = (
    "cadTrustLabelId",
    "labelName",
    "labelType",
    "labelLink",
    "labelDate",
    "createdAt",
    "updatedAt",
)
UNIT_LABEL_FIELDS: Final = (
    "cadTrustUnitLabelId",
    "cadTrustLabelId",
    "cadTrustUnitId",
    "labelUnitDate",
    "labelUnitDescription",
    "createdAt",
    "updatedAt",
)

TABLES: Final = {
    "project": PROJECT_FIELDS,
    "methodology": METHODOLOGY_FIELDS,
    "project_methodology": PROJECT_METHODOLOGY_FIELDS,
    "location": LOCATION_FIELDS,
    "issuance": ISSUANCE_FIELDS,
    "unit": UNIT_FIELDS,
    "label": LABEL_FIELDS,
    "unit_label": UNIT_LABEL_FIELDS,
}
"""Every exported CADT table (its file is ``<name>.csv``), in the schema's insert order."""

UNIT_STATUS: Final = {
    RangeState.HELD: "Held",
    RangeState.RETIRED: "Retired",
    RangeState.DETOKENISED: "Inactive",
    RangeState.CANCELLED: "Cancelled",
}
"""The ledger's range states as CADT v2 ``unit_status`` picklist values. A detokenised range
went back to its registry: on this ledger it is ``Inactive`` (the registry holds it)."""

LABELS: Final = {
    "corsia_eligible": ("CORSIA eligible", "Certification"),
    "ccp_approved": ("ICVCM CCP approved", "Certification"),
    "article6_authorised": ("Article 6 authorised", "Article 6 - Authorisation"),
    "corresponding_adjustment": ("Corresponding adjustment", "Article 6 - Authorisation"),
}
"""The ledger's labels as CADT labels: ``labelName`` (free text in v2) and ``labelType``
(picklist)."""

UNIT_METRIC: Final = "tCO2e"
UNIT_TYPE: Final = "Not Determined"
"""The ledger does not record whether credits are reductions or removals."""
PROJECT_STATUS: Final = "Registered"
"""A project on the ledger was registered by its registry (it has issued credits)."""


def _iso(value: int | None) -> str | None:
    date = int_to_date(value)
    return None if date is None else date.isoformat()


def _unit(
    out: dict[str, ExportTable],
    snap: Snapshot,
    serial_prefix: str,
    batch: Any,
    common: dict[str, Any],
    as_of: str,
    first: int,
    last: int,
    labels: int,
    unit_key: str,
    **fields: Any,
) -> None:
    """One unit row (serials ``first..last`` of the batch; ``unitCount`` in tonnes, exact for
    a sub-tonne programme) and a unit_label row per label."""
    uid = snap.guid("unit", f"{int(batch.id)}:{unit_key}")
    out["unit"].add(
        cadTrustUnitId=uid,
        unitSerialId=f"{serial_prefix}-{first}-{last}",
        unitStartBlock=str(first),
        unitEndBlock=str(last),
        unitCount=snap.tonnes(batch, last - first + 1),
        **common,
        **fields,
    )
    for name, bit in LABEL_BITS.items():
        if labels & bit:
            out["unit_label"].add(
                cadTrustUnitLabelId=snap.guid("unit_label", f"{uid}:{name}"),
                cadTrustLabelId=snap.guid("label", name),
                cadTrustUnitId=uid,
                labelUnitDate=as_of,
            )


def cadt_tables(conn: Connection) -> dict[str, ExportTable]:
    """Every CADT table of the ledger the store mirrors, by name (``TABLES``)."""
    return build(read_snapshot(conn))


def build(snap: Snapshot) -> dict[str, ExportTable]:
    out = {name: ExportTable(name, fields) for name, fields in TABLES.items()}
    org = snap.guid("org", "ledger")
    as_of = dt.datetime.fromtimestamp(snap.as_of, dt.UTC).date().isoformat()

    for name, (label_name, label_type) in LABELS.items():
        out["label"].add(
            cadTrustLabelId=snap.guid("label", name), labelName=label_name, labelType=label_type
        )

    methodologies: dict[str, str] = {}
    for key, p in snap.projects.items():
        pid = snap.guid("project", key)
        program = snap.program(p)
        out["project"].add(
            cadTrustProjectId=pid,
            orgUid=org,
            projectRegistryName=program,
            projectId=str(p.project_id),
            projectCreditingProgram=program,
            projectName=str(p.name),
            projectType=str(p.project_type) or None,
            projectStatus=PROJECT_STATUS,
            projectUnitMetric=UNIT_METRIC,
        )
        out["location"].add(
            cadTrustLocationId=snap.guid("location", key),
            locationCountry=str(p.country) or None,
            cadTrustProjectId=pid,
        )
        methodology = str(p.methodology)
        if methodology:
            if methodology not in methodologies:
                methodologies[methodology] = snap.guid("methodology", methodology)
                out["methodology"].add(
                    cadTrustMethodologyId=methodologies[methodology],
                    methodologyCode=methodology,
                    methodologyName=methodology,
                )
            out["project_methodology"].add(
                cadTrustProjectMethodologyId=snap.guid("project_methodology", key),
                cadTrustProjectId=pid,
                cadTrustMethodologyId=methodologies[methodology],
            )

    for b in snap.batches:
        batch_id = int(b.id)
        project = snap.projects.get(str(b.project_key))
        issuance = snap.guid("issuance", batch_id)
        out["issuance"].add(
            cadTrustIssuanceId=issuance,
            issuanceId=str(b.registry_reference) or f"batch-{batch_id}",
            cadTrustProjectMethodologyId=(
                snap.guid("project_methodology", b.project_key)
                if project is not None and str(project.methodology)
                else None
            ),
            cadTrustLocationId=snap.guid("location", b.project_key),
        )
        program = snap.program(b)
        vintage = int(b.vintage_start) // 10000 or None
        common: dict[str, Any] = {
            "orgUid": org,
            "unitType": UNIT_TYPE,
            "unitVintageYear": vintage,
            "unitMetric": UNIT_METRIC,
            "cadTrustIssuanceId": issuance,
        }
        batch_labels = int(b.labels)
        cancel_reasons = {
            (int(c.first_serial), int(c.last_serial)): str(c.reason)
            for c in snap.cancellations[batch_id]
        }
        detok_refs = {
            (int(d.first_serial), int(d.last_serial)): str(d.registry_reference)
            for d in snap.detokenisations[batch_id]
        }

        namespace = str(b.namespace)
        # The namespace names the programme already where it starts with its code (VCS-VCU).
        serial_prefix = namespace if namespace.startswith(program) else f"{program}-{namespace}"

        for r in snap.ranges[batch_id]:
            state = RangeState(int(r.state))
            if state == RangeState.RETIRED:
                continue  # each retirement is its own unit, below
            first, last = int(r.first_serial), int(r.last_serial)
            if state == RangeState.HELD:
                pool = snap.pools.get(str(r.holder))
                reason = f"held on the ledger in {pool}" if pool else "held on the ledger"
            elif state == RangeState.CANCELLED:
                why = cancel_reasons.get((first, last))
                if batch_id in snap.voided:
                    reason = f"batch voided: {snap.voided[batch_id]}"
                else:
                    reason = f"cancelled: {why}" if why else "cancelled on the ledger"
            else:
                ref = detok_refs.get((first, last))
                reason = f"detokenised to the registry: {ref}" if ref else "detokenised"
            _unit(
                out,
                snap,
                serial_prefix,
                b,
                common,
                as_of,
                first,
                last,
                batch_labels,
                f"range:{first}",
                unitStatus=UNIT_STATUS[state],
                unitStatusReason=reason,
                unitStatusDate=as_of,
                unitCurrentOwner=snap.owner(str(r.holder)),
            )
        for t in snap.retirements[batch_id]:
            first, last = int(t.first_serial), int(t.last_serial)
            detail = [f"retirement {int(t.id)}", f"purpose {purpose_name(int(t.purpose))}"]
            if str(t.jurisdiction):
                detail.append(f"jurisdiction {t.jurisdiction}")
            start, end = _iso(int(t.consumption_start)), _iso(int(t.consumption_end))
            if start and end:
                detail.append(f"consumption {start}/{end}")
            if str(t.note):
                detail.append(f"note {t.note}")
            labels = batch_labels if t.labels is None else int(t.labels)
            _unit(
                out,
                snap,
                serial_prefix,
                b,
                common,
                as_of,
                first,
                last,
                labels,
                f"retirement:{int(t.id)}",
                unitStatus="Retired",
                unitStatusReason=(
                    "retirement mirrored from the registry"
                    if t.mirrored
                    else "retired on the ledger"
                ),
                unitStatusDate=_iso(int(t.retired_on)) or as_of,
                unitRetirementDetail="; ".join(detail),
                unitRetirementBeneficiary=str(t.beneficiary) or None,
                unitCurrentOwner=str(t.holder),
            )
    return out
