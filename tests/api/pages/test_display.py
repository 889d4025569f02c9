"""The display rule (``api.pages.display``) on every page that shows chain text: hostile values
written straight into the store's rows are shown isolated, with their controls made visible,
on batch, batches, serial, account and audit pages and in the dashboard's charts; and the
audit trail reads well for every kind of event, the programme policy events included. The
certificate's own forms are in ``tests/api/certificates/test_display.py``."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from markupsafe import Markup
from sqlalchemy.engine import Engine

from api.pages import charts, views
from api.pages.display import chain_text, direction, plain_text
from api.pages.i18n import Translator
from api.pages.render import env
from api.reads.events import event
from api.reads.queries import totals
from chain.store import schema as s
from tests.api.pages.support import (
    ARABIC,
    EVERYWHERE,
    HEBREW,
    HostileStore,
)

VCS_SERIAL = "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
"""The serials of batch 1, whose retirement is the "override" case."""
OVERRIDE_SHOWN = re.compile(
    r'<bdi class="chain-text" dir="ltr"><span class="escape" dir="ltr" '
    r'title="U\+202E RIGHT-TO-LEFT OVERRIDE">U\+202E</span>evil</bdi>'
)


def text(page: str) -> str:
    """The page's text as read: inline elements joined to their neighbours, blocks apart."""
    inline = re.sub(r"</?(?:bdi|span|a)\b[^>]*>", "", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def holder_of(engine: Engine, retirement_id: int) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                sa.select(s.retirements.c.holder).where(s.retirements.c.id == retirement_id)
            ).scalar_one()
        )


# ------------------------------------------------------------------ the rule itself


def test_chain_text_is_an_isolate_with_its_direction() -> None:
    assert chain_text("Acme") == '<bdi class="chain-text" dir="ltr">Acme</bdi>'
    assert chain_text(ARABIC) == f'<bdi class="chain-text" dir="rtl">{ARABIC}</bdi>'
    assert chain_text("<b>&") == '<bdi class="chain-text" dir="ltr">&lt;b&gt;&amp;</bdi>'


def test_direction_is_that_of_the_first_strong_character_shown() -> None:
    assert direction("1340 " + HEBREW) == "rtl"  # digits are not strong
    assert direction(HEBREW + " Ltd") == "rtl"
    assert direction("Ltd " + HEBREW) == "ltr"
    assert direction("\u200f" + "abc") == "ltr"  # an escaped mark decides nothing
    assert direction("2024") == "ltr"


def test_blank_text_is_shown_as_a_word_never_as_nothing() -> None:
    assert chain_text("") == '<span class="muted">\u2013</span>'
    assert chain_text(None, "not recorded") == '<span class="muted">not recorded</span>'


def test_a_lone_surrogate_is_shown_not_a_server_error() -> None:
    """Text that is not even valid Unicode (it cannot reach a store through the chain) still
    renders: the page's UTF-8 encoder never meets the surrogate."""
    shown = chain_text("a\ud800b")
    assert "\ud800" not in shown and ">U+D800<" in shown
    shown.encode("utf-8")


def test_plain_text_escapes_and_isolates() -> None:
    assert plain_text("\u202eevil") == "\u2068<U+202E>evil\u2069"
    assert plain_text("") == "\u2013"
    assert plain_text("abcdef", fit=lambda x: x[:3]) == "\u2068abc\u2069"


def test_a_message_keeps_chain_text_whole_and_escapes_the_rest() -> None:
    t = Translator("en")
    message = t("event.detail.detokenised", quantity="<5>", reference=chain_text("\u202eR-1"))
    assert isinstance(message, Markup)
    assert message.startswith("&lt;5&gt; t returned to the registry (reference <bdi ")
    assert ">U+202E</span>R-1</bdi>)" in message
    assert t("event.detail.detokenised", quantity="5", reference="x") == (
        "5 t returned to the registry (reference x)"
    )


def test_a_chart_label_shows_escapes_isolated() -> None:
    svg = charts.stacked_bars(
        [("\u202eevil\x07", totals(bridged=5, retired=2, detokenised=0, cancelled=0))],
        "by country",
        Translator("en"),
        "en",
    )
    assert "\u202e" not in svg and "\x07" not in svg
    assert "\u2068&lt;U+202E&gt;evil&lt;U+0007&gt;\u2069" in svg  # label, title and tooltips


# ------------------------------------------------------------------ hostile text on the pages


def test_right_to_left_override_is_shown_not_obeyed_on_every_page(
    hostile_client: TestClient, hostile: HostileStore
) -> None:
    retirement, batch = hostile.retirements["override"], hostile.batches["override"]
    holder = holder_of(hostile.engine, retirement)
    for path in (
        f"/retirements/{retirement}",
        f"/batches/{batch}",  # its retirements
        f"/audit?batch={batch}",  # the CreditsRetired event
        f"/serials?q={VCS_SERIAL}",  # the retirements and history of the serials
        f"/accounts/{holder}?retirements_before={retirement + 1}",
    ):
        page = hostile_client.get(path)
        assert page.status_code == 200, path
        assert "\u202e" not in page.text, path
        assert OVERRIDE_SHOWN.search(page.text), path
        assert not re.search(r"\blive\b", text(page.text)), path


