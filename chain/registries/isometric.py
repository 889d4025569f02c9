"""Isometric credits: no serial numbers are published, so serials are derived, one per kg.

Source: the Isometric Registry API (docs.isometric.com/registry): an issuance ``iss_...`` of a
project ``prj_...`` gives its size as ``supplier_credit_batch_size_total`` and
``buffer_pool_credit_batch_size_total``, each as ``credits`` (tonnes, three decimals) and
``credit_kgs``; a retirement ``ret_...`` gives ``credit_batch_size_total.credits`` /
``.credit_kgs``, its beneficiary and purposes. A credit unit is one kg ("each credit unit
represents 1kg of CO2e removed"). Credit batches carry a ``serial_number`` field in the API
(``ISO-1-BSTORE-GBR-F5X7-2024-78177-81177``) but issuances and retirements do not, and the
documented examples do not tie its numbers to the batch's kg, so it is not used.

Derived serials (this project's design, docs/IMPORT.md): within an issuance, kg ``1..S`` are
the supplier's share (S = supplier ``credit_kgs``) and ``S+1..S+B`` the buffer pool's; a
retirement takes the next kg of its issuance's supplier share, in the order of
(``retired_at``, retirement id). Written as::

    iss_1EWT8R5FY1S0GFCY:1-125632
    iss_<issuance>:<first kg>-<last kg>

Namespace = ``ISO-<issuance>``: one per issuance, so a re-import derives the same serials and
an issuance can never be bridged twice.
"""

from __future__ import annotations

from chain.registries._adapter import SerialAdapter
from chain.registries._fields import CODE, INTEGER

ADAPTER = SerialAdapter(
    key="isometric",
    program="ISOMETRIC",
    templates=("iss_{issuance}:{first}-{last}",),
    kinds={"issuance": CODE, "first": INTEGER, "last": INTEGER},
    namespace="ISO-{issuance}",
    reference="issuance",
    rationale="derived: kg 1..N of each issuance (Isometric publishes no serial numbers)",
)
