"""How chain text is shown: the one display rule of every page and certificate (HTML, and the
PDF WeasyPrint makes of it). docs/PAGES.md ("Chain text") says why.

Names, beneficiaries, notes, references and identifiers are whatever a participant wrote. The
contract now refuses hostile text, but what a store holds may predate that rule, so a page
shows *any* text as it is and never as something else:

- **isolated**: each value is its own ``<bdi>`` with its direction (that of its first strong
  character, what ``dir="auto"`` computes) written out, so right-to-left text cannot reorder
  the labels, numbers or other values around it; WeasyPrint ignores ``dir="auto"`` and the
  ``bdi`` element's isolation but follows an explicit ``dir``, and lays out each element's text
  on its own;
- **controls made visible**: every character ``chain.canonical.display_runs`` escapes is shown
  as a boxed ``U+202E`` instead of being obeyed or hidden;
- **blank shown as blank**: an empty value is shown as a (localised) word, never as nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Literal

from markupsafe import Markup, escape

from chain.canonical import display_runs, escape_notation, visible_text

MISSING = "\u2013"
"""An en dash: what a page shows for a value that is not there."""

_STRONG_RTL = frozenset(("R", "AL"))


def direction(value: str) -> Literal["ltr", "rtl"]:
    """The direction of ``value`` as shown: that of its first strong character that is shown
    as itself (the HTML ``dir="auto"`` rule; an escape reads left to right), else ``ltr``."""
    return _direction(display_runs(value))


def _direction(runs: list[tuple[str, bool]]) -> Literal["ltr", "rtl"]:
    for run, escaped in runs:
        if escaped:
            continue
        for char in run:
            kind = unicodedata.bidirectional(char)
            if kind == "L":
                return "ltr"
            if kind in _STRONG_RTL:
                return "rtl"
    return "ltr"


def chain_text(value: str | None, empty: str = MISSING) -> Markup:
    """``value`` as HTML by the display rule: an isolated ``<bdi>`` whose escaped characters
    are boxed ``<span class="escape">``; ``empty`` (already translated) if there is no text."""
    if not value:
        return Markup(f'<span class="muted">{escape(empty)}</span>')
    runs = display_runs(value)
    # Built with f-strings over escape(): Markup.format is several times slower, and a page
    # shows a few hundred values.
    parts = "".join(_escape_box(run) if escaped else escape(run) for run, escaped in runs)
    return Markup(f'<bdi class="chain-text" dir="{_direction(runs)}">{parts}</bdi>')


def _escape_box(char: str) -> str:
    name = unicodedata.name(char, "") or (
        "control character" if unicodedata.category(char) == "Cc" else "no character name"
    )
    notation = escape_notation(char)  # notation and name: A-Z, 0-9, "+", "-" and spaces only
    return f'<span class="escape" dir="ltr" title="{notation} {name}">{notation}</span>'


def plain_text(value: str, fit: Callable[[str], str] | None = None) -> str:
    """``value`` for plain text (an SVG label or tooltip): escapes written ``<U+202E>``, cut by
    ``fit`` if given, and isolated between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE, the
    plain-text form of ``<bdi>`` (safe: no isolate or override is left inside to unbalance it)."""
    if not value:
        return MISSING
    text = visible_text(value)
    return f"\u2068{fit(text) if fit else text}\u2069"
