"""A certificate shows exactly what was retired, whatever text the store holds: hostile values
written straight into the store's rows (the contract refuses them now; an older deployment may
hold them) are shown isolated, with their controls made visible, in each of the forms a reader
gets: the certificate page, the printable HTML and the PDF (its text read back by Poppler's
``pdftotext``, so what is checked is what WeasyPrint drew). The JSON keeps the exact string."""

from __future__ import annotations

import html
import json
import re

import pytest
from fastapi.testclient import TestClient

from tests.api.pages.support import (
    ARABIC,
    BENEFICIARIES,
    CONTROLS,
    EVERYWHERE,
    HEBREW,
    ORDINARY,
    HostileStore,
    pdf_text,
    pdf_words,
)

FORMS = ("page", "html", "pdf")
"""The certificate page (``/retirements/{id}``), the printable HTML and the PDF."""


def url(retirement_id: int) -> str:
    return f"/v1/retirements/{retirement_id}/certificate"


def fetch(client: TestClient, retirement_id: int, form: str, lang: str = "en") -> bytes:
    if form == "page":
        response = client.get(f"/retirements/{retirement_id}", params={"lang": lang})
    else:
        response = client.get(url(retirement_id), params={"format": form, "lang": lang})
    assert response.status_code == 200
    return response.content


def shown(client: TestClient, retirement_id: int, form: str, lang: str = "en") -> str:
    """What a reader of ``form`` reads: the HTML's text (tags dropped, entities decoded) or the
    PDF's text as drawn, whitespace collapsed."""
    body = fetch(client, retirement_id, form, lang)
    if form == "pdf":
        return " ".join(pdf_text(body).split())
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body.decode())).split())


@pytest.mark.parametrize("form", FORMS)
def test_right_to_left_override_does_not_turn_evil_into_live(
    hostile_client: TestClient, hostile: HostileStore, form: str
) -> None:
    text = shown(hostile_client, hostile.retirements["override"], form)
    assert re.search(r"Beneficiary U\+202E ?evil", text), text[:600]
    assert not re.search(r"\blive\b", text)
    assert "\u202e" not in text
    if form != "pdf":
        raw = fetch(hostile_client, hostile.retirements["override"], form).decode()
        assert "\u202e" not in raw  # nothing left for a browser to obey
        assert '<span class="escape" dir="ltr" title="U+202E RIGHT-TO-LEFT OVERRIDE">' in raw


@pytest.mark.parametrize("form", FORMS)
def test_nul_bel_and_newline_show_as_visible_escapes(
    hostile_client: TestClient, hostile: HostileStore, form: str
) -> None:
    assert CONTROLS == "NUL\0BEL\x07LF\nend"
    text = shown(hostile_client, hostile.retirements["controls"], form)
    assert re.search(r"Beneficiary NUL ?U\+0000 ?BEL ?U\+0007 ?LF ?U\+000A ?end", text), text[:600]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", r"Beneficiary not recorded by the registry"), ("zh", r"受益方 ?登记处未记录")],
)
def test_blank_beneficiary_shows_not_recorded_by_the_registry(
    hostile_client: TestClient, hostile: HostileStore, form: str, lang: str, expected: str
) -> None:
    assert BENEFICIARIES["blank"] == ""
    text = shown(hostile_client, hostile.retirements["blank"], form, lang)
    assert re.search(expected, text), text[:600]


