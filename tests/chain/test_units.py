"""``chain.units``: one serial is one unit of its programme; tonnes are exact."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain.errors import InvalidQuantity
from chain.units import KILOGRAM, TONNE, Unit, grams_tonnes, tonnes_text


def test_a_kg_programme_s_1234_serials_are_1_234_tonnes() -> None:
    assert KILOGRAM.tonnes(1234) == Decimal("1.234")
    assert KILOGRAM.format_tonnes(1234) == "1.234 t"
    assert KILOGRAM.format_serials(1234) == "1,234 kg"
    assert TONNE.format_tonnes(1234) == "1,234 t"
    assert TONNE.format_serials(12) == "12 t"


def test_the_chain_s_zero_is_a_tonne() -> None:
    assert Unit.from_chain(0) is TONNE
    assert Unit.from_chain(1_000_000) is TONNE
    assert Unit.from_chain(1_000) == KILOGRAM
    assert TONNE.chain_value == 0 and KILOGRAM.chain_value == 1_000


@pytest.mark.parametrize("grams", [0, -1, 2**32])
def test_a_unit_the_contract_cannot_hold_is_refused(grams: int) -> None:
    with pytest.raises(InvalidQuantity, match="unit"):
        Unit(grams)


def test_an_odd_unit_still_gives_exact_tonnes_and_refuses_inexact_quantities() -> None:
    seven = Unit(7)  # whatever a programme admin set, the mirror states it exactly
    assert seven.tonnes(3) == Decimal("0.000021")
    assert seven.serials("0.000021") == 3
    with pytest.raises(InvalidQuantity, match="whole number"):
        seven.serials("0.00002")
    assert Unit(2_000_000).format_tonnes(3) == "6 t"


@pytest.mark.parametrize("tonnes", ["0.0005", "0", "-1", "NaN", "Infinity", "abc", "1.2345"])
def test_tonnes_finer_than_a_kg_or_not_positive_are_refused(tonnes: str) -> None:
    with pytest.raises(InvalidQuantity):
        KILOGRAM.serials(tonnes)


def test_tonnes_of_a_tonne_programme_must_be_whole() -> None:
    with pytest.raises(InvalidQuantity, match="whole number"):
        TONNE.serials("1.5")
    assert TONNE.serials(3) == 3


def test_tonnes_text_has_no_exponent_and_no_trailing_zeros() -> None:
    assert tonnes_text(Decimal("1000.000")) == "1000"
    assert tonnes_text(Decimal("0.001")) == "0.001"
    assert tonnes_text(Decimal("1234567.5"), grouped=True) == "1,234,567.5"
    assert grams_tonnes(1_234_000) == Decimal("1.234")


@given(
    st.sampled_from([1, 10, 1_000, 1_000_000]),
    st.integers(min_value=1, max_value=2**63 - 2),
)
def test_serials_and_tonnes_round_trip_exactly(grams: int, serials: int) -> None:
    unit = Unit(grams)
    assert unit.serials(unit.tonnes(serials)) == serials
    assert unit.serials(tonnes_text(unit.tonnes(serials))) == serials
