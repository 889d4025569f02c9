"""Every page over the demo's store (real Verra and Gold Standard data), in English and Chinese,
without a browser: what each shows is checked against the store, and bad input gets a 4xx
page, never a 5xx."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.pages import accounts as accounts_page
from chain.store import schema as s
from tests.api.pages.support import DemoStore, copied_store, pages_app

VCS_SERIAL = "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
CDM_SERIAL = "RW-5-1463953-2-2-0-7014 - RW-5-1467609-2-2-0-7014"
DASH = "\N{EN DASH}"  # between the first and last serial of a range
ACR_SERIAL = "ACR-FR-1129-2025-2917-30932 to 35143"  # valid, but no ACR credits are bridged


def lang_of(page: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', page)
    assert match, "every page declares its language"
    return match[1]


def text(page: str) -> str:
    """The page's text, tags stripped and entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def in_lang(path: str, lang: str) -> str:
    """``path`` with ``lang=`` added (httpx's ``params=`` would replace its query instead)."""
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


def first(engine: Engine, query: sa.Select[tuple[int]]) -> int:
    with engine.connect() as conn:
        value = conn.execute(query).scalar()
    assert value is not None
    return int(value)


@pytest.fixture(scope="module")
def ids(engine: Engine) -> dict[str, object]:
    """Rows the tests look at: a VCS and a GS batch, a buyer, retirements with Chinese and Latin
    beneficiaries."""
    b, r, p = s.batches, s.retirements, s.programs
    with engine.connect() as conn:
        chinese = conn.execute(
            sa.select(r.c.id, r.c.beneficiary).where(r.c.beneficiary.like("江苏亨通%"))
        ).one()
        buyer = conn.execute(
            sa.select(r.c.holder, r.c.id).where(r.c.mirrored.is_(False)).order_by(r.c.id)
        ).first()
        gs = conn.execute(
            sa.select(b.c.id, b.c.namespace, b.c.first_serial, b.c.last_serial)
            .join(p, p.c.id == b.c.program_id)
            .where(p.c.code == "GS")
            .order_by(b.c.id)
        ).first()
    assert buyer is not None and gs is not None
    return {
        "chinese_retirement": chinese.id,
        "chinese_name": chinese.beneficiary,
        "buyer": buyer.holder,
        "buyer_retirement": buyer.id,
        "gs_batch": gs.id,
        "gs_serial": f"{gs.namespace}-{gs.first_serial}-{gs.last_serial}",
    }


PAGES = [
    ("/", "Dashboard", "总览"),
    ("/batches", "Batches", "批次"),
    ("/batches/1", "Batch 1", "批次 1"),
    ("/serials", "Serial lookup", "序列号查询"),
    (f"/serials?q={VCS_SERIAL}", "Serial lookup", "序列号查询"),
    ("/audit", "Audit trail", "审计轨迹"),
    ("/retirements/1", "Retirement certificate No. 1", "碳信用注销证明 第 1 号"),
]


