"""China CCER (China Certified Emission Reduction) serials: a designed form, stated as such.

Sources: the CCER registry rules (温室气体自愿减排注册登记规则(试行), National Center for
Climate Change Strategy, November 2023) and the registry's public pages describe the
registration, holding, transfer and cancellation of CCERs in the national registration
system (ccer.cets.org.cn), but no published document found describes the layout of a CCER
serial number, and no public export with serials was found. The form below is therefore
designed, not transcribed, following the pattern the project-based registries share::

    CCER-123-2024-45-1-20000
    CCER-<project>-<vintage>-<issuance>-<first>-<last>

project = the CCER project registration number, vintage = year, issuance = the registry's
issuance (registration) number, first/last = serial numbers of the block.

Namespace = everything up to the issuance (``CCER-123-2024-45``). Rationale: with no
documented guarantee of registry-wide numbering, assume the narrowest plausible scope (numbers
restart in every issuance). A wider namespace could make two legitimate issuances collide and
refuse a genuine bridging; this one cannot, and project and vintage are still cross-checked.
When the real form is known, replace this description (the importer does not change).
"""

from __future__ import annotations

from chain.registries._adapter import SerialAdapter
from chain.registries._fields import INTEGER, YEAR
from chain.registries._rows import RowColumns
from chain.registries._vintage import SerialYear

ADAPTER = SerialAdapter(
    key="ccer",
    program="CCER",
    templates=("CCER-{project}-{vintage}-{issuance}-{first}-{last}",),
    kinds={
        "project": INTEGER,
        "vintage": YEAR,
        "issuance": INTEGER,
        "first": INTEGER,
        "last": INTEGER,
    },
    namespace="CCER-{project}-{vintage}-{issuance}",
    project="project",
    reference="issuance",
    vintage=SerialYear("vintage"),
    row=RowColumns(quantity=("Quantity",), project=("Project ID",), vintage_year=("Vintage",)),
    rationale="assumed: numbers restart in every issuance (no published serial layout)",
    project_prefixes=("CCER",),
)
