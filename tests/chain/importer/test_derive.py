"""Serial blocks derived from rows that write no serial range in one column (Cercarbono,
Isometric): exact kg, buffer shares, a retirement's kg, and every hostile row's reason."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chain import registries
from chain.importer import _derive
from chain.importer.layout_spec import Derived, RowValues

ISS = "iss_1EWT8R5FY1S0GFCY"


def _issuance(
    supplier: str, supplier_kg: str, buffer: str = "0", buffer_kg: str = "0", **more: str
) -> RowValues:
    row = {
        "id": ISS,
        "supplier_credit_batch_size_total.credits": supplier,
        "supplier_credit_batch_size_total.credit_kgs": supplier_kg,
        "buffer_pool_credit_batch_size_total.credits": buffer,
        "buffer_pool_credit_batch_size_total.credit_kgs": buffer_kg,
    }
    return RowValues({**row, **more})


def _retirement(ret: str, at: str, credits: str, kgs: str, **more: str) -> RowValues:
    row = {
        "id": ret,
        "issuance_id": ISS,
        "retired_at": at,
        "purposes": "corporate_targets",
        "credit_batch_size_total.credits": credits,
        "credit_batch_size_total.credit_kgs": kgs,
    }
    return RowValues({**row, **more})


def test_an_isometric_issuance_is_its_supplier_kg_then_its_buffer_kg() -> None:
    (parts,) = _derive.isometric_issuances([_issuance("125.632", "125632", "2.564", "2564")])
    assert parts == [
        Derived(f"{ISS}:1-125632"),
        Derived(f"{ISS}:125633-128196", buffer=True),
    ]
    assert isinstance(parts, list)
    serials = [registries.parse("isometric", p.text) for p in parts]
    assert [s.quantity for s in serials] == [125632, 2564]
    assert {s.namespace for s in serials} == {"ISO-1EWT8R5FY1S0GFCY"}


def test_an_isometric_issuance_without_buffer_is_one_block() -> None:
    assert _derive.isometric_issuances([_issuance("40.5", "40500")]) == [
        [Derived(f"{ISS}:1-40500")]
    ]


def test_kg_not_matching_credits_times_1000_is_rejected() -> None:
    (reason,) = _derive.isometric_issuances([_issuance("1.5", "1499")])
    assert reason == (
        "kg column 'supplier_credit_batch_size_total.credit_kgs' = 1499 does not match "
        "'supplier_credit_batch_size_total.credits' = 1.5 (credits x 1000 = 1500.0)"
    )


def test_credits_with_four_decimals_are_rejected() -> None:
    (reason,) = _derive.isometric_issuances([_issuance("1.0001", "1000")])
    assert isinstance(reason, str) and "at most three decimals" in reason


def test_a_malformed_issuance_id_is_rejected() -> None:
    (reason,) = _derive.isometric_issuances([_issuance("1", "1000", id="issue_12")])
    assert reason == "column 'id' is not an Isometric iss_ id: 'issue_12'"


def test_an_issuance_listed_twice_is_rejected_the_second_time() -> None:
    first, second = _derive.isometric_issuances([_issuance("1", "1000"), _issuance("1", "1000")])
    assert isinstance(first, list)
    assert second == f"issuance {ISS} is listed twice (also data row 1)"


def test_an_empty_issuance_is_rejected() -> None:
    (reason,) = _derive.isometric_issuances([_issuance("0", "0")])
    assert isinstance(reason, str) and "holds no kg" in reason


def test_retirements_take_the_next_kg_in_retirement_order_not_file_order() -> None:
    rows = [
        _retirement("ret_B", "2025-01-20T10:00:00Z", "10.5", "10500"),
        _retirement("ret_A", "2024-12-01T16:45:00Z", "1.001", "1001"),
        _retirement("ret_C", "2025-01-20T10:00:00Z", "0.001", "1"),
    ]
    assert _derive.isometric_retirements(rows) == [
        [Derived(f"{ISS}:1002-11501")],
        [Derived(f"{ISS}:1-1001")],
        [Derived(f"{ISS}:11502-11502")],
    ]


def test_a_rejected_retirement_takes_no_kg() -> None:
    rows = [
        _retirement("ret_A", "2024-12-01T16:45:00Z", "1", "999"),  # kg != credits x 1000
        _retirement("ret_B", "2025-01-20T10:00:00Z", "2", "2000"),
    ]
    reason, taken = _derive.isometric_retirements(rows)
    assert isinstance(reason, str) and "does not match" in reason
    assert taken == [Derived(f"{ISS}:1-2000")]


def test_an_unknown_retirement_purpose_is_rejected() -> None:
    (reason,) = _derive.isometric_retirements(
        [_retirement("ret_A", "2024-12-01", "1", "1000", purposes="corporate_targets;greenwash")]
    )
    assert reason == (
        "unknown retirement purpose 'greenwash' in column 'purposes' (known: corporate_targets, "
        "public_environmental_claims, regulatory_requirement, other)"
    )


def test_a_retirement_with_a_bad_date_is_rejected() -> None:
    (reason,) = _derive.isometric_retirements([_retirement("ret_A", "yesterday", "1", "1000")])
    assert reason == "retirement date column 'retired_at' is not a date: 'yesterday'"


def test_a_retirement_listed_twice_is_rejected_the_second_time() -> None:
    row = _retirement("ret_A", "2024-12-01", "1", "1000")
    first, second = _derive.isometric_retirements([row, row])
    assert first == [Derived(f"{ISS}:1-1000")]
    assert isinstance(second, str) and "listed twice" in second


@settings(max_examples=100, deadline=None, database=None)
@given(
    kgs=st.lists(st.integers(1, 10**9), min_size=1, max_size=8),
    order=st.randoms(use_true_random=False),
)
def test_retirement_kg_tile_the_issuance_whatever_the_file_order(
    kgs: list[int], order: object
) -> None:
    rows = [
        _retirement(
            f"ret_{i:04d}", f"2025-01-{1 + i % 28:02d}T00:00:00Z", f"{kg / 1000:.3f}", str(kg)
        )
        for i, kg in enumerate(kgs)
    ]
    shuffled = list(rows)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    ranges = []
    for got in (_derive.isometric_retirements(rows), _derive.isometric_retirements(shuffled)):
        spans = []
        for parts in got:
            assert isinstance(parts, list)
            (part,) = parts
            parsed = registries.parse("isometric", part.text)
            assert registries.format(parsed) == part.text
            spans.append((parsed.first, parsed.last))
        ranges.append(sorted(spans))
    assert ranges[0] == ranges[1]  # the same kg whatever the order rows are listed in
    cursor = 1
    for first, last in ranges[0]:
        assert first == cursor
        cursor = last + 1
    assert cursor - 1 == sum(kgs)


def test_a_cercarbono_issuance_is_units_1_to_its_quantity_and_flags_its_buffer() -> None:
    rows = [
        RowValues(
            {"serial": "CDC_1_1_1_321_14_1", "issued_quantity": "62,740", "is_buffer": "false"}
        ),
        RowValues(
            {"serial": "CDC_1_1_1_321_14_2", "issued_quantity": "12175", "is_buffer": "True"}
        ),
    ]
    assert _derive.cercarbono_issuances(rows) == [
        [Derived("CDC_1_1_1_321_14_1 1-62740")],
        [Derived("CDC_1_1_1_321_14_2 1-12175", buffer=True)],
    ]


def test_a_cercarbono_buffer_flag_that_is_not_true_or_false_is_rejected() -> None:
    (reason,) = _derive.cercarbono_issuances(
        [RowValues({"serial": "CDC_1_1_1_321_14_1", "issued_quantity": "5", "is_buffer": "maybe"})]
    )
    assert reason == "column 'is_buffer' is not true or false: 'maybe'"


def test_a_cercarbono_fractional_quantity_is_rejected() -> None:
    (reason,) = _derive.cercarbono_issuances(
        [RowValues({"serial": "CDC_1_1_1_321_14_1", "issued_quantity": "12.5", "is_buffer": "0"})]
    )
    assert reason == "column 'issued_quantity' is not a whole number: '12.5'"


def test_a_cercarbono_retirement_range_backwards_is_rejected() -> None:
    (reason,) = _derive.cercarbono_retirements(
        [RowValues({"serial": "CDC_1_1_1_321_14_1", "from": "10", "to": "9"})]
    )
    assert reason == "column 'from' = 10 is greater than column 'to' = 9"


@settings(max_examples=100, deadline=None, database=None)
@given(
    parts=st.lists(st.integers(0, 10**6), min_size=6, max_size=6),
    first=st.integers(1, 10**9),
    size=st.integers(0, 10**6),
)
def test_cercarbono_serials_round_trip(parts: list[int], first: int, size: int) -> None:
    serial = "CDC_" + "_".join(str(p) for p in parts)
    (derived,) = _derive.cercarbono_retirements(
        [RowValues({"serial": serial, "from": str(first), "to": str(first + size)})]
    )
    assert isinstance(derived, list)
    parsed = registries.parse("cercarbono", derived[0].text)
    assert registries.format(parsed) == derived[0].text
    assert (parsed.namespace, parsed.first, parsed.last) == (serial, first, first + size)
    assert parsed.project == str(parts[0])


def test_a_huge_kg_figure_is_rejected_not_converted() -> None:
    (reason,) = _derive.isometric_issuances([_issuance("1", "9" * 5000)])
    assert isinstance(reason, str) and "exceeds the largest accepted number" in reason
    (reason,) = _derive.cercarbono_retirements(
        [RowValues({"serial": "CDC_1_1_1_321_14_1", "from": "1", "to": "1" * 100_000})]
    )
    assert isinstance(reason, str) and "(100000 digits)" in reason
