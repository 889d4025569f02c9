"""A programme's unit: what one serial of it is worth, the one definition every layer uses.

One serial is one unit of its programme. Most registries count whole tonnes (one serial = one
tonne of CO2e); a registry that issues and retires in kilograms (Isometric) has a programme
whose unit is 1,000 g, so that one serial is one kilogram and every quantity stays an exact
integer count of serials on-chain. The unit is ``ProgramRecord.unitGrams`` on-chain (0 means a
tonne, 1,000,000 g), set by the programme's admin before its first project
(``setProgramUnit``, event ``ProgramUnitSet``) and mirrored in the store (``programs.unit_grams``,
always the grams, 1,000,000 for a tonne).

Every figure a person reads (pages, certificates, API ``tonnes`` fields, import reports, ``audit
verify`` totals, exports) goes through ``Unit``: ``tonnes(n)`` is an exact ``Decimal`` and
``format_tonnes(n)`` writes it (``"1.234 t"``). Serial counts stay counts (``quantity``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from chain.errors import InvalidQuantity

GRAMS_PER_TONNE = 1_000_000
"""A tonne in grams: the unit of a programme whose ``unitGrams`` is 0 (every tonne registry)."""

MAX_UNIT_GRAMS = 2**32 - 1
"""``unitGrams`` is a ``uint32`` on-chain."""

_SYMBOLS = {GRAMS_PER_TONNE: "t", 1_000: "kg", 1: "g"}


@dataclass(frozen=True)
class Unit:
    """What one serial of a programme is worth, in grams of CO2e (1,000,000 for a tonne)."""

    grams: int

    def __post_init__(self) -> None:
        # Any unit the contract can hold is representable (tonnes stay exact decimals), so the
        # mirror never halts on one; ``serials`` refuses what a unit cannot make exactly.
        if not 1 <= self.grams <= MAX_UNIT_GRAMS:
            raise InvalidQuantity(
                f"a programme's unit must be 1 to {MAX_UNIT_GRAMS:,} grams per serial, "
                f"got {self.grams}"
            )

    @classmethod
    def from_chain(cls, unit_grams: int) -> Unit:
        """The unit ``ProgramRecord.unitGrams`` encodes (0: a tonne)."""
        return TONNE if unit_grams in (0, GRAMS_PER_TONNE) else cls(unit_grams)

    @property
    def chain_value(self) -> int:
        """``unitGrams`` as the contract stores it (0 for a tonne)."""
        return 0 if self.is_tonne else self.grams

    @property
    def is_tonne(self) -> bool:
        return self.grams == GRAMS_PER_TONNE

    @property
    def symbol(self) -> str:
        """``"t"``, ``"kg"``, ``"g"``, or ``"<n> g"`` for any other divisor of a tonne."""
        return _SYMBOLS.get(self.grams, f"{self.grams} g")

    def tonnes(self, serials: int) -> Decimal:
        """The exact tonnes ``serials`` serials of this unit are (no rounding, ever)."""
        return Decimal(serials * self.grams) / GRAMS_PER_TONNE

    def serials(self, tonnes: Decimal | int | str) -> int:
        """The number of serials that make ``tonnes`` exactly; refuses a quantity finer than
        one unit (``0.0005`` t of a kg programme) or not positive."""
        try:
            value = Decimal(tonnes)
        except ArithmeticError:
            raise InvalidQuantity(f"not a number of tonnes: {tonnes!r}") from None
        if not value.is_finite() or value <= 0:
            raise InvalidQuantity(f"a quantity of tonnes must be positive, got {tonnes}")
        count = value * GRAMS_PER_TONNE / self.grams
        if count != count.to_integral_value():
            raise InvalidQuantity(
                f"{tonnes} t is not a whole number of this programme's units ({self.symbol}): "
                f"the finest quantity is {self.tonnes(1)} t"
            )
        return int(count)

    def format_tonnes(self, serials: int) -> str:
        """``"1,234 t"`` for a tonne programme, ``"1.234 t"`` for 1,234 serials of a kg one."""
        return f"{tonnes_text(self.tonnes(serials), grouped=True)} t"

    def format_serials(self, serials: int) -> str:
        """The count in the programme's own unit: ``"1,234 kg"``, ``"12 t"``."""
        return f"{serials:,} {self.symbol}"


TONNE = Unit(GRAMS_PER_TONNE)
KILOGRAM = Unit(1_000)


def tonnes_text(tonnes: Decimal | int, *, grouped: bool = False) -> str:
    """An exact tonnes ``Decimal`` as plain text, no exponent and no trailing zeros:
    ``"1.234"``, ``"12"``, ``"0.001"`` (``grouped``: ``"1,234.5"``)."""
    exact = Decimal(tonnes).normalize()
    return f"{exact:,f}" if grouped else f"{exact:f}"


def grams_tonnes(grams: int) -> Decimal:
    """Tonnes of a sum already in grams (the stores' cross-programme totals)."""
    return Decimal(grams) / GRAMS_PER_TONNE
