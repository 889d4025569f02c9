"""The registries' published export layouts, as data (see ``chain.importer.layout_spec.Layout``).

Sources: the bundled real exports (``tests/data/registries``: Verra's VCU transactions export,
Gold Standard's issuances and retirements) and, for ACR, CAR and ART, the column layouts of
their public retirement, cancellation and issuance exports as CarbonPlan's OffsetsDB reads them
(offsets-db-data, ``credits-raw-columns-mapping.json``). Choices the exports leave open are in
docs/IMPORT.md; the main ones:

- Verra's export has one row per block with its status: a filled ``Retirement/Cancellation
  Date`` means retired (the public export does not tell cancellations from retirements, so
  every such block is mirrored as a retirement). Any of the three file flags reads it.
- Gold Standard lists cancellations in its retirements export (``Credit Status`` Canceled).
- ACR, CAR and ART publish issuances without serial numbers: those rows are not bridgeable;
  the blocks come from their retirement and cancellation exports, which carry the serials.
- A vintage given as a year is the calendar year (``YYYY-01-01..YYYY-12-31``).
- Cercarbono and Isometric write no serial range in one column: their blocks are built by
  ``chain.importer._derive`` (Isometric's derived kg serials are this project's design).
- J-Credit, Puro.earth and CCER retirements publish no CSV layout found: their columns are
  this project's design (tests/data/registries/HANDMADE.md).
"""

from __future__ import annotations

import dataclasses

from chain.domain import Label, Purpose
from chain.importer import _derive
from chain.importer.layout_spec import Columns, LabelRule, Layout, PurposeRule, StatusRule
from chain.importer.model import BlockStatus, FileKind

ISSUED, RETIRED, CANCELLED = BlockStatus.ISSUED, BlockStatus.RETIRED, BlockStatus.CANCELLED


def _reason_purpose(columns: Columns) -> PurposeRule:
    """Free-text retirement reasons: CORSIA, Article 6 and compliance uses are named as such;
    anything else is a voluntary retirement."""
    return PurposeRule(
        columns,
        (
            ("CORSIA", Purpose.CORSIA),
            ("Article 6", Purpose.ARTICLE6),
            ("Compliance", Purpose.COMPLIANCE),
        ),
    )


def _yes(label: Label, *columns: str) -> LabelRule:
    return LabelRule(label, columns, yes=True)


# ---------------------------------------------------------------------------- Verra

_VERRA_DATE = ("Retirement/Cancellation Date",)

VERRA = Layout(
    registry="vcs",
    kind=FileKind.ISSUANCES,
    title="Verra",
    serial=("Serial Number",),
    required=(("Quantity Issued",), ("Vintage Start",), ("Vintage End",), ("ID",), _VERRA_DATE),
    project_name=("Name",),
    country=("Country/Area",),
    methodology=("Methodology",),
    project_type=("Project Type",),
    vintage_start=("Vintage Start",),
    vintage_end=("Vintage End",),
    status=StatusRule.set_means(_VERRA_DATE, RETIRED),
    date=_VERRA_DATE,
    beneficiary=("Retirement Beneficiary",),
    note=("Retirement Reason", "Retirement Details"),
    purpose=_reason_purpose(("Retirement Reason",)),
    labels=(
        LabelRule(Label.CORSIA_ELIGIBLE, ("Additional Certifications",), contains=("CORSIA",)),
        LabelRule(
            Label.ARTICLE6_AUTHORISED,
            ("Additional Certifications",),
            contains=("Article 6 Authorized",),
        ),
        LabelRule(Label.CCP_APPROVED, ("Additional Certifications",), contains=("ICVCM CCP",)),
    ),
    metadata=("Issuance Date",),
    signature=("Serial Number", "Retirement/Cancellation Date"),
)

# ---------------------------------------------------------------------------- Gold Standard

