"""Languages of the pages: English and Simplified Chinese, from JSON message catalogs.

The language of a request is, in order: ``?lang=``, the ``lang`` cookie (set by the on-page
switch, or by a ``?lang=`` link so the choice sticks), then ``Accept-Language``; default English.
Messages are ``str.format`` templates with named fields; a key missing from a catalog falls
back to English (tests keep the catalogs' keys and fields identical, so this never shows).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from markupsafe import Markup, escape
from starlette.requests import Request

LANGUAGES = ("en", "zh")
DEFAULT = "en"
COOKIE = "lang"
HTML_LANG = {"en": "en", "zh": "zh-Hans"}
"""The ``lang`` attribute of each page language (BCP 47: Simplified Chinese is zh-Hans)."""


@cache
def catalog(lang: str) -> dict[str, str]:
    text = (resources.files("api") / "locales" / f"{lang}.json").read_text(encoding="utf-8")
    messages: dict[str, str] = json.loads(text)
    return messages


def normalise(tag: str | None) -> str | None:
    """``"zh-CN"``, ``"zh-Hans"``, ``"zh"`` → ``"zh"``; ``"en-GB"`` → ``"en"``; else ``None``.
    Traditional Chinese tags map to ``zh`` too: readers of zh-TW read Simplified far more easily
    than English, and there is no Traditional catalog."""
    if not tag:
        return None
    primary = tag.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The supported language the client ranks highest (q-values honoured, q=0 excluded)."""
    best: tuple[float, int, str] | None = None
    for position, item in enumerate((header or "").split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        lang = normalise(tag)
        if lang is None or quality <= 0:
            continue
        key = (quality, -position, lang)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None


def choose(request: Request) -> tuple[str, bool]:
    """(language, whether it came from ``?lang=`` and so should be remembered in the cookie)."""
    asked = normalise(request.query_params.get("lang"))
    if asked:
        return asked, True
    cookie = normalise(request.cookies.get(COOKIE))
    if cookie:
        return cookie, False
    return from_accept_language(request.headers.get("accept-language")) or DEFAULT, False


@dataclass(frozen=True)
class Translator:
    """``t("key", name=value)`` for one language; templates receive it as ``t``."""

    lang: str

    @property
    def html_lang(self) -> str:
        return HTML_LANG[self.lang]

    def __call__(self, key: str, **fields: Any) -> str:
        """The message, its fields filled in. A field that is already HTML (chain text shown by
        ``display.chain_text``) makes the message HTML: the rest of it and every other field
        are escaped, and that field is kept whole, isolation and escapes included."""
        template = catalog(self.lang).get(key) or catalog(DEFAULT).get(key)
        if template is None:
            raise KeyError(f"no message {key!r}")  # a typo in a template: fail its test loudly
        if any(isinstance(value, Markup) for value in fields.values()):
            return escape(template).format(**fields)
        return template.format(**fields) if fields else template

    def has(self, key: str) -> bool:
        return key in catalog(DEFAULT)
