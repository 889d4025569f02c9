"""The message catalogs and the language choice: both catalogs say the same things with the same
fields, every message the pages ask for exists, and Accept-Language is read as RFC 9110 says."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from api.pages import i18n
from api.pages.charts import clip, short
from api.reads.queries import AUDITED_EVENTS
from chain.domain import ALL_LABELS, Purpose, RangeState, label_names

API = Path(__file__).resolve().parents[3] / "api"


def fields(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


def test_catalogs_have_the_same_keys_and_fields() -> None:
    en, zh = i18n.catalog("en"), i18n.catalog("zh")
    assert sorted(en) == sorted(zh)
    for key in en:
        assert fields(en[key]) == fields(zh[key]), key
        assert zh[key].strip(), key


def used_keys() -> set[str]:
    """Every literal message key in the templates and the page code."""
    keys: set[str] = set()
    for path in [*(API / "templates").glob("*.html"), *(API / "pages").glob("*.py")]:
        source = path.read_text(encoding="utf-8")
        # A literal key is followed by its fields or the call's end; a prefix by ``+ name``.
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']\s*[,)]""", source))
        keys |= set(
            re.findall(
                r"""(?:PageError\(\s*\d+,|Unresolved\(|error_page\([^,]+,\s*\d+,)\s*"([a-z_.]+)\"""",
                source,
            )
        )
        keys |= set(re.findall(r"""_label="([a-z_.]+)\"""", source))
    return keys


def test_every_key_the_pages_use_exists() -> None:
    used = used_keys()
    assert len(used) > 100  # the scan finds the templates' keys
    dynamic = (
        {f"fate.{f}" for f in ("bridged", "held", "retired", "detokenised", "cancelled")}
        | {f"state.{s.label}" for s in RangeState if s != RangeState.NONE}
        | {f"purpose.{p.name.lower()}" for p in Purpose}
        | {f"label.{name}" for name in label_names(ALL_LABELS)}
        | {f"event.name.{name}" for name in AUDITED_EVENTS}
        | {
            f"{prefix}{d}"
            for prefix in ("dimension.", "dashboard.by_")
            for d in ("program", "vintage", "country", "project_type")
        }
        | {
            "error.title.400",
            "error.title.404",
            "error.title.other",
            "state.unknown",
            "purpose.unknown",
        }
    )
    missing = (used | dynamic) - set(i18n.catalog("en"))
    assert not missing


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, None),
        ("", None),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("zh-Hans-CN", "zh"),
        ("zh_TW", "zh"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR, de;q=0.9", None),
        ("fr, zh;q=0.2, en;q=0.1", "zh"),
        ("en;q=0.5, zh;q=0.5", "en"),  # a tie keeps the client's order
        ("zh;q=0.5, en;q=0.5", "zh"),
        ("zh;q=0, en;q=0.01", "en"),
        ("zh;q=abc, en", "en"),
        ("*", None),
    ],
)
def test_accept_language(header: str | None, lang: str | None) -> None:
    assert i18n.from_accept_language(header) == lang


def test_html_lang_tags() -> None:
    assert i18n.Translator("zh").html_lang == "zh-Hans"
    assert i18n.Translator("en").html_lang == "en"
    with pytest.raises(KeyError):
        i18n.Translator("en")("no.such.key")


def test_chart_labels_clip_by_display_width() -> None:
    assert clip("Brazil", 30) == "Brazil"
    assert clip("Energy industries (renewable/non-renewable sources)", 20) == "Energy industries (…"
    clipped = clip("江苏亨通高压海缆有限公司", 10)  # wide characters count double
    assert clipped == "江苏亨通…" and len(clipped) == 5


def test_chart_figures_abbreviate_per_language() -> None:
    assert short(11_361_366, "en") == "11.4M"
    assert short(11_361_366, "zh") == "1,136万"
    assert short(582_345, "en") == "582k"
    assert short(582_345, "zh") == "58.2万"
    assert short(300_000_000, "zh") == "3亿"
    assert short(999, "en") == short(999, "zh") == "999"