GOLD_STANDARD_ISSUANCES = Layout(
    registry="gs",
    kind=FileKind.ISSUANCES,
    title="Gold Standard",
    serial=("Serial Number",),
    required=(("Quantity",), ("Vintage",), ("GSID",), ("Credit Status",)),
    project_name=("Project Name",),
    country=("Country",),
    methodology=("Methodology",),
    project_type=("Project Type",),
    vintage_year=("Vintage",),
    status=StatusRule.by_value(
        ("Credit Status",),
        {"Issued": ISSUED, "Retired": RETIRED, "Canceled": CANCELLED, "Cancelled": CANCELLED},
    ),
    date=("Retirement Date",),
    beneficiary=("Using Entity", "Aeroplane Operator Name"),
    note=("Note",),
    purpose=PurposeRule(
        ("Use Case",),
        (
            ("CORSIA", Purpose.CORSIA),
            ("Article 6", Purpose.ARTICLE6),
            ("Article Six", Purpose.ARTICLE6),
            ("Compliance", Purpose.COMPLIANCE),
            ("Voluntary", Purpose.VOLUNTARY),
        ),
        strict=True,
    ),
    cancel_reason=("Note",),
    labels=(
        LabelRule(Label.CCP_APPROVED, ("Label",), contains=("ICVCM CCP",)),
        LabelRule(Label.CORSIA_ELIGIBLE, ("Label",), contains=("CORSIA",)),
        LabelRule(
            Label.ARTICLE6_AUTHORISED,
            ("Article Six Authorization",),
            none_of=("Not Applicable", "N/A", "No"),
        ),
    ),
    metadata=(
        "Issuance Date",
        "Monitoring Period Start",
        "Monitoring Period End",
        "Product Type",
        "Programme of Activities",
        "POA GSID",
    ),
    signature=("Serial Number", "Credit Status"),
    absent=("Retirement Date",),
)

GOLD_STANDARD_RETIREMENTS = dataclasses.replace(
    GOLD_STANDARD_ISSUANCES,
    kind=FileKind.RETIREMENTS,
    required=(*GOLD_STANDARD_ISSUANCES.required, ("Retirement Date",)),
    signature=("Serial Number", "Credit Status", "Retirement Date"),
    absent=(),
)

# ---------------------------------------------------------------------------- ACR

ACR_RETIREMENTS = Layout(
    registry="acr",
    kind=FileKind.RETIREMENTS,
    title="ACR",
    serial=("Credit Serial Numbers",),
    required=(("Quantity of Credits",), ("Vintage",), ("Project ID",)),
    project_name=("Project Name",),
    country=("Project Site Country",),
    methodology=("Project Methodology/Protocol",),
    project_type=("Project Type",),
    vintage_year=("Vintage",),
    status=StatusRule.always(RETIRED),
    date=("Status Effective (GMT)", "Status Effective  (GMT)"),
    beneficiary=("Retired on Behalf of", "Account Holder"),
    note=("Retirement Reason", "Purpose of Retirement"),
    purpose=_reason_purpose(("Retirement Reason", "Purpose of Retirement")),
    labels=(
        _yes(
            Label.CORSIA_ELIGIBLE,
            "CORSIA Eligible",
            "Eligible for CORSIA 2021-2023 Compliance Period (Pilot Phase)",
            "Eligible for CORSIA 2024-2026 Compliance Period (First Phase)",
        ),
        _yes(Label.CCP_APPROVED, "CCP Approved"),
    ),
    metadata=(
        "Date Issued (GMT)",
        "Vintage Assignment Period Start Date",
        "Vintage Assignment Period End Date",
        "Methodology/Protocol Version",
    ),
    signature=("Credit Serial Numbers", "Retirement Reason"),
)

ACR_CANCELLATIONS = dataclasses.replace(
    ACR_RETIREMENTS,
    kind=FileKind.CANCELLATIONS,
    status=StatusRule.always(CANCELLED),
    cancel_reason=("Cancellation Reason", "Cancellation Type", "Reason"),
    signature=("Credit Serial Numbers",),
    absent=("Retirement Reason",),
)

