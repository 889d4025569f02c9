"""Hand-made valid and invalid serials for every registry, with the reasons they are refused."""

from __future__ import annotations

import pytest

from chain import registries
from chain.errors import CarbonLedgerError
from chain.registries import MAX_SERIAL, CanonicalSerial, SerialFormatError, UnknownRegistry

VCS = "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
GS = "GS1-1-UG-GS11236-16-2024-30307-1-19149"
ACR = "ACR-FR-1129-2025-2917-30932 to 35143"
CAR = "CAR-1-US-1335-31-983-KS-2025-9205-1 to 5000"
ART = "FCPF-CI-130-2023-20-1 to 46404"
CDM = "RW-5-1463953-2-2-0-7014 - RW-5-1467609-2-2-0-7014"
CCER = "CCER-123-2024-45-1-20000"

VALID = [
    # SPEC section 4 examples.
    ("VCS", VCS, CanonicalSerial("VCS", "VCS-VCU", 941467007, 941467431)),
    ("GS", GS, CanonicalSerial("GS", "GS1-1-UG-GS11236-16-2024-30307", 1, 19149)),
    ("ACR", ACR, CanonicalSerial("ACR", "ACR-FR-1129-2025-2917", 30932, 35143)),
    ("CAR", CAR, CanonicalSerial("CAR", "CAR-1-US-1335-31-983-KS-2025-9205", 1, 5000)),
    # The other registries.
    ("ART", ART, CanonicalSerial("ART", "FCPF-CI-130-2023-20", 1, 46404)),
    (
        "art",
        "ART-GY-102-2016-9-1401 to 1408",
        CanonicalSerial("ART", "ART-GY-102-2016-9", 1401, 1408),
    ),
    ("CDM", CDM, CanonicalSerial("CDM", "RW", 1463953, 1467609)),
    (
        "cdm",
        "CN-7-5000-1-2-3-4321 - CN-7-5000-1-2-3-4321",
        CanonicalSerial("CDM", "CN", 5000, 5000),
    ),
    ("CCER", CCER, CanonicalSerial("CCER", "CCER-123-2024-45", 1, 20000)),
    # Variants: legacy ACR form, ROC units, single-tonne blocks, zero, the largest serial.
    ("acr", "ACR-US-192-2010-203-1-5000", CanonicalSerial("ACR", "ACR-US-192-2010-203", 1, 5000)),
    (
        "car",
        "CAR-ROC-US-1316-105-276-CA-2025-9388-1 to 1",
        CanonicalSerial("CAR", "CAR-ROC-US-1316-105-276-CA-2025-9388", 1, 1),
    ),
    ("ccer", "CCER-1-2024-1-0-0", CanonicalSerial("CCER", "CCER-1-2024-1", 0, 0)),
    (
        "ccer",
        f"CCER-1-2024-1-1-{MAX_SERIAL}",
        CanonicalSerial("CCER", "CCER-1-2024-1", 1, MAX_SERIAL),
    ),
]


@pytest.mark.parametrize(("key", "serial", "expected"), VALID)
def test_valid_serial_parses_to_its_canonical_range(
    key: str, serial: str, expected: CanonicalSerial
) -> None:
    parsed = registries.parse(key, serial)
    assert parsed.canonical == expected
    assert parsed.quantity == expected.last - expected.first + 1
    assert registries.format(parsed) == serial


@pytest.mark.parametrize(("key", "serial", "expected"), VALID)
def test_surrounding_whitespace_is_trimmed(
    key: str, serial: str, expected: CanonicalSerial
) -> None:
    assert registries.parse(key, f" \t{serial}\n ").canonical == expected
    assert registries.format(registries.parse(key, f"  {serial} ")) == serial


def _vcs(**changes: str) -> str:
    parts = {
        "block": "19385", "first": "941467007", "last": "941467431", "ref": "1507",
        "country": "ET", "scope": "14", "project": "1340", "start": "01012020",
        "end": "31122020", "flag": "1",
    }  # fmt: skip
    parts.update(changes)
    return (
        "{block}-{first}-{last}-VCS-VCU-{ref}-VER-{country}-{scope}-{project}-{start}-{end}-{flag}"
    ).format(**parts)


