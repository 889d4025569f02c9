"""Verra (VCS) VCU serials.

Form (Verra registry exports, e.g. ``tests/data/registries/verra/transactions.csv``)::

    19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1
    block first     last         unit  ref     cc scope project start end  flag

block = Verra's issuance block id (several rows may share it: one block split by status),
first/last = VCU serial numbers, ``ref`` = a registry-internal number whose meaning Verra does
not document (it is neither the methodology nor the proponent; kept verbatim), country =
ISO 3166 alpha-2 of the project *instance* (grouped projects span countries, so it is not
checked against the row's country), scope = VCS sectoral scope, project = VCS project id,
vintage start/end as DDMMYYYY, flag = 1 when the VCUs carry an additional label or
certification (CCB, CORSIA, Article 6, ...; in the bundled export flag 1 exactly when the
"Additional Certifications" column is non-empty; not checked, the column is free text).

Namespace ``VCS-VCU`` (registry-wide). Rationale: Verra numbers VCUs from one registry-wide
sequence. The bundled export confirms it: sorted by first serial, the 200 blocks never
overlap, and block ids and issuance dates only increase along the sequence, across projects,
vintages and countries. A registry-wide namespace is the strongest double-bridging guard: the
same VCUs can never be bridged twice under a different project or vintage spelling. Project
and vintage are therefore not part of the namespace; they are cross-checked against the row.
"""

from __future__ import annotations

from chain.registries._adapter import SerialAdapter
from chain.registries._fields import ALPHA2, DATE_DMY, INTEGER, choice
from chain.registries._rows import RowColumns
from chain.registries._vintage import SerialDates

ADAPTER = SerialAdapter(
    key="vcs",
    program="VCS",
    templates=(
        "{block}-{first}-{last}-VCS-VCU-{ref}-VER-{country}-{scope}-{project}"
        "-{vintage_start}-{vintage_end}-{flag}",
    ),
    kinds={
        "block": INTEGER,
        "first": INTEGER,
        "last": INTEGER,
        "ref": INTEGER,
        "country": ALPHA2,
        "scope": INTEGER,
        "project": INTEGER,
        "vintage_start": DATE_DMY,
        "vintage_end": DATE_DMY,
        "flag": choice("0", "1"),
    },
    namespace="VCS-VCU",
    project="project",
    reference="block",
    vintage=SerialDates("vintage_start", "vintage_end"),
    row=RowColumns(
        quantity=("Quantity Issued", "Quantity"),
        project=("ID",),
        vintage_start=("Vintage Start",),
        vintage_end=("Vintage End",),
    ),
    rationale="VCU serial numbers form one registry-wide sequence",
    fixed_namespaces=frozenset({"VCS-VCU"}),
    project_prefixes=("VCS", "VERRA"),
)
