"""Climate Action Reserve (CAR) CRT and ROC serials.

Form (the Reserve's "Serial Number Guide", climateactionreserve.org/how/projects/
serial-number-guide/, and its retirement exports, column "Offset Credit Serial Numbers")::

    CAR-1-US-1335-31-983-KS-2025-9205-1 to 5000
    CAR-<unit>-cc-<project>-<type>-<developer>-<state>-<vintage>-<batch>-<first> to <last>

unit = unit type (``1`` = Climate Reserve Tonne, ``ROC`` = Registry Offset Credit), country =
ISO alpha-2, project = Reserve project id (the row writes ``CAR1335``), type = project type
code (31 = Nitric Acid N2O tertiary catalyst, 42 = Forestry MX, ...), developer = project
developer id, state = two-letter state/province code (Mexican states too: QR, YC, CI, ...),
vintage = year, batch = issuance batch, first/last restart at 1 in every batch.

Namespace = everything up to the batch (``CAR-1-US-1335-31-983-KS-2025-9205``). Rationale:
numbers restart at 1 in each batch (``...-9205-1 to 5000``, ``...-9659-1 to 7275``), so the
batch is the registry's uniqueness scope. Project, vintage and quantity are cross-checked.
"""

from __future__ import annotations

from chain.registries._adapter import SerialAdapter
from chain.registries._fields import ALPHA2, INTEGER, YEAR, choice
from chain.registries._rows import RowColumns
from chain.registries._vintage import SerialYear

ADAPTER = SerialAdapter(
    key="car",
    program="CAR",
    templates=(
        "CAR-{unit}-{country}-{project}-{project_type}-{developer}-{state}-{vintage}-{batch}"
        "-{first} to {last}",
    ),
    kinds={
        "unit": choice("1", "ROC"),
        "country": ALPHA2,
        "project": INTEGER,
        "project_type": INTEGER,
        "developer": INTEGER,
        "state": ALPHA2,
        "vintage": YEAR,
        "batch": INTEGER,
        "first": INTEGER,
        "last": INTEGER,
    },
    namespace=(
        "CAR-{unit}-{country}-{project}-{project_type}-{developer}-{state}-{vintage}-{batch}"
    ),
    project="project",
    reference="batch",
    vintage=SerialYear("vintage"),
    row=RowColumns(
        quantity=("Quantity of Offset Credits", "Quantity"),
        project=("Project ID",),
        project_prefix="CAR",
        vintage_year=("Vintage",),
    ),
    rationale="serial numbers restart at 1 in every issuance batch",
    project_prefixes=("CAR",),
)
