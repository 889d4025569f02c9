"""J-Credit, Cercarbono, Isometric and Puro.earth serials: the documented examples read into
their parts and namespaces, and hostile serials are refused naming the part at fault."""

from __future__ import annotations

import pytest

from chain import registries
from chain.programmes import identity
from chain.registries import SerialFormatError

PURO = "PURO_PR_CORC100+_FI_577166_2020_055a3fbe-eabc-4535-b9cf-1028e7d18f89_1-100"


def test_the_puro_documentation_example() -> None:
    parsed = registries.parse("puro", PURO)
    assert parsed.program == "PURO"
    assert parsed.namespace == "PURO-055A3FBE-EABC-4535-B9CF-1028E7D18F89"
    assert (parsed.first, parsed.last, parsed.quantity) == (1, 100, 100)
    assert parsed.project == "577166"
    assert parsed.reference == "055a3fbe-eabc-4535-b9cf-1028e7d18f89"
    assert parsed.part("credit_type") == "CORC100+" and parsed.part("country") == "FI"
    assert registries.format(parsed) == PURO
    assert registries.parse("PURO", parsed.with_range(5, 9).text()).namespace == parsed.namespace


def test_a_puro_bundle_checks_volume_facility_and_vintage_against_its_row() -> None:
    row = {"Volume": "100", "Facility Code": "577166", "Vintage": "2020"}
    assert registries.parse("puro", PURO, row).quantity == 100
    with pytest.raises(SerialFormatError, match="vintage year 2020 in the serial disagrees"):
        registries.parse("puro", PURO, {**row, "Vintage": "2021"})
    with pytest.raises(SerialFormatError, match="disagrees with row column 'Facility Code'"):
        registries.parse("puro", PURO, {**row, "Facility Code": "577167"})


@pytest.mark.parametrize(
    ("serial", "reason"),
    [
        (PURO.replace("_FI_", "_fi_"), "country: expected a two-letter upper-case code"),
        (PURO.replace("577166", "57716"), "facility: expected 6 upper-case letters or digits"),
        (PURO.replace("055a3fbe-eabc", "055a3fbe-eabcd"), "issuance: expected a UUID"),
        (PURO.replace("CORC100+", "corc100+"), "credit type: expected upper-case letters"),
        (PURO.replace("_1-100", "_100-1"), "first serial 100 is greater than last serial 1"),
        (PURO.replace("_1-100", "_01-100"), "leading zeros are not allowed"),
        ("643002406555908611000000000001-643002406555908611000000000100", "expected 'PURO_'"),
    ],
    ids=["lowercase_country", "short_facility", "bad_uuid", "lowercase_type", "backwards",
         "leading_zero", "old_gsrn_form"],
)  # fmt: skip
def test_hostile_puro_serials_are_refused_by_part(serial: str, reason: str) -> None:
    with pytest.raises(SerialFormatError) as caught:
        registries.parse("puro", serial)
    assert reason in caught.value.reason


def test_a_jcredit_serial_reads_scheme_type_and_certification() -> None:
    parsed = registries.parse("jcredit", "JCL-ERL-1201-1-5000")
    assert (parsed.program, parsed.namespace, parsed.reference) == (
        "JCREDIT",
        "JCL-ERL-1201",
        "1201",
    )
    assert parsed.project is None  # the layout reads it from the row
    with pytest.raises(SerialFormatError, match="scheme: expected one of"):
        registries.parse("jcredit", "JX-ERL-1201-1-5000")
    with pytest.raises(SerialFormatError, match="credit type: expected one of"):
        registries.parse("jcredit", "JCL-XX-1201-1-5000")


def test_a_cercarbono_serial_is_its_issuance_serial_and_a_range() -> None:
    parsed = registries.parse("cercarbono", "CDC_1_1_1_321_14_1 1001-1250")
    assert (parsed.namespace, parsed.first, parsed.last) == ("CDC_1_1_1_321_14_1", 1001, 1250)
    assert parsed.project == "1"
    assert registries.canonical_project("CERCARBONO", "CDC-1") == "1"
    with pytest.raises(SerialFormatError, match="expected ' '"):
        registries.parse("cercarbono", "CDC_1_1_1_321_14_1")  # no unit range
    with pytest.raises(SerialFormatError, match="expected '_'"):
        registries.parse("cercarbono", "CDC_1_1_1_321_14 1-5")  # a part short


def test_an_isometric_serial_is_a_kg_range_of_an_issuance() -> None:
    parsed = registries.parse("isometric", "iss_1EWT8R5FY1S0GFCY:125633-128196")
    assert parsed.namespace == "ISO-1EWT8R5FY1S0GFCY" and parsed.quantity == 2564
    assert registries.canonical_project("ISOMETRIC", "prj_1CTWZQGKE1S0VAXA") == (
        "PRJ_1CTWZQGKE1S0VAXA"
    )
    with pytest.raises(SerialFormatError, match="issuance: expected upper-case"):
        registries.parse("isometric", "iss_1ewt8r5fy1s0gfcy:1-5")


def test_the_new_programmes_identity_policies() -> None:
    assert identity("CERCARBONO").numeric_project_ids  # CDC-<n>
    for code in ("JCREDIT", "ISOMETRIC", "PURO"):  # per-issuance namespaces, non-numeric ids
        assert identity(code).is_open