@pytest.mark.parametrize(
    ("lang", "words"), [("en", "not recorded by the registry"), ("zh", "登记处未记录")]
)
def test_blank_beneficiary_shows_not_recorded_by_the_registry_on_every_page(
    hostile_client: TestClient, hostile: HostileStore, lang: str, words: str
) -> None:
    retirement, batch = hostile.retirements["blank"], hostile.batches["blank"]
    batch_page = hostile_client.get(f"/batches/{batch}?lang={lang}").text
    row = re.search(rf'<a href="/retirements/{retirement}">.*?</tr>', batch_page, re.S)
    assert row and f'<td><span class="muted">{words}</span></td>' in row[0]
    audit = hostile_client.get(f"/audit?batch={batch}&kind=CreditsRetired&lang={lang}").text
    assert f'<span class="muted">{words}</span>' in audit


def test_arabic_and_hebrew_names_are_isolated_on_every_page(
    hostile_client: TestClient, hostile: HostileStore
) -> None:
    batch, project_id = hostile.batches["arabic"], hostile.project_ids["arabic"]
    hebrew = f'<bdi class="chain-text" dir="rtl">{HEBREW}</bdi>'
    arabic = f'<bdi class="chain-text" dir="rtl">{ARABIC}</bdi>'
    id_then_name = f'<bdi class="chain-text" dir="ltr">{project_id}</bdi> · {hebrew}'
    batch_page = hostile_client.get(f"/batches/{batch}").text
    assert f'<p class="lead">{hebrew} · ' in batch_page
    assert id_then_name in batch_page
    assert arabic in batch_page  # its retirements
    assert id_then_name in hostile_client.get(f"/batches?after={batch - 1}").text
    assert arabic in hostile_client.get(f"/audit?batch={batch}&kind=CreditsRetired").text


def test_every_text_field_of_a_batch_goes_through_the_rule(
    hostile_client: TestClient, hostile: HostileStore
) -> None:
    """Project name, country, methodology, type, namespace and registry reference of a batch,
    and the beneficiary, jurisdiction and note of its retirement, all hold every kind of
    forbidden character: no page shows one of them raw."""
    batch = hostile.batches["everywhere"]
    shown = {
        # name twice, country, methodology, type, namespace, reference; the beneficiary in
        # the retirements and in the history
        f"/batches/{batch}": 9,
        f"/batches?after={batch - 1}": 2,  # name, country
        f"/audit?batch={batch}&kind=CreditsRetired": 1,  # the beneficiary
    }
    for path, fields in shown.items():
        page = hostile_client.get(path).text
        for char in EVERYWHERE.replace("x", "").replace("\n", ""):
            assert char not in page, (path, f"U+{ord(char):04X}")
        assert text(page).count("U+000A") == fields, path  # each field's line feed, shown


# ------------------------------------------------------------------ the audit trail's events


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            [
                "VCS: bridges only into namespaces its admin allows; project ids are decimal numbers",
                "GS: bridges into any namespace; project ids are decimal numbers",
            ],
        ),
        ("zh", ["VCS：仅可上链至管理员许可的命名空间；项目编号须为十进制数字"]),  # noqa: RUF001
    ],
)
def test_programme_policy_events_show_the_policy(
    client: TestClient, lang: str, expected: list[str]
) -> None:
    page = text(client.get(f"/audit?kind=ProgramPolicyUpdated&lang={lang}").text)
    for line in expected:
        assert line in page


def test_namespace_events_show_programme_and_namespace(client: TestClient) -> None:
    page = text(client.get("/audit?kind=NamespaceUpdated&before=14").text)
    assert "Namespace allowed or withdrawn" in page
    assert "VCS: namespace VCS-VCU allowed" in page
    assert "CDM: namespace AD allowed" in page
    zh = text(client.get("/audit?kind=NamespaceUpdated&before=14&lang=zh").text)
    assert "VCS：许可命名空间 VCS-VCU" in zh  # noqa: RUF001


def test_programme_registrations_show_the_code(client: TestClient) -> None:
    page = text(client.get("/audit?kind=ProgramRegistered").text)
    assert "VCS, programme #1" in page and "CDM, programme #3" in page


def test_every_kind_of_event_is_a_filter_and_renders(client: TestClient, engine: Engine) -> None:
    """Each kind the contract emits is offered by the audit filter; one event of each kind the
    store holds renders its detail, with the programme's code as the audit page shows it and
    without it as the serial page does (its history never joins programmes)."""
    page = client.get("/audit").text
    kinds = re.findall(r'<option value="(\w+)"', page)
    assert {"ProgramPolicyUpdated", "NamespaceUpdated"} <= set(kinds)
    detail = env.get_template("macros.html").module.event_detail  # type: ignore[attr-defined]
    e = s.events
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(e).where(e.c.seq.in_(sa.select(sa.func.min(e.c.seq)).group_by(e.c.name)))
        ).all()
        for row in rows:
            assert client.get(f"/audit?kind={row.name}").status_code == 200
            for codes in ({1: "VCS", 2: "GS", 3: "CDM"}, None):
                shown = str(detail(Translator("en"), views.shown(event(row), codes)))
                assert "{" not in shown, (row.name, shown)
                if row.name in views.PROGRAM_EVENTS:
                    program = f"#{row.fields['programId']}" if codes is None else "VCS"
                    assert program in text(shown), (row.name, shown)