ACR_ISSUANCES = Layout(
    registry="acr",
    kind=FileKind.ISSUANCES,
    title="ACR",
    serial=(),
    not_bridgeable=(
        "ACR's issuance export has no serial numbers; its blocks are bridged from the "
        "retirement and cancellation exports"
    ),
    signature=("Total Credits Issued",),
)

# ---------------------------------------------------------------------------- CAR

CAR_RETIREMENTS = Layout(
    registry="car",
    kind=FileKind.RETIREMENTS,
    title="Climate Action Reserve",
    serial=("Offset Credit Serial Numbers",),
    required=(("Quantity of Offset Credits",), ("Vintage",), ("Project ID",)),
    project_name=("Project Name",),
    country=("Project Site Country",),
    methodology=("Protocol and Version",),
    project_type=("Project Type",),
    vintage_year=("Vintage",),
    status=StatusRule.always(RETIRED),
    date=("Status Effective",),
    beneficiary=("Retired on Behalf of", "Account Holder"),
    note=("Retirement Reason", "Retirement Reason Details"),
    purpose=_reason_purpose(("Retirement Reason", "Retirement Reason Details")),
    labels=(
        _yes(
            Label.CORSIA_ELIGIBLE,
            "Eligible for CORSIA 2021-2023 Compliance Period",
            "Eligible for CORSIA 2024-2026 Compliance Period",
        ),
        _yes(Label.CCP_APPROVED, "CCP Approved"),
        _yes(Label.CORRESPONDING_ADJUSTMENT, "Corresponding Adjustment"),
    ),
    metadata=(
        "Reduction/Removal",
        "Reversible/Non-Reversible",
        "Project Site Location",
        "Project Site State",
        "Additional Certification(s)",
    ),
    signature=("Offset Credit Serial Numbers", "Retirement Reason"),
)

CAR_CANCELLATIONS = dataclasses.replace(
    CAR_RETIREMENTS,
    kind=FileKind.CANCELLATIONS,
    status=StatusRule.always(CANCELLED),
    cancel_reason=("Cancellation Reason", "Cancellation Type", "Reason"),
    signature=("Offset Credit Serial Numbers",),
    absent=("Retirement Reason",),
)

CAR_ISSUANCES = Layout(
    registry="car",
    kind=FileKind.ISSUANCES,
    title="Climate Action Reserve",
    serial=(),
    not_bridgeable=(
        "the Reserve's issuance export has no serial numbers; its blocks are bridged from the "
        "retirement and cancellation exports"
    ),
    signature=("Total Offset Credits Issued",),
)

# ---------------------------------------------------------------------------- ART

ART_RETIREMENTS = Layout(
    registry="art",
    kind=FileKind.RETIREMENTS,
    title="ART",
    serial=("Credit Serial Numbers",),
    required=(("Quantity of Credits",), ("Vintage",), ("Program ID",)),
    project_name=("Program Name",),
    country=("Program  Country", "Program Country"),
    methodology=("Crediting Program and Standard",),
    project_type=("Program Type",),
    vintage_year=("Vintage",),
    status=StatusRule.always(RETIRED),
    date=("Status Effective",),
    beneficiary=("Retired on Behalf of", "Account Holder"),
    note=("Retirement Reason", "Purpose of Retirement", "Retirement Reason Details"),
    purpose=_reason_purpose(("Retirement Reason", "Purpose of Retirement")),
    labels=(
        _yes(
            Label.CORSIA_ELIGIBLE,
            "Eligible for CORSIA 2021-2023 Compliance Period (Pilot Phase)",
            "Eligible for CORSIA 2024-2026 Compliance Period (First Phase)",
        ),
        _yes(Label.CCP_APPROVED, "CCP Approved"),
    ),
    metadata=("Standard Version", "Program Jurisdiction(s)", "Date Approved"),
    signature=("Credit Serial Numbers", "Program ID", "Retirement Reason"),
)

