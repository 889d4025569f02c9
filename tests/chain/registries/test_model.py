"""The canonical serial's own invariants, and what ParsedSerial offers an importer."""

from __future__ import annotations

import dataclasses

import pytest

from chain import registries
from chain.registries import MAX_SERIAL, CanonicalSerial, ParsedSerial, SerialFormatError

VCS = "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"


def test_quantity_is_inclusive() -> None:
    assert CanonicalSerial("VCS", "VCS-VCU", 5, 5).quantity == 1
    assert CanonicalSerial("VCS", "VCS-VCU", 0, MAX_SERIAL).quantity == MAX_SERIAL + 1


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (2, 1, "greater than"),
        (-1, 1, "first serial must be an integer"),
        (0, MAX_SERIAL + 1, "last serial must be an integer"),
        (True, 1, "first serial must be an integer"),
        ("1", 2, "first serial must be an integer"),
    ],
)
def test_canonical_serial_refuses_impossible_ranges(
    first: object, last: object, message: str
) -> None:
    with pytest.raises(SerialFormatError, match=message):
        CanonicalSerial("VCS", "VCS-VCU", first, last)  # type: ignore[arg-type]


def test_canonical_serial_needs_program_and_namespace() -> None:
    with pytest.raises(SerialFormatError):
        CanonicalSerial("", "VCS-VCU", 1, 2)
    with pytest.raises(SerialFormatError):
        CanonicalSerial("VCS", "", 1, 2)


def test_canonical_serial_is_frozen_and_hashable() -> None:
    serial = CanonicalSerial("VCS", "VCS-VCU", 1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        serial.first = 0  # type: ignore[misc]
    assert {serial, CanonicalSerial("VCS", "VCS-VCU", 1, 2)} == {serial}
    assert serial.contains(2) and not serial.contains(3)


def test_parsed_serial_is_a_canonical_serial_with_the_registry_parts() -> None:
    parsed = registries.parse("vcs", VCS)
    assert isinstance(parsed, ParsedSerial) and isinstance(parsed, CanonicalSerial)
    assert parsed.canonical == CanonicalSerial("VCS", "VCS-VCU", 941467007, 941467431)
    assert type(parsed.canonical) is CanonicalSerial
    assert parsed.part("country") == "ET" and parsed.components["vintage_end"] == "31122020"
    assert (parsed.project, parsed.reference, parsed.text()) == ("1340", "19385", VCS)
    assert hash(parsed) == hash(registries.parse("vcs", f" {VCS} "))
    assert "adapter" not in repr(parsed)


def test_with_range_renders_the_part_of_the_block() -> None:
    parsed = registries.parse("vcs", VCS)
    part = parsed.with_range(941467100, 941467199)
    assert registries.format(part) == VCS.replace("941467007-941467431", "941467100-941467199")
    assert part.quantity == 100 and part.namespace == parsed.namespace
    with pytest.raises(SerialFormatError, match="greater than"):
        parsed.with_range(941467199, 941467100)


def test_compose_refuses_missing_or_ambiguous_parts() -> None:
    parts = registries.parse("ccer", "CCER-1-2024-2-3-4").components
    with pytest.raises(SerialFormatError, match="missing parts"):
        registries.compose("ccer", {k: v for k, v in parts.items() if k != "vintage"})
    with pytest.raises(SerialFormatError):
        registries.compose("ccer", {**parts, "project": "1-2024"})
    with pytest.raises(SerialFormatError, match="leading zeros"):
        registries.compose("ccer", {**parts, "first": "03"})


def test_an_adapter_parses_on_its_own_and_errors_name_the_key_used() -> None:
    adapter = registries.DEFAULT.adapter("vcs")
    row = {"Quantity Issued": "425", "ID": "1340", "Vintage Start": "2020-01-01",
           "Vintage End": "2020-12-31"}  # fmt: skip
    assert adapter.parse(f" {VCS} ", row) == registries.parse("vcs", VCS)
    with pytest.raises(SerialFormatError) as caught:
        adapter.parse(VCS, {**row, "ID": "1"})
    assert caught.value.registry == "VCS"
    with pytest.raises(SerialFormatError) as caught:
        registries.parse("vcs", VCS, {**row, "ID": "1"})
    assert (caught.value.registry, caught.value.serial) == ("vcs", VCS)
    with pytest.raises(SerialFormatError, match="empty"):
        adapter.parse(" ")
    with pytest.raises(SerialFormatError, match="must be a string"):
        adapter.parse(None)  # type: ignore[arg-type]
