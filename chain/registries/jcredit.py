"""J-Credit (Japan) credit serials: a designed form built from the registry's published codes.

Sources: the J-Credit Scheme registry (J-クレジット登録簿システム, japancredit.go.jp) identifies
credits by a scheme symbol (制度記号: ``JC``, ``JCL``; ``KC``/``KCP`` for the former Domestic
Credit scheme and ``JP`` for J-VER, which the registry also holds), a credit type (クレジット種別:
``ER``, ``ERL``, ``FM``, ...) and a credit certification number (クレジット認証番号), as the
registry's account pages explain (e.g. krutar.com/about/number/, a J-Credit registry guide).
No public export with serial numbers was found, and no document gives the textual layout of a
serial range, so the form below is designed::

    JCL-ERL-1234-1-5000
    <scheme>-<credit type>-<certification>-<first>-<last>

Namespace = scheme, type and certification (``JCL-ERL-1234``). Rationale: the certification
number is the registry's unit of issuance, and with no documented registry-wide numbering the
narrowest plausible scope is assumed (numbers restart in every certification), as for CCER.
The project is not part of the serial; the import layout reads it from its own column.
"""

from __future__ import annotations

from chain.registries._adapter import SerialAdapter
from chain.registries._fields import INTEGER, choice
from chain.registries._rows import RowColumns

SCHEMES = ("JC", "JCL", "KC", "KCP", "JP")
CREDIT_TYPES = ("ER", "ERL", "FM", "KC", "KCP", "JRM", "KRM", "JRE", "JRA")

ADAPTER = SerialAdapter(
    key="jcredit",
    program="JCREDIT",
    templates=("{scheme}-{credit_type}-{certification}-{first}-{last}",),
    kinds={
        "scheme": choice(*SCHEMES),
        "credit_type": choice(*CREDIT_TYPES),
        "certification": INTEGER,
        "first": INTEGER,
        "last": INTEGER,
    },
    namespace="{scheme}-{credit_type}-{certification}",
    reference="certification",
    row=RowColumns(quantity=("Quantity (t-CO2)",)),
    rationale="assumed: numbers restart in every certification (no published serial layout)",
)