ART_CANCELLATIONS = dataclasses.replace(
    ART_RETIREMENTS,
    kind=FileKind.CANCELLATIONS,
    status=StatusRule.always(CANCELLED),
    cancel_reason=("Cancellation Reason", "Cancellation Type", "Reason"),
    signature=("Credit Serial Numbers", "Program ID"),
    absent=("Retirement Reason",),
)

ART_ISSUANCES = Layout(
    registry="art",
    kind=FileKind.ISSUANCES,
    title="ART",
    serial=(),
    not_bridgeable=(
        "ART's issuance export has no serial numbers; its blocks are bridged from the "
        "retirement and cancellation exports"
    ),
    signature=("Credits Verified",),
)

# ---------------------------------------------------------------------------- CDM, CCER

CDM_ISSUANCES = Layout(
    registry="cdm",
    kind=FileKind.ISSUANCES,
    title="CDM",
    serial=("Serial Number",),
    required=(("Quantity",), ("Vintage",), ("Project ID",)),
    project_name=("Project Title",),
    country=("Host Party",),
    vintage_year=("Vintage",),
    metadata=("Unit Type",),
    signature=("Serial Number",),
)

CCER_ISSUANCES = Layout(
    registry="ccer",
    kind=FileKind.ISSUANCES,
    title="CCER",
    serial=("Serial Number",),
    required=(("Quantity",), ("Vintage",), ("Project ID",)),
    project_name=("Project Name",),
    vintage_year=("Vintage",),
    metadata=("Issuance Date",),
    signature=("Serial Number",),
    absent=("Cancellation Date",),
)

CCER_RETIREMENTS = Layout(
    registry="ccer",
    kind=FileKind.RETIREMENTS,
    title="CCER",
    serial=("Serial Number",),
    required=(("Quantity",), ("Vintage",), ("Project ID",), ("Cancellation Date",)),
    project_name=("Project Name",),
    vintage_year=("Vintage",),
    status=StatusRule.always(RETIRED),
    date=("Cancellation Date",),
    beneficiary=("Beneficiary",),
    note=("Purpose",),
    purpose=PurposeRule(
        ("Purpose",),
        (
            ("Compliance", Purpose.COMPLIANCE),
            ("National ETS", Purpose.COMPLIANCE),
            ("Voluntary", Purpose.VOLUNTARY),
        ),
        strict=True,
    ),
    metadata=("Issuance Date",),
    signature=("Serial Number", "Cancellation Date"),
)

# ---------------------------------------------------------------------------- J-Credit

JCREDIT_ISSUANCES = Layout(
    registry="jcredit",
    kind=FileKind.ISSUANCES,
    title="J-Credit",
    serial=("Serial Number",),
    required=(("Quantity (t-CO2)",), ("Project Number",), ("Vintage",)),
    project_id=("Project Number",),
    project_name=("Project Name",),
    methodology=("Methodology",),
    project_type=("Credit Type",),
    vintage_year=("Vintage",),
    country=("Country",),
    metadata=("Certification Date", "Scheme"),
    signature=("Serial Number", "Certification Date"),
    absent=("Retirement Date",),
)

JCREDIT_RETIREMENTS = dataclasses.replace(
    JCREDIT_ISSUANCES,
    kind=FileKind.RETIREMENTS,
    required=(*JCREDIT_ISSUANCES.required, ("Retirement Date",)),
    status=StatusRule.always(RETIRED),
    date=("Retirement Date",),
    beneficiary=("Retired By",),
    note=("Retirement Purpose",),
    purpose=PurposeRule(
        ("Retirement Purpose",),
        (
            ("Carbon Offset", Purpose.VOLUNTARY),
            ("Voluntary", Purpose.VOLUNTARY),
            ("Keidanren", Purpose.VOLUNTARY),
            ("GX-ETS", Purpose.COMPLIANCE),
            ("Act on Promotion", Purpose.COMPLIANCE),
            ("CORSIA", Purpose.CORSIA),
        ),
        strict=True,
    ),
    signature=("Serial Number", "Retirement Date"),
    absent=(),
)