@pytest.mark.parametrize(("path", "english", "chinese"), PAGES)
def test_every_page_renders_in_both_languages(
    client: TestClient, path: str, english: str, chinese: str
) -> None:
    en = client.get(path, headers={"Accept-Language": "en"})
    zh = client.get(path, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    for response, lang, heading in ((en, "en", english), (zh, "zh-Hans", chinese)):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["content-language"] == lang
        assert lang_of(response.text) == lang
        assert re.search(rf"<h1[^>]*>{re.escape(heading)}</h1>", response.text), heading
        assert re.search(r"<title>[^<]+ · carbon-ledger", response.text)
        assert "Accept-Language" in response.headers["vary"]


def test_the_account_page_renders_in_both_languages(
    client: TestClient, ids: dict[str, object]
) -> None:
    for lang, heading in (("en", "Account"), ("zh", "账户")):
        page = client.get(f"/accounts/{ids['buyer']}?lang={lang}")
        assert page.status_code == 200
        assert f"<h1>{heading}</h1>" in page.text


def test_no_message_key_or_placeholder_leaks_into_a_page(
    client: TestClient, ids: dict[str, object]
) -> None:
    paths = [p for p, _, _ in PAGES] + [
        f"/accounts/{ids['buyer']}",
        f"/batches/{ids['gs_batch']}",
        "/audit?kind=CreditsRetired",
    ]
    for lang in ("en", "zh"):
        for path in paths:
            shown = text(client.get(in_lang(path, lang)).text)
            assert not re.search(r"\{[a-z_]+\}", shown), (path, lang)
            assert not re.search(r"\b(?:dashboard|batch|event|fate|state)\.[a-z_]+", shown), (
                path,
                lang,
            )


# ------------------------------------------------------------------ language


def test_language_comes_from_query_then_cookie_then_accept_language(client: TestClient) -> None:
    assert lang_of(client.get("/").text) == "en"  # nothing said: English
    assert (
        lang_of(client.get("/", headers={"Accept-Language": "fr, zh-TW;q=0.5"}).text) == "zh-Hans"
    )
    assert lang_of(client.get("/", headers={"Accept-Language": "zh;q=0.3, en;q=0.8"}).text) == "en"
    assert lang_of(client.get("/", headers={"Accept-Language": "zh;q=0, en;q=0.1"}).text) == "en"
    chosen = client.get("/batches?lang=zh", headers={"Accept-Language": "en"})
    assert lang_of(chosen.text) == "zh-Hans"
    assert "lang=zh" in chosen.headers["set-cookie"]
    # The cookie now outranks Accept-Language, and ?lang= outranks the cookie.
    assert lang_of(client.get("/audit", headers={"Accept-Language": "en"}).text) == "zh-Hans"
    assert lang_of(client.get("/audit?lang=en").text) == "en"
    assert lang_of(client.get("/audit").text) == "en"


def test_the_switch_remembers_the_language_and_returns_to_the_page(client: TestClient) -> None:
    page = client.get("/batches/1?ranges_after=5&lang=en")
    switch = re.search(r'href="(/lang\?to=zh[^"]*)"', page.text)
    assert switch is not None
    response = client.get(html.unescape(switch[1]), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/batches/1?ranges_after=5"
    assert "lang=zh" in response.headers["set-cookie"]
    assert lang_of(client.get(response.headers["location"]).text) == "zh-Hans"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "\\\\evil", ""])
