"""A registry is added by declaring it: a made-up DEMO registry, described as data only, is
usable through the same ``parse``/``format``/``compose`` the importer calls."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chain import registries
from chain.errors import ConfigurationError
from chain.registries import (
    ALPHA2,
    CODE,
    INTEGER,
    YEAR,
    CanonicalSerial,
    RegistryTable,
    RowColumns,
    SerialAdapter,
    SerialFormatError,
    SerialYear,
    UnknownRegistry,
    choice,
)

DEMO = SerialAdapter(
    key="demo",
    program="DEMO",
    templates=("DM/{country}/{project}/{vintage}/{lot}:{first}..{last}",),
    kinds={
        "country": ALPHA2,
        "project": CODE,
        "vintage": YEAR,
        "lot": choice("A", "B"),
        "first": INTEGER,
        "last": INTEGER,
    },
    namespace="DM-{project}-{lot}",
    project="project",
    reference="lot",
    vintage=SerialYear("vintage"),
    row=RowColumns(quantity=("Tonnes",), project=("Project",), vintage_year=("Year",)),
    rationale="made up for the test: numbers restart per project and lot",
)
SERIAL = "DM/KE/P42/2024/B:101..150"
ROW = {"Tonnes": "50", "Project": "P42", "Year": "2024"}


@pytest.fixture
def demo_registered() -> Iterator[SerialAdapter]:
    registries.register(DEMO)
    try:
        yield DEMO
    finally:
        registries.unregister("demo")


def test_demo_is_unknown_until_registered() -> None:
    with pytest.raises(UnknownRegistry):
        registries.parse("demo", SERIAL)


def test_a_declared_registry_parses_formats_and_checks_rows(
    demo_registered: SerialAdapter,
) -> None:
    parsed = registries.parse("demo", SERIAL, ROW)
    assert parsed.canonical == CanonicalSerial("DEMO", "DM-P42-B", 101, 150)
    assert (parsed.project, parsed.reference, parsed.quantity) == ("P42", "B", 50)
    assert registries.format(parsed) == SERIAL
    assert registries.parse("DEMO", SERIAL) == parsed
    assert "demo" in registries.registries()
    built = registries.compose("demo", {"country": "KE", "project": "P42", "vintage": 2024,
                                        "lot": "B", "first": 101, "last": 150})  # fmt: skip
    assert built == parsed
    assert registries.format(parsed.with_range(120, 120)) == "DM/KE/P42/2024/B:120..120"
    with pytest.raises(SerialFormatError, match="vintage year 2024"):
        registries.parse("demo", SERIAL, {**ROW, "Year": "2023"})
    with pytest.raises(SerialFormatError, match="lot: expected one of 'A', 'B', found 'C'"):
        registries.parse("demo", SERIAL.replace("/B:", "/C:"))
    with pytest.raises(SerialFormatError, match=r"expected '\.\.' after first serial"):
        registries.parse("demo", SERIAL.replace("..", "-"))


def test_registering_twice_needs_replace(demo_registered: SerialAdapter) -> None:
    with pytest.raises(ValueError, match="already registered"):
        registries.register(DEMO)
    registries.register(DEMO, replace=True)


def test_a_private_table_is_independent_of_the_default() -> None:
    table = RegistryTable([DEMO])
    assert table.parse("demo", SERIAL).namespace == "DM-P42-B"
    assert table.registries() == ("demo",)
    with pytest.raises(UnknownRegistry):
        table.parse("vcs", "1-1-1-VCS-VCU-1-VER-ET-1-1-01012020-31122020-0")
    with pytest.raises(UnknownRegistry):
        registries.parse("demo", SERIAL)


def test_one_registry_key_can_have_several_adapters_tried_in_order() -> None:
    other = SerialAdapter(
        key="demo-old",
        registry="demo",
        program="DEMO",
        templates=("OLD {project} {first}-{last}",),
        kinds={"project": CODE, "first": INTEGER, "last": INTEGER},
        namespace="DM-{project}-A",
        project="project",
    )
    table = RegistryTable([DEMO, other])
    assert table.parse("demo", "OLD P42 1-5").scheme == "demo-old"
    assert table.parse("demo", SERIAL).scheme == "demo"
    with pytest.raises(SerialFormatError) as caught:  # the reason of the form that got furthest
        table.parse("demo", "DM/KE/P42/2024/B:101..")
    assert "last serial" in caught.value.reason


BAD_DECLARATIONS = [
    ({"templates": ("DM-{project}-{first}-{last}-{nope}",)}, "no kind declared for {nope}"),
    ({"templates": ("DM-{project}{first}-{last}",)}, "need a separator"),
    ({"templates": ("DM-{project}-{first}1{last}",)}, "starts with a character"),
    ({"templates": ("DM-{project}-{first}",)}, "lacks ['last']"),
    ({"templates": ("DM-{project-{first}-{last}",)}, "malformed placeholder"),
    ({"templates": ()}, "at least one template"),
    ({"namespace": "DM-{missing}"}, "lacks ['missing']"),
    ({"key": "Demo"}, "lower-case"),
    ({"last": "first"}, "distinct"),
    ({"kinds": {"project": CODE, "first": YEAR, "last": INTEGER}}, "{first} must be an INTEGER"),
]


@pytest.mark.parametrize(("change", "message"), BAD_DECLARATIONS)
def test_a_bad_declaration_is_refused_when_it_is_made(
    change: dict[str, object], message: str
) -> None:
    declaration: dict[str, object] = {
        "key": "demo",
        "program": "DEMO",
        "templates": ("DM-{project}-{first}-{last}",),
        "kinds": {"project": CODE, "first": INTEGER, "last": INTEGER},
        "namespace": "DM-{project}",
    }
    declaration.update(change)
    with pytest.raises(ConfigurationError) as caught:
        SerialAdapter(**declaration)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_choice_values_must_be_tokens() -> None:
    with pytest.raises(ConfigurationError):
        choice("A-B")
    with pytest.raises(ConfigurationError):
        choice()
