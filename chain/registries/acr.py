"""ACR (American Carbon Registry / Ambitious Climate Results) ERT serials.

Form (ACR registry retirement and cancellation exports, column "Credit Serial Numbers")::

    ACR-FR-1129-2025-2917-30932 to 35143
    ACR-cc-<project>-<vintage>-<batch>-<first> to <last>

country = ISO alpha-2 of the project site, project = ACR project number (the row writes it
``ACR1129``), vintage = year, batch = the issuance batch id, first/last = serial numbers that
restart at 1 in every batch (``ACR-US-681-2022-3337-1 to 25245``). Older material (Cloverly's
registry serial guide) shows the same parts with a hyphen before the last number
(``ACR-US-192-2010-203-1-5000``); that form is accepted as a second textual form and written
back as read.

Namespace = everything up to the batch (``ACR-FR-1129-2025-2917``). Rationale: numbers restart
in every batch, so the batch is the scope the registry keeps them unique in. (Batch ids look
registry-wide sequential in published exports, rising with "Date Issued", but ACR documents
the full serial, not the batch id, as unique; project and vintage are cross-checked anyway.)
"""

from __future__ import annotations

from chain.registries._adapter import SerialAdapter
from chain.registries._fields import ALPHA2, INTEGER, YEAR
from chain.registries._rows import RowColumns
from chain.registries._vintage import SerialYear

ADAPTER = SerialAdapter(
    key="acr",
    program="ACR",
    templates=(
        "ACR-{country}-{project}-{vintage}-{batch}-{first} to {last}",
        "ACR-{country}-{project}-{vintage}-{batch}-{first}-{last}",
    ),
    kinds={
        "country": ALPHA2,
        "project": INTEGER,
        "vintage": YEAR,
        "batch": INTEGER,
        "first": INTEGER,
        "last": INTEGER,
    },
    namespace="ACR-{country}-{project}-{vintage}-{batch}",
    project="project",
    reference="batch",
    vintage=SerialYear("vintage"),
    row=RowColumns(
        quantity=("Quantity of Credits", "Quantity"),
        project=("Project ID",),
        project_prefix="ACR",
        vintage_year=("Vintage",),
    ),
    rationale="serial numbers restart at 1 in every issuance batch",
    project_prefixes=("ACR",),
)