def test_the_switch_only_redirects_within_the_site(client: TestClient, target: str) -> None:
    response = client.get("/lang", params={"to": "zh", "next": target}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_an_unknown_language_is_ignored(client: TestClient) -> None:
    response = client.get("/lang?to=xx&next=/audit", follow_redirects=False)
    assert response.status_code == 303 and "set-cookie" not in response.headers
    assert lang_of(client.get("/?lang=xx").text) == "en"


# ------------------------------------------------------------------ dashboard


def test_dashboard_totals_are_the_stores(client: TestClient, engine: Engine) -> None:
    b = s.batches
    with engine.connect() as conn:
        bridged, retired, detokenised, cancelled = conn.execute(
            sa.select(
                sa.func.sum(b.c.quantity),
                sa.func.sum(b.c.retired),
                sa.func.sum(b.c.detokenised),
                sa.func.sum(b.c.cancelled),
            )
        ).one()
    page = client.get("/").text
    shown = {
        fate: int(value.replace(",", ""))
        for fate, value in re.findall(r'data-fate="(\w+)">([\d,]+)<', page)
    }
    assert shown == {
        "bridged": bridged,
        "held": bridged - retired - detokenised - cancelled,
        "retired": retired,
        "detokenised": detokenised,
        "cancelled": cancelled,
    }
    assert shown["cancelled"] > 0 and shown["retired"] > 0  # the demo has both


def test_dashboard_charts_are_inline_svg_with_their_figures_as_tables(client: TestClient) -> None:
    page = client.get("/?lang=zh").text
    assert page.count('<svg class="chart"') == 6  # four dimensions, the timeline, the months
    assert 'role="img"' in page and "<title" in page
    assert "<script" not in page and "http://" not in page.split("</head>")[0]
    shown = text(page)
    for programme in ("VCS", "GS", "CDM"):
        assert programme in shown
    assert "万" in shown  # Chinese axis figures count in 10,000s


def test_dashboard_shows_audit_position_and_latest_events(
    client: TestClient, demo: DemoStore
) -> None:
    shown = text(client.get("/").text)
    assert f"Audit sequence {demo.audit_seq}" in shown
    assert "not running beside this server" in shown  # no indexer in this app
    # The newest event comes first: the demo ends with a pool retirement, whose units burn last.
    assert f"{demo.audit_seq} Pool units moved" in shown


# ------------------------------------------------------------------ batches


def test_batch_page_shows_metadata_ranges_and_history(client: TestClient, engine: Engine) -> None:
    with engine.connect() as conn:
        batch = conn.execute(sa.select(s.batches).where(s.batches.c.id == 1)).one()
        project = conn.execute(
            sa.select(s.projects).where(s.projects.c.key == batch.project_key)
        ).one()
        ranges = conn.execute(
            sa.select(s.serial_ranges).where(s.serial_ranges.c.batch_id == 1)
        ).all()
    shown = text(client.get("/batches/1").text)
    assert project.name in shown and project.methodology in shown
    assert f"{batch.first_serial}{DASH}{batch.last_serial}" in shown
    assert batch.registry_reference in shown
    for r in ranges:
        assert f"{r.first_serial}{DASH}{r.last_serial}" in shown
    assert "Batch bridged" in shown and "Credits retired" in shown
    page = client.get("/batches/1").text
    assert f"https://registry.verra.org/app/projectDetail/VCS/{project.project_id}" in page


def test_batch_labels_are_named(client: TestClient, engine: Engine) -> None:
    batch_id = first(engine, sa.select(s.batches.c.id).where(s.batches.c.labels.op("&")(1) == 1))
    assert "CORSIA eligible" in text(client.get(f"/batches/{batch_id}").text)
    assert "符合 CORSIA" in text(client.get(f"/batches/{batch_id}?lang=zh").text)


def test_batch_list_filters_by_programme_and_pages_on(client: TestClient, engine: Engine) -> None:
    gs = first(
        engine,
        sa.select(sa.func.count())
        .select_from(s.batches.join(s.programs, s.programs.c.id == s.batches.c.program_id))
        .where(s.programs.c.code == "GS"),
    )
    seen: list[str] = []
    path: str | None = "/batches?program=GS"
    while path:
        page = client.get(path).text
        seen += re.findall(r'<td><a href="/batches/(\d+)">', page)
        more = re.search(r'href="([^"]+)" rel="next"', page)
        path = html.unescape(more[1]) if more else None
    assert len(seen) == gs == len(set(seen))
    assert client.get("/batches?program=NOPE").status_code == 400


# ------------------------------------------------------------------ serial lookup


def test_a_verra_serial_resolves_to_its_batch_status_and_holder(
    client: TestClient, engine: Engine
) -> None:
    page = client.get("/serials", params={"q": f"  {VCS_SERIAL} "})
    assert page.status_code == 200
    with engine.connect() as conn:
        held = conn.execute(
            sa.select(s.serial_ranges).where(
                s.serial_ranges.c.batch_id == 1,
                s.serial_ranges.c.first_serial <= 941467007,
                s.serial_ranges.c.last_serial >= 941467007,
            )
        ).one()
    shown = text(page.text)
    assert f"VCS · VCS-VCU · 941467007{DASH}941467431" in shown
    assert 'href="/batches/1"' in page.text
    assert f'href="/accounts/{held.holder}"' in page.text
    assert "retired" in shown and "Batch bridged" in shown and "Credits retired" in shown


def test_the_serial_page_agrees_with_the_serial_api(client: TestClient) -> None:
    for serial in (VCS_SERIAL, "941467010"):
        api = client.get(f"/v1/serials/VCS/{serial}").json()
        page = client.get("/serials", params={"q": serial}).text
        status = re.search(r'class="serial-status">(.*?)</dd>', page, re.S)
        holder = re.search(
            r'class="serial-holder"><a class="mono" href="/accounts/(0x[0-9a-f]+)"', page
        )
        assert status and holder
        assert text(status[1]) == api["status"] and holder[1] == api["holder"]
        assert [int(x) for x in re.findall(r'<td><a href="/batches/(\d+)">', page)][:1] == [
            api["batch_id"]
        ]


def test_a_single_verra_number_needs_no_namespace(client: TestClient) -> None:
    shown = text(client.get("/serials?q=941467010").text)
    assert "VCS · VCS-VCU · 941467010" in shown
    assert "Status retired" in shown


def test_gold_standard_and_cdm_serials_resolve(client: TestClient, ids: dict[str, object]) -> None:
    gs = client.get("/serials", params={"q": ids["gs_serial"]})
    assert gs.status_code == 200 and f'href="/batches/{ids["gs_batch"]}"' in gs.text
    cdm = client.get("/serials", params={"q": CDM_SERIAL})
    assert cdm.status_code == 200
    assert f"CDM · RW · 1463953{DASH}1467609" in text(cdm.text)


def test_a_number_with_its_namespace_resolves(client: TestClient, ids: dict[str, object]) -> None:
    namespace = str(ids["gs_serial"]).rsplit("-", 2)[0]
    page = client.get("/serials", params={"q": "1", "namespace": namespace, "program": "GS"})
    assert page.status_code == 200
    assert f'href="/batches/{ids["gs_batch"]}"' in page.text


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("not-a-serial", 400, "not a serial in any supported registry format"),
        (VCS_SERIAL.replace("941467431", "941467000"), 400, "not a serial"),  # first > last
        ("12345", 404, "None of these serials is on the ledger"),  # a VCS number never bridged
        (ACR_SERIAL, 404, "None of these serials is on the ledger"),
        ("9" * 25, 400, "not a serial"),
        ("²", 400, "not a serial"),  # a digit to str.isdigit, not to int()
    ],
)
def test_bad_or_unknown_serials_get_a_4xx_page(
    client: TestClient, query: str, status: int, message: str
) -> None:
    page = client.get("/serials", params={"q": query})
    assert page.status_code == status
    assert message in text(page.text)
    assert 'role="alert"' in page.text


