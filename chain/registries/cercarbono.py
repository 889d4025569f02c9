"""Cercarbono credits on EcoRegistry: the issuance serial, and a range of units within it.

Source: EcoRegistry's public analytics endpoints as CarbonPlan's OffsetsDB reads them
(carbonplan/offsets-db-data, ``offsets_db_data/cercarbono.py``): each project lists its
``serials`` with ``serial`` (``CDC_1_1_1_321_14_1``), ``issued_quantity``, ``issuance_date``,
``year``, ``is_buffer`` and ``vintage_of_credits`` (``2010-01-01 / 2018-09-30``); retirements
name the ``serial`` they draw from with a ``quantity``. The second part of the serial is the
project's number (project ``CDC-1``, as OffsetsDB derives the project id). The meaning of the
other five numbers is not published; they are kept verbatim as ``s3``..``s7``.

A serial names a whole issuance (buffer allocations have their own serial, ``is_buffer``); a
Cercarbono serial holds no unit numbers. The units of an issuance are numbered ``1`` to its
``issued_quantity`` (assumed; EcoRegistry's retirement rows give the ``from``-``to`` range
within the serial), so the range is written after the serial, in a form of this project's
own design::

    CDC_1_1_1_321_14_1 1-62740
    CDC_<project>_<s3>_<s4>_<s5>_<s6> <first>-<last>

The row's ``project_id`` (``CDC-1`` in issuance rows as OffsetsDB writes it, ``1`` in
EcoRegistry's retirements) must name the serial's project.

Namespace = the issuance serial itself: the units of one serial are the scope EcoRegistry
numbers them in, so the same units can never be bridged twice under another project spelling.
"""

from __future__ import annotations

from chain.registries._adapter import SerialAdapter
from chain.registries._fields import INTEGER
from chain.registries._rows import RowColumns

ADAPTER = SerialAdapter(
    key="cercarbono",
    program="CERCARBONO",
    templates=("CDC_{project}_{s3}_{s4}_{s5}_{s6}_{s7} {first}-{last}",),
    kinds={
        "project": INTEGER,
        "s3": INTEGER,
        "s4": INTEGER,
        "s5": INTEGER,
        "s6": INTEGER,
        "s7": INTEGER,
        "first": INTEGER,
        "last": INTEGER,
    },
    namespace="CDC_{project}_{s3}_{s4}_{s5}_{s6}_{s7}",
    project="project",
    row=RowColumns(
        quantity=("quantity", "issued_quantity"), project=("project_id",), project_prefix="CDC-"
    ),
    rationale="units are numbered within each EcoRegistry issuance serial",
    project_prefixes=("CDC",),
)