INVALID = [
    # (key, serial, words the reason must contain)
    ("vcs", "", ["empty"]),
    ("vcs", "   ", ["empty"]),
    ("vcs", _vcs(first="941467432", last="941467431"), ["first serial 941467432", "greater than last serial 941467431"]),
    ("vcs", _vcs(first="+941467007"), ["first serial", "signs are not allowed"]),
    ("vcs", _vcs(first="-941467007"), ["first serial", "signs are not allowed"]),
    ("vcs", _vcs(last="٩٤١٤٦٧٤٣١"), ["last serial", "only ASCII digits"]),
    ("vcs", _vcs(first="\uff10\uff11"), ["first serial", "only ASCII digits"]),  # fullwidth 01
    ("vcs", _vcs(first="0941467007"), ["first serial", "leading zeros"]),
    ("vcs", _vcs(last=str(MAX_SERIAL + 1)), ["last serial", "exceeds", str(MAX_SERIAL)]),
    ("vcs", _vcs(last="9" * 5000), ["last serial", "exceeds", "5000 digits"]),
    ("vcs", _vcs(block=str(2**64)), ["block", "exceeds"]),
    ("vcs", _vcs(start="31022020"), ["vintage start", "not a valid DDMMYYYY date"]),
    ("vcs", _vcs(start="0101202"), ["vintage start", "8 digits"]),
    ("vcs", _vcs(start="01012021", end="31122020"), ["vintage start 2021-01-01 is after vintage end 2020-12-31"]),
    ("vcs", _vcs(country="ETH"), ["country", "two-letter"]),
    ("vcs", _vcs(country="et"), ["country", "two-letter upper-case"]),
    ("vcs", _vcs(flag="2"), ["flag", "one of '0', '1'"]),
    ("vcs", VCS.replace("-VCS-VCU-", "-VCS-VCX-"), ["expected '-VCS-VCU-' after last serial"]),
    ("vcs", VCS.replace("941467431-", "941467431"), ["expected '-VCS-VCU-' after last serial", "found 'VCS-VCU"]),
    ("vcs", VCS + "-1", ["unexpected text after flag"]),
    ("vcs", VCS.replace("-1340-", "-1340 -"), ["expected '-' after project", "whitespace"]),
    ("vcs", VCS.replace("-14-", "-1#4-"), ["expected '-' after scope", "'#4"]),
    ("vcs", GS, ["block", "expected an unsigned integer", "'GS1-1"]),
    ("gs", GS.replace("-1-19149", "-19149-1"), ["first serial 19149 is greater than last serial 1"]),
    ("gs", GS.replace("GS11236", "11236"), ["expected '-GS' after country", "found '-11236"]),
    ("gs", GS.replace("-2024-", "-24-"), ["vintage", "four-digit year"]),
    ("gs", GS.replace("GS1-", "gs1-"), ["expected 'GS' at the start"]),
    ("acr", ACR.replace(" to ", "-to-"), ["last serial", "found 'to-35143'", "read as 'ACR-{country}-{project}-{vintage}-{batch}-{first}-{last}'"]),
    ("acr", ACR.replace(" to ", " TO "), ["expected ' to ' after first serial"]),
    ("acr", ACR.replace(" to ", " to  "), ["last serial", "whitespace"]),
    ("acr", ACR.replace("30932 to 35143", "35143 to 30932"), ["greater than"]),
    ("acr", ACR.replace("ACR-FR", "ACR-FRA"), ["country", "two-letter"]),
    ("car", CAR.replace("CAR-1-", "CAR-2-"), ["unit", "one of '1', 'ROC'"]),
    ("car", CAR.replace("-KS-", "-KS1-"), ["expected '-' after state"]),
    ("car", CAR.replace("-9205-", "-09205-"), ["batch", "leading zeros"]),
    ("art", ART.replace("FCPF", "VCS"), ["standard", "one of 'ART', 'FCPF'"]),
    ("cdm", CDM.replace("-7014 - ", "-7015 - "), ["project differs between the two ends", "'7015' vs '7014'"]),
    ("cdm", CDM.replace("RW-5-1467609", "UG-5-1467609"), ["party differs between the two ends"]),
    ("cdm", CDM.replace("-5-", "-4-", 1), ["unit type", "one of '5', '6', '7'"]),
    ("cdm", CDM.replace("-2-2-0-7014 -", "-2-1-0-7014 -").replace("-2-2-0-7014", "-2-1-0-7014"), ["applicable period 1 is before original period 2"]),
    ("cdm", CDM.replace("-2-2-0-", "-3-3-0-"), ["original period must be 1 or 2"]),
    ("cdm", CDM.replace(" - ", "-"), ["expected ' - ' after project"]),
    ("ccer", CCER.replace("-1-20000", "-20000-1"), ["greater than"]),
    ("ccer", "CCER-123-2024-45-1", ["expected '-' after first serial", "end of the serial"]),
]  # fmt: skip


