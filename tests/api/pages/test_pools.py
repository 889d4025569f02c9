"""The pool pages in English and Chinese over a store holding two pools
(``tests.api.pool_store``): the list, a pool's rules in words, supply, composition charts,
held ranges in redeem order and activity with exact serials; a hostile pool name, symbol and
list value shown as text; an unknown pool and bad cursors answered with error pages; pool
units on the account page, pools on the dashboard, pool events in the audit trail."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.pages.support import pages_app
from tests.api.pool_store import HOSTILE_NAME, HOSTILE_SYMBOL, pool_engine
from tests.chain.indexer.pool_events import ALICE, BOB, TOKEN

LANGS = ("en", "zh")


@pytest.fixture(scope="module")
def pools(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    engine = pool_engine(tmp_path_factory.mktemp("pool-pages"))
    yield TestClient(pages_app(engine))
    engine.dispose()


def page(client: TestClient, path: str, lang: str, status: int = 200) -> str:
    response = client.get(path, params={"lang": lang})
    assert response.status_code == status, response.text
    return response.text


@pytest.mark.parametrize("lang", LANGS)
def test_the_pools_page_lists_both_pools(pools: TestClient, lang: str) -> None:
    text = page(pools, "/pools", lang)
    assert 'href="/pools/1"' in text and 'href="/pools/2"' in text
    assert re.search(r'data-field="pooled_tonnes">221<', text)  # 120 + 101
    assert ("Tonnes pooled" if lang == "en" else "入池吨数") in text


@pytest.mark.parametrize("lang", LANGS)
def test_a_pool_page_shows_rules_in_words_supply_and_charts(pools: TestClient, lang: str) -> None:
    text = page(pools, "/pools/1", lang)
    assert re.search(r'data-field="supply">120<', text)
    assert text.count('<svg class="chart"') == 4  # programme, vintage, country, project type
    if lang == "en":
        assert "Vintage starting on or after 2016-01-01." in text
        assert "Labels required: CORSIA eligible." in text
        assert "Project types: all but AFOLU." in text
    else:
        assert "年份起始日不早于 2016-01-01。" in text
        assert "项目类型\uff1a除 AFOLU 外均可。" in text
    assert TOKEN in text and ALICE in text


@pytest.mark.parametrize("lang", LANGS)
def test_the_pool_page_names_the_retired_serials_and_certificates(
    pools: TestClient, lang: str
) -> None:
    text = page(pools, "/pools/1", lang)
    assert 'href="/retirements/1"' in text and 'href="/retirements/2"' in text
    assert "2021\u20132050" in text and "1\u201330" in text  # the retirement's two ranges
    held = re.findall('<span class="mono">(\\d+)\u2013(\\d+)</span></td>\\s*<td>', text)
    assert held[:2] == [("31", "100"), ("101", "150")]  # the ranges table, in redeem order


@pytest.mark.parametrize("lang", LANGS)
def test_a_hostile_pool_name_is_text(pools: TestClient, lang: str) -> None:
    for path in ("/pools", "/pools/2"):
        text = page(pools, path, lang)
        assert "<script>" not in text and "<b>X</b>" not in text and "<img" not in text
        assert "&lt;script&gt;alert(&#34;pool&#34;)&lt;/script&gt;" in text
        assert "&lt;b&gt;X&lt;/b&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page(pools, "/pools/2", lang)
    assert HOSTILE_NAME and HOSTILE_SYMBOL


@pytest.mark.parametrize("lang", LANGS)
def test_an_unknown_pool_is_a_404_page(pools: TestClient, lang: str) -> None:
    text = page(pools, "/pools/7", lang, 404)
    assert ("There is no pool 7" if lang == "en" else "账本上没有碳池 7") in text


@pytest.mark.parametrize("path", ["/pools/x", "/pools/4294967296", "/pools/-1"])
def test_a_hostile_pool_id_is_a_400_page(pools: TestClient, path: str) -> None:
    assert pools.get(path).status_code in (400, 404)


def test_a_foreign_cursor_is_a_400_page(pools: TestClient) -> None:
    assert pools.get("/pools/1?ranges=bogus").status_code == 400


def test_ranges_page_on(pools: TestClient) -> None:
    text = page(pools, "/pools/1", "en")
    assert 'rel="next"' not in text  # 120 t in few ranges: one page


@pytest.mark.parametrize("lang", LANGS)
def test_the_account_page_shows_pool_units(pools: TestClient, lang: str) -> None:
    text = page(pools, f"/accounts/{BOB}", lang)
    assert re.search(r'data-pool="2">101<', text)
    assert 'href="/pools/2"' in text


@pytest.mark.parametrize("lang", LANGS)
def test_the_dashboard_counts_pools_and_tonnes(pools: TestClient, lang: str) -> None:
    text = page(pools, "/", lang)
    assert re.search(r'data-field="pool_count">2<', text)
    assert re.search(r'data-field="pooled_tonnes">221<', text)
    assert re.search(r'data-pool="1">120<', text)


@pytest.mark.parametrize("lang", LANGS)
def test_the_audit_trail_shows_pool_events(pools: TestClient, lang: str) -> None:
    text = page(pools, "/audit", lang)
    assert ("Pool units moved" if lang == "en" else "碳池单位变动") in text
    assert 'href="/pools/2"' in text