# ---------------------------------------------------------------------------- Cercarbono

CERCARBONO_ISSUANCES = Layout(
    registry="cercarbono",
    kind=FileKind.ISSUANCES,
    title="Cercarbono",
    serial=("serial",),
    derive=_derive.cercarbono_issuances,
    required=(("issued_quantity",), ("is_buffer",), ("vintage_of_credits",)),
    project_name=("project_name",),
    country=("country",),
    vintage_period=("vintage_of_credits",),
    metadata=("issuance_date", "year", "is_buffer", "elegible"),
    signature=("serial", "issued_quantity", "is_buffer"),
)

CERCARBONO_RETIREMENTS = Layout(
    registry="cercarbono",
    kind=FileKind.RETIREMENTS,
    title="Cercarbono",
    serial=("serial",),
    derive=_derive.cercarbono_retirements,
    required=(("from",), ("to",), ("quantity",), ("vintage",), ("date",)),
    project_name=("project_name",),
    vintage_year=("vintage",),
    status=StatusRule.always(RETIRED),
    date=("date",),
    beneficiary=("end_user",),
    note=("reason_using", "certificate_destination"),
    purpose=PurposeRule(
        ("certificate_destination",),
        (
            ("Carbon Tax", Purpose.COMPLIANCE),
            ("CORSIA", Purpose.CORSIA),
            ("Voluntary", Purpose.VOLUNTARY),
        ),
        strict=True,
    ),
    metadata=("id", "country_final_user"),
    signature=("serial", "from", "to", "quantity"),
)

# ---------------------------------------------------------------------------- Isometric

_ISO_SIZE = "credit_batch_size_total"

ISOMETRIC_ISSUANCES = Layout(
    registry="isometric",
    kind=FileKind.ISSUANCES,
    title="Isometric",
    serial=("id",),
    derive=_derive.isometric_issuances,
    required=(
        ("project_id",),
        ("vintage",),
        (f"supplier_{_ISO_SIZE}.credits",),
        (f"supplier_{_ISO_SIZE}.credit_kgs",),
        (f"buffer_pool_{_ISO_SIZE}.credits",),
        (f"buffer_pool_{_ISO_SIZE}.credit_kgs",),
    ),
    project_id=("project_id",),
    project_name=("project.name",),
    country=("country_of_issue",),
    methodology=("protocol",),
    vintage_year=("vintage",),
    labels=(_yes(Label.CCP_APPROVED, "ccp_approved"),),
    metadata=("issued_at", "supplier_id"),
    signature=("id", f"supplier_{_ISO_SIZE}.credit_kgs"),
)

ISOMETRIC_RETIREMENTS = Layout(
    registry="isometric",
    kind=FileKind.RETIREMENTS,
    title="Isometric",
    serial=("id",),
    derive=_derive.isometric_retirements,
    required=(
        ("issuance_id",),
        ("project_id",),
        ("vintage",),
        ("retired_at",),
        ("purposes",),
        (f"{_ISO_SIZE}.credits",),
        (f"{_ISO_SIZE}.credit_kgs",),
    ),
    project_id=("project_id",),
    project_name=("project.name",),
    vintage_year=("vintage",),
    status=StatusRule.always(RETIRED),
    date=("retired_at",),
    beneficiary=("beneficiary.name",),
    note=("notes",),
    purpose=PurposeRule(
        ("purposes",),
        (
            ("regulatory_requirement", Purpose.COMPLIANCE),
            ("corporate_targets", Purpose.VOLUNTARY),
            ("public_environmental_claims", Purpose.VOLUNTARY),
            ("other", Purpose.VOLUNTARY),
        ),
    ),
    metadata=("id", "purposes"),
    signature=("id", "issuance_id", "retired_at"),
)

# ---------------------------------------------------------------------------- Puro.earth

