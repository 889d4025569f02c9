"""Puro.earth CORC certificate ids (the registry's serial ranges of CO2 removal certificates).

Source: the Puro.earth API documentation, "Certificate Id" (docs.api.puro.earth/mypuro/
concepts/certificates) and "Updates to the Registry" (docs.api.puro.earth/docs/
updates-to-the-registry)::

    PURO_PR_CORC100+_FI_577166_2020_055a3fbe-eabc-4535-b9cf-1028e7d18f89_1-100
    <standard>_<registry>_<credit type>_<country>_<facility>_<vintage>_<issuance id>_<first>-<last>

standard = ``PURO``, registry id ``PR``, credit type (human-readable, e.g. ``CORC100+``),
country = ISO 3166 alpha-2 of the production facility, facility = its 6-character code,
vintage = production year, issuance id = the issuance transaction's UUID, first/last = the
bundle's certificate numbers. Puro states that the numbers "can overlap with other issued
certificates, but [are] guaranteed to be unique within one issuance".

Namespace = ``PURO-<issuance id>`` in upper case (the UUID is written in lower case, which a
ledger identifier does not allow). Older bundles keep a GSRN-based number with leading zeros
(``643002406555908611`` + ``000000000001``); that form is not read (a row with it is rejected
with the reason).
"""

from __future__ import annotations

from chain.registries._adapter import SerialAdapter
from chain.registries._fields import ALPHA2, CODE, CREDIT_TYPE, INTEGER, UUID, YEAR, sized_code
from chain.registries._rows import RowColumns
from chain.registries._vintage import SerialYear

ADAPTER = SerialAdapter(
    key="puro",
    program="PURO",
    templates=(
        "PURO_{registry_id}_{credit_type}_{country}_{facility}_{vintage}_{issuance}_{first}-{last}",
    ),
    kinds={
        "registry_id": CODE,
        "credit_type": CREDIT_TYPE,
        "country": ALPHA2,
        "facility": sized_code(6),
        "vintage": YEAR,
        "issuance": UUID,
        "first": INTEGER,
        "last": INTEGER,
    },
    namespace="PURO-{issuance}",
    project="facility",
    reference="issuance",
    vintage=SerialYear("vintage"),
    row=RowColumns(quantity=("Volume",), project=("Facility Code",), vintage_year=("Vintage",)),
    rationale="certificate numbers are unique within one issuance (Puro.earth API docs)",
    upper_namespace=True,
)
