"""The registry serial of a batch on the ledger and of its sub-ranges: an exact round trip per
registry, the whole batch gives back its own serial, and stored text that is not this batch's
serial (a block id, arbitrary text, another range's or project's serial) gives ``None``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain import registries
from chain.registries import LedgerBatch, ParsedSerial, SerialAdapter, SerialFormatError
from tests.chain.registries.support import SAMPLE_FILES, rows, valid_parts

ADAPTERS = [pytest.param(a, id=a.key) for a in registries.BUILTIN]
PROPERTY = settings(max_examples=150, deadline=None, database=None)
VCS = "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
GS = "GS1-1-UG-GS11236-16-2024-30307-1-19149"

# Registries whose namespace holds every part of the serial but the numbers.
FROM_NAMESPACE = {"gs", "acr", "car", "art", "ccer", "jcredit", "cercarbono", "isometric"}


def _batch(parsed: ParsedSerial, reference: str) -> LedgerBatch:
    return LedgerBatch(
        parsed.program, parsed.namespace, parsed.first, parsed.last, reference, parsed.project
    )


def _identity(parsed: ParsedSerial) -> tuple[object, ...]:
    skip = (parsed.adapter.first, parsed.adapter.last)
    parts = tuple((k, v) for k, v in parsed.fields if k not in skip)
    return parsed.program, parsed.namespace, parsed.project, parts


@pytest.mark.parametrize("adapter", ADAPTERS)
@PROPERTY
@given(data=st.data())
def test_a_sub_range_formats_and_parses_back_to_the_batch_with_its_numbers(
    adapter: SerialAdapter, data: st.DataObject
) -> None:
    whole = registries.compose(adapter.key, data.draw(valid_parts(adapter), label="parts"))
    assert registries.range_serial(_batch(whole, whole.text()), whole.first, whole.last) == (
        whole.text()
    )
    # The batch may be part of the block its reference names (carried to a successor ledger).
    low = data.draw(st.integers(whole.first, whole.last), label="batch first")
    high = data.draw(st.integers(low, whole.last), label="batch last")
    batch = LedgerBatch(whole.program, whole.namespace, low, high, whole.text(), whole.project)
    first = data.draw(st.integers(low, high), label="first")
    last = data.draw(st.integers(first, high), label="last")
    text = registries.range_serial(batch, first, last)
    assert text is not None
    back = registries.parse(adapter.program, text)
    assert (back.first, back.last) == (first, last)
    assert _identity(back) == _identity(whole)  # namespace, project, vintage, every other part
    assert text == whole.with_range(first, last).text()


@pytest.mark.parametrize("adapter", ADAPTERS)
@PROPERTY
@given(data=st.data())
def test_a_bare_block_id_reference_still_formats_where_the_namespace_holds_the_serial(
    adapter: SerialAdapter, data: st.DataObject
) -> None:
    whole = registries.compose(adapter.key, data.draw(valid_parts(adapter), label="parts"))
    batch = _batch(whole, whole.reference or "")
    text = registries.range_serial(batch, whole.first, whole.last)
    if adapter.key in FROM_NAMESPACE:
        assert text is not None
        back = registries.parse(adapter.program, text)
        assert _identity(back) == _identity(whole)
        assert (back.first, back.last) == (whole.first, whole.last)
    else:  # VCS-VCU, a CDM party code and PURO-<issuance> do not hold the other parts
        assert text is None


@pytest.mark.parametrize(("key", "path", "column"), SAMPLE_FILES)
def test_every_exported_block_formats_to_its_own_serial(key: str, path: str, column: str) -> None:
    for row in rows(path):
        serial = row[column].strip()
        try:
            parsed = registries.parse(key, serial)
        except SerialFormatError:
            continue  # rows without a serial are the importer's concern
        assert registries.range_serial(_batch(parsed, serial), parsed.first, parsed.last) == serial


def test_the_verra_example_sub_range() -> None:
    batch = LedgerBatch("VCS", "VCS-VCU", 941467007, 941467431, VCS, "1340")
    assert registries.range_serial(batch, 941467107, 941467156) == (
        "19385-941467107-941467156-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
    )


def test_a_reference_whose_block_holds_the_batch_gives_the_batchs_own_numbers() -> None:
    # A batch carried to a successor ledger keeps the reference of the batch it was part of.
    batch = LedgerBatch("VCS", "VCS-VCU", 941467100, 941467199, VCS, "1340")
    whole = registries.batch_serial(batch)
    assert whole is not None and (whole.first, whole.last) == (941467100, 941467199)
    assert registries.range_serial(batch, 941467100, 941467199) == VCS.replace(
        "941467007-941467431", "941467100-941467199"
    )


def test_a_gold_standard_sub_block_from_its_namespace() -> None:
    batch = LedgerBatch("GS", "GS1-1-UG-GS11236-16-2024-30307", 1, 19149, "30307", "11236")
    assert registries.range_serial(batch, 100, 199) == "GS1-1-UG-GS11236-16-2024-30307-100-199"
    assert registries.range_serial(batch, 1, 19149) == GS


@pytest.mark.parametrize(
    "reference",
    [
        "",
        "19385",
        "not a serial at all",
        "<script>alert(1)</script>",
        "\u202e19385",
        "x" * 128,
        VCS.replace("941467007", "941467008"),  # a serial of serials that miss the first
        VCS.replace("941467431", "941467430"),  # a serial of serials that miss the last
        VCS.replace("-941467007-941467431-", "-1-5-"),  # a serial of other serials
        VCS.replace("-1340-", "-1341-"),  # a serial of another project
        GS,  # a serial of another programme
    ],
)
def test_a_reference_that_is_not_this_batchs_serial_gives_none(reference: str) -> None:
    batch = LedgerBatch("VCS", "VCS-VCU", 941467007, 941467431, reference, "1340")
    assert registries.batch_serial(batch) is None
    assert registries.range_serial(batch, 941467107, 941467156) is None


def test_a_namespace_that_disagrees_with_its_project_gives_none() -> None:
    batch = LedgerBatch("GS", "GS1-1-UG-GS11236-16-2024-30307", 1, 19149, "30307", "999")
    assert registries.batch_serial(batch) is None


@pytest.mark.parametrize(
    "batch",
    [
        LedgerBatch("XYZ", "NS", 1, 10, "anything"),  # a programme without an adapter
        LedgerBatch("GS", "GS1-1-UG-GS11236-16-2024-30307x", 1, 10, ""),  # not a GS namespace
        LedgerBatch("ACR", "ACR-fr-1129-2025-2917", 1, 10, ""),  # lower-case country
    ],
)
def test_a_batch_no_registry_describes_gives_none(batch: LedgerBatch) -> None:
    assert registries.range_serial(batch, 1, 10) is None


def test_a_range_outside_the_batch_is_refused() -> None:
    batch = LedgerBatch("GS", "GS1-1-UG-GS11236-16-2024-30307", 1, 19149, "30307")
    with pytest.raises(SerialFormatError, match="not within the batch"):
        registries.range_serial(batch, 19149, 19150)