PURO_ISSUANCES = Layout(
    registry="puro",
    kind=FileKind.ISSUANCES,
    title="Puro.earth",
    serial=("Certificates",),
    required=(("Volume",), ("Vintage",), ("Facility Code",)),
    project_name=("Production Facility",),
    country=("Country",),
    methodology=("Methodology",),
    project_type=("Credit Type",),
    vintage_year=("Vintage",),
    metadata=("Issued At",),
    signature=("Certificates", "Issued At"),
    absent=("Retirement Date",),
)

PURO_RETIREMENTS = dataclasses.replace(
    PURO_ISSUANCES,
    kind=FileKind.RETIREMENTS,
    required=(*PURO_ISSUANCES.required, ("Retirement Date",)),
    status=StatusRule.always(RETIRED),
    date=("Retirement Date",),
    beneficiary=("Beneficiary",),
    note=("Retirement Purpose",),
    purpose=_reason_purpose(("Retirement Purpose",)),
    signature=("Certificates", "Retirement Date"),
    absent=(),
)

# ---------------------------------------------------------------------------- the table

LAYOUTS: dict[tuple[str, FileKind], Layout] = {
    ("vcs", FileKind.ISSUANCES): VERRA,
    ("vcs", FileKind.RETIREMENTS): dataclasses.replace(VERRA, kind=FileKind.RETIREMENTS),
    ("vcs", FileKind.CANCELLATIONS): dataclasses.replace(VERRA, kind=FileKind.CANCELLATIONS),
    ("gs", FileKind.RETIREMENTS): GOLD_STANDARD_RETIREMENTS,
    ("gs", FileKind.ISSUANCES): GOLD_STANDARD_ISSUANCES,
    ("gs", FileKind.CANCELLATIONS): dataclasses.replace(
        GOLD_STANDARD_RETIREMENTS, kind=FileKind.CANCELLATIONS
    ),
    ("acr", FileKind.RETIREMENTS): ACR_RETIREMENTS,
    ("acr", FileKind.CANCELLATIONS): ACR_CANCELLATIONS,
    ("acr", FileKind.ISSUANCES): ACR_ISSUANCES,
    ("car", FileKind.RETIREMENTS): CAR_RETIREMENTS,
    ("car", FileKind.CANCELLATIONS): CAR_CANCELLATIONS,
    ("car", FileKind.ISSUANCES): CAR_ISSUANCES,
    ("art", FileKind.RETIREMENTS): ART_RETIREMENTS,
    ("art", FileKind.CANCELLATIONS): ART_CANCELLATIONS,
    ("art", FileKind.ISSUANCES): ART_ISSUANCES,
    ("cdm", FileKind.ISSUANCES): CDM_ISSUANCES,
    ("ccer", FileKind.ISSUANCES): CCER_ISSUANCES,
    ("ccer", FileKind.RETIREMENTS): CCER_RETIREMENTS,
    ("jcredit", FileKind.ISSUANCES): JCREDIT_ISSUANCES,
    ("jcredit", FileKind.RETIREMENTS): JCREDIT_RETIREMENTS,
    ("cercarbono", FileKind.ISSUANCES): CERCARBONO_ISSUANCES,
    ("cercarbono", FileKind.RETIREMENTS): CERCARBONO_RETIREMENTS,
    ("isometric", FileKind.ISSUANCES): ISOMETRIC_ISSUANCES,
    ("isometric", FileKind.RETIREMENTS): ISOMETRIC_RETIREMENTS,
    ("puro", FileKind.ISSUANCES): PURO_ISSUANCES,
    ("puro", FileKind.RETIREMENTS): PURO_RETIREMENTS,
}
"""(registry key, file kind) → layout; per registry, the order in which a header is matched."""

REGISTRIES = (
    "vcs",
    "gs",
    "acr",
    "car",
    "art",
    "cdm",
    "ccer",
    "jcredit",
    "cercarbono",
    "isometric",
    "puro",
)