@pytest.mark.parametrize(("key", "serial", "words"), INVALID)
def test_invalid_serial_is_rejected_with_a_reason(key: str, serial: str, words: list[str]) -> None:
    with pytest.raises(SerialFormatError) as caught:
        registries.parse(key, serial)
    error = caught.value
    assert isinstance(error, CarbonLedgerError)
    for word in words:
        assert word in error.reason, (word, error.reason)
    assert error.serial == serial and error.registry == key
    assert error.reason in str(error)


ROWS = {
    "vcs": (VCS, {"Quantity Issued": "425", "ID": "1340", "Vintage Start": "2020-01-01", "Vintage End": "2020-12-31"}),
    "gs": (GS, {"Quantity": "19149", "GSID": "11236", "Vintage": "2024"}),
    "acr": (ACR, {"Quantity of Credits": "4212", "Project ID": "ACR1129", "Vintage": "2025"}),
    "car": (CAR, {"Quantity of Offset Credits": "5000", "Project ID": "CAR1335", "Vintage": "2025"}),
    "art": (ART, {"Quantity of Credits": "46404", "Program ID": "ART130", "Vintage": "2023"}),
    "cdm": (CDM, {"Quantity": "3657", "Project ID": "7014", "Vintage": "2019"}),
    "ccer": (CCER, {"Quantity": "20000", "Project ID": "123", "Vintage": "2024"}),
}  # fmt: skip


@pytest.mark.parametrize("key", sorted(ROWS))
def test_matching_row_is_accepted(key: str) -> None:
    serial, row = ROWS[key]
    assert registries.parse(key, serial, row).quantity == int(row[next(iter(row))])


ROW_MISMATCHES = [
    ("vcs", {"Quantity Issued": "426"}, ["quantity column 'Quantity Issued' = 426", "holds 425"]),
    ("vcs", {"Quantity Issued": "4,25"}, ["'Quantity Issued' is not a whole number"]),
    ("vcs", {"Quantity Issued": "425.0"}, ["not a whole number"]),
    ("vcs", {"Quantity Issued": "-425"}, ["not a whole number"]),
    ("vcs", {"ID": "1341"}, ["project id '1340' in the serial disagrees with row column 'ID' = '1341'"]),
    ("vcs", {"Vintage Start": "2020-01-02"}, ["vintage start 2020-01-01", "'Vintage Start' = 2020-01-02"]),
    ("vcs", {"Vintage End": "2021-12-31"}, ["vintage end 2020-12-31", "'Vintage End'"]),
    ("vcs", {"Vintage End": "31/12/2020"}, ["'Vintage End' is not a date"]),
    ("gs", {"GSID": "11235"}, ["project id '11236'", "'GSID' = '11235'"]),
    ("gs", {"Vintage": "2023"}, ["vintage year 2024", "'Vintage' = 2023"]),
    ("gs", {"Vintage": "24"}, ["'Vintage' is not a year"]),
    ("acr", {"Project ID": "ACR1130"}, ["project id '1129'", "'Project ID' = '1130'"]),
    ("acr", {"Quantity of Credits": "4211"}, ["quantity", "4211"]),
    ("car", {"Project ID": "CAR1336"}, ["project id '1335'"]),
    ("car", {"Vintage": "2024"}, ["vintage year 2025"]),
    ("art", {"Program ID": "ART131"}, ["project id '130'", "'Program ID'"]),
    ("cdm", {"Vintage": "2011"}, ["original period 2", "belongs to commitment period 1"]),
    ("cdm", {"Project ID": "7015"}, ["project id '7014'"]),
    ("ccer", {"Vintage": "2023"}, ["vintage year 2024"]),
]  # fmt: skip