@pytest.mark.parametrize("form", FORMS)
def test_arabic_and_hebrew_names_are_isolated(
    hostile_client: TestClient, hostile: HostileStore, form: str
) -> None:
    """An Arabic beneficiary and a Hebrew project name are each their own right-to-left
    isolate: the project id before the name stays before it, on the left."""
    retirement = hostile.retirements["arabic"]
    project_id = hostile.project_ids["arabic"]
    body = fetch(hostile_client, retirement, form)
    if form != "pdf":
        page = body.decode()
        assert f'<bdi class="chain-text" dir="rtl">{ARABIC}</bdi>' in page
        assert (
            f'<bdi class="chain-text" dir="ltr">{project_id}</bdi> · '
            f'<bdi class="chain-text" dir="rtl">{HEBREW}</bdi>'
        ) in page
        return
    lines = pdf_text(body).splitlines()
    (beneficiary,) = [line for line in lines if line.startswith("Beneficiary")]
    assert beneficiary.index("شركة") < beneficiary.index("للطاقة")  # read in logical order
    (project,) = [line for line in lines if re.match(rf"Project +{project_id} ", line)]
    assert HEBREW in project and project.index(project_id) < project.index(HEBREW)
    words = pdf_words(body)
    (number,) = [w for w in words if w.text == project_id]
    hebrew = [w for w in words if w.y == number.y and re.search("[\u0590-\u05ff]", w.text)]
    assert len(hebrew) == 2
    assert number.x < min(w.x for w in hebrew)  # drawn left to right: id, then the name


@pytest.mark.parametrize("form", FORMS)
def test_chinese_and_accented_latin_are_shown_unchanged(
    hostile_client: TestClient, hostile: HostileStore, form: str
) -> None:
    text = shown(hostile_client, hostile.retirements["ordinary"], form)
    assert f"Beneficiary {ORDINARY} Purpose" in text, text[:600]
    assert "U+" not in text


@pytest.mark.parametrize("form", FORMS)
def test_zero_width_space_and_no_break_space_at_the_edges_are_shown(
    hostile_client: TestClient, hostile: HostileStore, form: str
) -> None:
    """``\\u200bAcme\\u00a0`` would look exactly like ``Acme``."""
    text = shown(hostile_client, hostile.retirements["edges"], form)
    assert re.search(r"Beneficiary U\+200B ?Acme ?U\+00A0 Purpose", text), text[:600]


@pytest.mark.parametrize("form", FORMS)
def test_forbidden_characters_in_every_field_are_all_shown(
    hostile_client: TestClient, hostile: HostileStore, form: str
) -> None:
    """Every text field of the certificate (beneficiary, project name, country, methodology,
    type, registry reference, namespace, jurisdiction, note) goes through the display rule."""
    retirement = hostile.retirements["everywhere"]
    body = fetch(hostile_client, retirement, form)
    raw = pdf_text(body) if form == "pdf" else body.decode()
    text = shown(hostile_client, retirement, form)
    for char in EVERYWHERE.replace("x", ""):
        if char != "\n":  # a page has line breaks of its own
            assert char not in raw, f"U+{ord(char):04X}"
        assert text.count(f"U+{ord(char):04X}") == 9, f"U+{ord(char):04X}"  # once a field


def test_hostile_text_round_trips_exactly_through_json(
    hostile_client: TestClient, hostile: HostileStore
) -> None:
    """The JSON reads and the certificate as JSON keep the exact on-chain string: JSON escapes
    what needs escaping itself, and a JSON parser gets every character back."""
    for case, beneficiary in BENEFICIARIES.items():
        retirement = hostile.retirements[case]
        for path in (f"/v1/retirements/{retirement}", f"{url(retirement)}?format=json"):
            response = hostile_client.get(path)
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
            assert json.loads(response.content)["beneficiary"] == beneficiary, (case, path)
            assert b"\x00" not in response.content and b"\n" not in response.content
    cert = hostile_client.get(f"{url(hostile.retirements['everywhere'])}?format=json")
    body = cert.json()
    for field in (
        "beneficiary",
        "note",
        "jurisdiction",
        "project_name",
        "country",
        "methodology",
        "project_type",
        "registry_reference",
    ):
        assert body[field] == EVERYWHERE, field
    assert body["namespace"] == f"NS{EVERYWHERE}"
    assert b"\\u0007\\n" in cert.content  # escaped by JSON itself, not by the display rule