def test_a_bad_serial_lists_each_formats_reason(client: TestClient) -> None:
    page = client.get("/serials", params={"q": VCS_SERIAL.replace("-VCU-", "-XXX-")})
    assert page.status_code == 400
    assert "VCS" in text(page.text).split("Why each registry")[1]
    chinese = client.get("/serials", params={"q": "x", "lang": "zh"})
    assert "这不是任何受支持登记处格式的序列号" in text(chinese.text)


def test_a_number_of_a_scoped_namespace_asks_for_it(client: TestClient) -> None:
    page = client.get("/serials?q=5&program=GS")
    assert page.status_code == 400
    assert "needs its namespace" in text(page.text)


# ------------------------------------------------------------------ accounts


def test_account_page_shows_holdings_by_batch_and_retirements(
    client: TestClient, engine: Engine, ids: dict[str, object]
) -> None:
    buyer = str(ids["buyer"])
    with engine.connect() as conn:
        ranges = conn.execute(
            sa.select(s.serial_ranges).where(s.serial_ranges.c.holder == buyer)
        ).all()
    page = client.get(f"/accounts/{buyer.upper().replace('0X', '0x')}")
    assert page.status_code == 200
    shown = text(page.text)
    assert any(r.state != 1 for r in ranges)  # it retired some: those are its retirements
    for r in ranges:
        if r.state == 1:  # live holdings are listed by batch
            assert f"{r.first_serial}{DASH}{r.last_serial}" in shown
            assert f'href="/batches/{r.batch_id}"' in page.text
    assert f'href="/retirements/{ids["buyer_retirement"]}"' in page.text
    held = sum(r.last_serial - r.first_serial + 1 for r in ranges if r.state == 1)
    assert re.search(rf'data-state="held">{held:,}<', page.text)


def test_account_holdings_page_on_without_gaps(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts_page, "RANGES", 30)  # several pages from the demo's store
    with engine.connect() as conn:
        holder, count = conn.execute(
            sa.select(s.serial_ranges.c.holder, sa.func.count())
            .where(s.serial_ranges.c.state == 1)  # the page lists live holdings
            .group_by(s.serial_ranges.c.holder)
            .order_by(sa.func.count().desc())
        ).first() or ("", 0)
    assert count > 2 * accounts_page.RANGES  # the registry's custody account
    seen = 0
    path: str | None = f"/accounts/{holder}"
    while path:
        page = client.get(path).text
        seen += len(re.findall(r'<tr><td><span class="mono">', page))
        more = re.search(r'href="([^"]+)" rel="next"', page.split('id="ret-h"')[0])
        path = html.unescape(more[1]) if more else None
    assert seen == count


@pytest.mark.parametrize(
    ("address", "status"),
    [
        ("0x123", 400),
        ("0x" + "g" * 40, 400),
        ("not an address", 400),
        ("0x" + "ab" * 20, 404),  # well formed, never seen by the ledger
    ],
)
def test_bad_or_unknown_accounts(client: TestClient, address: str, status: int) -> None:
    page = client.get(f"/accounts/{address}")
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")


# ------------------------------------------------------------------ retirements


def test_a_chinese_beneficiary_renders_in_the_certificate_page(
    client: TestClient, ids: dict[str, object]
) -> None:
    for lang in ("en", "zh"):
        page = client.get(f"/retirements/{ids['chinese_retirement']}?lang={lang}")
        assert page.status_code == 200
        assert str(ids["chinese_name"]) in text(page.text)
        assert "carbon-ledger audit verify" in page.text


def test_names_are_escaped(demo: DemoStore, tmp_path: Path) -> None:
    """A beneficiary is whatever the holder typed: it is text, never markup."""
    engine = copied_store(demo, tmp_path)
    with engine.begin() as conn:
        conn.execute(
            sa.update(s.retirements)
            .where(s.retirements.c.id == 1)
            .values(beneficiary='<script>alert("x")</script>')
        )
    page = TestClient(pages_app(engine)).get("/retirements/1").text
    engine.dispose()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


# ------------------------------------------------------------------ audit