@pytest.mark.parametrize(("key", "change", "words"), ROW_MISMATCHES)
def test_row_that_disagrees_is_rejected(key: str, change: dict[str, str], words: list[str]) -> None:
    serial, row = ROWS[key]
    with pytest.raises(SerialFormatError) as caught:
        registries.parse(key, serial, {**row, **change})
    for word in words:
        assert word in caught.value.reason, (word, caught.value.reason)


@pytest.mark.parametrize("key", sorted(ROWS))
def test_row_without_the_checked_columns_is_rejected(key: str) -> None:
    serial, _ = ROWS[key]
    with pytest.raises(SerialFormatError, match="row has no quantity column"):
        registries.parse(key, serial, {"Something else": "1"})


def test_row_project_prefix_is_optional_and_thousands_separators_are_read() -> None:
    serial, row = ROWS["acr"]
    assert registries.parse("acr", serial, {**row, "Project ID": "1129"}).project == "1129"
    vcs_row = {**ROWS["vcs"][1], "Quantity Issued": "425"}
    big = _vcs(first="941467007", last="942921060")  # 1,454,054 tonnes
    assert registries.parse("vcs", big, {**vcs_row, "Quantity Issued": "1,454,054"})


def test_row_dates_in_us_form_are_read() -> None:
    row = {"Quantity Issued": "425", "ID": "1340", "Vintage Start": "1/1/2020 12:00:00 AM",
           "Vintage End": "12/31/2020"}  # fmt: skip
    assert registries.parse("vcs", VCS, row).quantity == 425


def test_cdm_in_the_gold_standard_export_skips_the_project_check_only() -> None:
    row = {"Quantity": "3657", "GSID": "4823", "Vintage": "2019"}
    assert registries.parse("gs", CDM, row).program == "CDM"
    with pytest.raises(SerialFormatError, match="belongs to commitment period 1"):
        registries.parse("gs", CDM, {**row, "Vintage": "2012"})
    with pytest.raises(SerialFormatError, match="quantity"):
        registries.parse("gs", CDM, {**row, "Quantity": "3658"})


def test_unknown_key_is_refused() -> None:
    with pytest.raises(UnknownRegistry, match="no serial adapter for 'verra'"):
        registries.parse("verra", VCS)
    with pytest.raises(UnknownRegistry):
        registries.parse("Vcs", VCS)


def test_non_string_serial_is_refused() -> None:
    with pytest.raises(SerialFormatError, match="must be a string"):
        registries.parse("vcs", 941467007)  # type: ignore[arg-type]


def test_programme_code_and_registry_key_select_adapters() -> None:
    assert [a.key for a in registries.adapters_for("gs")] == ["gs", "gs-cdm"]
    assert [a.key for a in registries.adapters_for("GS")] == ["gs"]
    assert [a.key for a in registries.adapters_for("CDM")] == ["cdm"]
    assert [a.key for a in registries.adapters_for("gs-cdm")] == ["gs-cdm"]
    assert set(registries.registries()) == {
        *("vcs", "gs", "acr", "car", "art", "cdm", "ccer"),
        *("jcredit", "cercarbono", "isometric", "puro"),
    }
    for key in registries.registries():
        assert registries.adapters_for(key.upper())[0].program == key.upper()


def test_every_adapter_documents_its_namespace_rationale() -> None:
    for adapter in registries.BUILTIN:
        assert adapter.rationale, adapter.key
