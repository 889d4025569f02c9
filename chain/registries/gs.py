"""Gold Standard serials (GS VERs), and the CDM units the Gold Standard export also lists.

Form (Gold Standard registry exports, ``tests/data/registries/gold-standard/*.csv``)::

    GS1-1-UG-GS11236-16-2024-30307-1-19149
    GS<v>-<unit>-cc-GS<project>-<type>-<vintage>-<issuance>-<first>-<last>

``GS1`` and the unit code ``1`` are the same on every GS VER row seen (kept as parts, not
assumed constant); country = ISO alpha-2; project = GSID; type = a project-type code (16 =
"Energy Efficiency - Domestic", 12 = "Wind", 1 = "PV", ... in the bundled exports); vintage =
year; issuance = the issuance id; first/last restart at 1 for every issuance.

Namespace = everything up to the issuance id (``GS1-1-UG-GS11236-16-2024-30307``).
Rationale: the numbers restart at 1 in every issuance, so they are unique only within it. (In
the bundled exports issuance ids also look registry-wide unique and increase with the
issuance date, but Gold Standard documents the serial, not the id, as the unique key.)

The Gold Standard export also lists CERs of CDM projects certified by Gold Standard, written
as CDM unit identifiers (``RW-5-1463953-2-2-0-7014 - RW-5-1467609-2-2-0-7014``, Product Type
"CER"). They are CDM units, so they parse to programme ``CDM`` in the CDM namespace (the same
units bridged from a CDM export collide, as they must). Their project part is the CDM project
number, not the GSID in the row, so the project is not cross-checked for them.
"""

from __future__ import annotations

import dataclasses

from chain.registries import cdm
from chain.registries._adapter import SerialAdapter
from chain.registries._fields import ALPHA2, INTEGER, YEAR
from chain.registries._rows import RowColumns
from chain.registries._vintage import SerialYear

ADAPTER = SerialAdapter(
    key="gs",
    program="GS",
    templates=(
        "GS{version}-{unit}-{country}-GS{project}-{project_type}-{vintage}-{issuance}"
        "-{first}-{last}",
    ),
    kinds={
        "version": INTEGER,
        "unit": INTEGER,
        "country": ALPHA2,
        "project": INTEGER,
        "project_type": INTEGER,
        "vintage": YEAR,
        "issuance": INTEGER,
        "first": INTEGER,
        "last": INTEGER,
    },
    namespace="GS{version}-{unit}-{country}-GS{project}-{project_type}-{vintage}-{issuance}",
    project="project",
    reference="issuance",
    vintage=SerialYear("vintage"),
    row=RowColumns(quantity=("Quantity",), project=("GSID",), vintage_year=("Vintage",)),
    rationale="serial numbers restart at 1 in every issuance",
    project_prefixes=("GS",),
)

CDM_IN_GS = dataclasses.replace(
    cdm.ADAPTER,
    key="gs-cdm",
    registry="gs",
    row=RowColumns(quantity=("Quantity",), vintage_year=("Vintage",)),
    rationale=cdm.ADAPTER.rationale + "; listed in the Gold Standard export",
)