def test_audit_trail_pages_back_and_forth_over_every_event(
    client: TestClient, demo: DemoStore
) -> None:
    seqs: list[int] = []
    path: str | None = "/audit"
    pages = []
    while path:
        page = client.get(path).text
        pages.append(path)
        seqs += [int(x) for x in re.findall(r'<tr>\s*<td class="num">(\d+)</td>', page)]
        older = re.search(r'href="([^"]+)" rel="next"', page)
        path = html.unescape(older[1]) if older else None
    assert seqs == list(range(demo.audit_seq, 0, -1))
    second = client.get(pages[1]).text
    newer = re.search(r'href="([^"]+)" rel="prev"', second)
    assert newer is not None
    back = client.get(html.unescape(newer[1])).text
    assert re.findall(r'<tr>\s*<td class="num">(\d+)</td>', back)[0] == str(demo.audit_seq)


def test_audit_trail_filters_by_kind_and_batch(client: TestClient, engine: Engine) -> None:
    page = client.get("/audit?kind=CreditsCancelled&batch=").text
    rows = re.findall(r"<tr>\s*<td class=\"num\">\d+</td>\s*<td>([^<]+)</td>", page)
    cancelled = first(engine, sa.select(sa.func.count()).select_from(s.cancellations))
    assert rows == ["Credits cancelled"] * cancelled
    batch = client.get("/audit?batch=1").text
    assert set(re.findall(r'<td><a href="/batches/(\d+)">', batch)) == {"1"}


@pytest.mark.parametrize(
    "query", ["kind=Nope", "batch=abc", "batch=-1", f"batch={2**64}", "before=x", "after=-5"]
)
def test_bad_audit_filters_get_a_400_page(client: TestClient, query: str) -> None:
    page = client.get(f"/audit?{query}")
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert "Bad request" in text(page.text)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/batches/999999", 404),
        ("/batches/abc", 400),
        (f"/batches/{2**63}", 400),
        ("/batches/1?ranges_after=zz", 400),
        ("/retirements/999999", 404),
        ("/retirements/-1", 400),
    ],
)
def test_missing_or_malformed_ids_get_an_error_page(
    client: TestClient, path: str, status: int
) -> None:
    for lang, title in (
        ("en", {400: "Bad request", 404: "Not found"}),
        ("zh", {400: "请求有误", 404: "未找到"}),
    ):
        page = client.get(in_lang(path, lang))
        assert page.status_code == status
        assert page.headers["content-type"].startswith("text/html")
        assert f"<h1>{title[status]}</h1>" in page.text
        assert f"<title>{title[status]} · " in page.text


def test_pages_over_an_empty_store(empty_client: TestClient) -> None:
    """A server whose indexer has not written yet answers every page without a 5xx."""
    for path, status in [
        ("/", 200),
        ("/batches", 200),
        ("/audit", 200),
        ("/serials", 200),
        (f"/serials?q={VCS_SERIAL}", 404),
        ("/batches/1", 404),
        ("/retirements/1", 404),
        ("/accounts/0x" + "ab" * 20, 404),
    ]:
        for lang in ("en", "zh"):
            assert empty_client.get(in_lang(path, lang)).status_code == status, path


def test_the_stylesheet_is_served(client: TestClient) -> None:
    css = client.get("/static/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "@media print" in css.text


# ------------------------------------------------------------------ verification


def test_verify_now_and_the_last_result(demo: DemoStore, tmp_path: Path) -> None:
    engine = copied_store(demo, tmp_path)
    client = TestClient(pages_app(engine))
    assert "No verification has run on this server" in text(client.get("/audit").text)
    page = text(client.get("/audit?verify=1").text)
    assert f"passed at audit sequence {demo.audit_seq}" in page
    assert "the store on its own" in page  # this server has no node
    # The dashboard shows the result it remembers, in either language.
    assert f"passed at audit sequence {demo.audit_seq}" in text(client.get("/").text)
    assert f"审计序号 {demo.audit_seq}" in text(client.get("/?lang=zh").text).split("已通过")[1]
    engine.dispose()


def test_verify_now_names_what_a_tampered_store_got_wrong(demo: DemoStore, tmp_path: Path) -> None:
    engine = copied_store(demo, tmp_path)
    with engine.begin() as conn:
        conn.execute(
            sa.update(s.serial_ranges)
            .where(s.serial_ranges.c.batch_id == 1)
            .values(holder="0x" + "ab" * 20)
        )
    page = text(TestClient(pages_app(engine)).get("/audit?verify=1").text)
    engine.dispose()
    assert "FAILED" in page
    assert "serial_ranges" in page and "batch 1" in page
