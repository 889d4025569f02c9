"""ART TREES serials (the ART registry, which also hosts FCPF Carbon Fund units).

Form (ART registry retirement exports, column "Credit Serial Numbers")::

    ART-GY-102-2016-9-1401 to 1408
    FCPF-CI-130-2023-20-1 to 46404
    <standard>-cc-<program>-<vintage>-<batch>-<first> to <last>

standard = ``ART`` (TREES credits) or ``FCPF`` (FCPF Carbon Fund units held in the ART
registry), country = ISO alpha-2, program = ART program id (the row writes ``ART130``, in the
"Program ID" column, for both standards), vintage = year, batch = issuance batch, first/last
restart at 1 in every batch.

Namespace = everything up to the batch (``FCPF-CI-130-2023-20``). Rationale: numbers restart at
1 in every batch, so the batch is the uniqueness scope; the standard is part of it because the
registry keeps both standards' units side by side.
"""

from __future__ import annotations

from chain.registries._adapter import SerialAdapter
from chain.registries._fields import ALPHA2, INTEGER, YEAR, choice
from chain.registries._rows import RowColumns
from chain.registries._vintage import SerialYear

ADAPTER = SerialAdapter(
    key="art",
    program="ART",
    templates=("{standard}-{country}-{project}-{vintage}-{batch}-{first} to {last}",),
    kinds={
        "standard": choice("ART", "FCPF"),
        "country": ALPHA2,
        "project": INTEGER,
        "vintage": YEAR,
        "batch": INTEGER,
        "first": INTEGER,
        "last": INTEGER,
    },
    namespace="{standard}-{country}-{project}-{vintage}-{batch}",
    project="project",
    reference="batch",
    vintage=SerialYear("vintage"),
    row=RowColumns(
        quantity=("Quantity of Credits", "Quantity"),
        project=("Program ID",),
        project_prefix="ART",
        vintage_year=("Vintage",),
    ),
    rationale="serial numbers restart at 1 in every issuance batch",
    project_prefixes=("ART", "FCPF"),
)
