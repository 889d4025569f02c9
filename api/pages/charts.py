"""Charts as inline SVG, drawn on the server: no script, no download, and they print.

Every chart is ``role="img"`` with a title and a description, and every mark carries a
``<title>`` with its exact figure; the templates put the same figures in a table beside it,
so nothing is conveyed by colour alone.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable, Sequence
from decimal import Decimal

from markupsafe import Markup, escape

from api.pages.display import plain_text
from api.pages.stats import Point
from api.reads.queries import TonneTotals as Totals
from chain.units import tonnes_text

FATES = ("held", "retired", "detokenised", "cancelled")
COLOURS = {
    "held": "#1f5fa8",
    "retired": "#2e7d32",
    "detokenised": "#8a5a00",
    "cancelled": "#b3261e",
    "bridged": "#4a4a4a",
}
"""Dark enough for 4.5:1 against white, and told apart by the legend and tables as well."""

Translate = Callable[..., str]
_ids = itertools.count(1)


def _width(text: str) -> int:
    """Rough width in half-em units: CJK and other wide characters count double."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def clip(text: str, units: int) -> str:
    if _width(text) <= units:
        return text
    out = ""
    for char in text:
        if _width(out + char) > units - 1:
            break
        out += char
    return out + "…"


def short(value: float, lang: str) -> str:
    """Axis figures: 1.2M / 350k in English, 120万 / 3.5亿 in Chinese."""
    steps = ((1e8, "亿"), (1e4, "万")) if lang == "zh" else ((1e9, "G"), (1e6, "M"), (1e3, "k"))
    for size, unit in steps:
        if abs(value) >= size:
            scaled = value / size
            # Three significant figures, but never an exponent: 1,136万, not 1.14e+03万.
            return f"{scaled:,.0f}{unit}" if abs(scaled) >= 100 else f"{scaled:.3g}{unit}"
    return f"{value:.0f}"


def _svg(width: int, height: int, title: str, desc: str, body: str) -> Markup:
    uid = f"chart{next(_ids)}"
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>'
        f"{body}</svg>"
    )


def stacked_bars(rows: Sequence[tuple[str, Totals]], title: str, t: Translate, lang: str) -> Markup:
    """One horizontal bar per category, its length the tonnes bridged, split by fate."""
    label_w, bar_w, row_h, top = 190, 330, 22, 4
    width, height = label_w + bar_w + 80, top + row_h * max(1, len(rows)) + 4
    peak = float(max((x.bridged for _, x in rows), default=0)) or 1.0
    parts: list[str] = []
    for index, (label, tonnes) in enumerate(rows):
        y = top + index * row_h
        shown = plain_text(label)  # chain text (a country, a project type): the display rule
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" class="axis">'
            f"<title>{escape(shown)}</title>{escape(plain_text(label, fit=lambda s: clip(s, 30)))}"
            "</text>"
        )
        x = float(label_w)
        for fate in FATES:
            exact = getattr(tonnes, fate)
            if exact <= 0:
                continue
            w = max(0.5, bar_w * float(exact) / peak)
            tip = f"{shown}: {t('fate.' + fate)} {tonnes_text(exact, grouped=True)} t"
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
                f'fill="{COLOURS[fate]}"><title>{escape(tip)}</title></rect>'
            )
            x += w
        parts.append(
            f'<text x="{x + 4:.1f}" y="{y + 15}" class="value">{short(float(tonnes.bridged), lang)}</text>'
        )
    desc = t("chart.stacked_desc")
    return _svg(width, height, title, desc, "".join(parts))


def timeline(points: Sequence[Point], title: str, t: Translate, lang: str) -> Markup:
    """Cumulative tonnes bridged and by fate against block height, one line per series."""
    left, right, top, bottom, width, height = 60, 10, 10, 28, 600, 220
    series = ("bridged", "retired", "detokenised", "cancelled")
    if not points:
        return _svg(width, 40, title, t("chart.empty"), "")
    first = points[0].block
    span = max(1, points[-1].block - first)
    peak = float(max(p.tonnes.bridged for p in points)) or 1.0

    def xy(point: Point, value: float) -> str:
        x = left + (width - left - right) * (point.block - first) / span
        y = height - bottom - (height - top - bottom) * value / peak
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" '
        'class="grid"/>'
    ]
    for fraction in (0.0, 0.5, 1.0):
        y = height - bottom - (height - top - bottom) * fraction
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">'
            f"{short(peak * fraction, lang)}</text>"
        )
    for point in (points[0], points[-1]):
        x = xy(point, 0).split(",")[0]
        parts.append(
            f'<text x="{x}" y="{height - 8}" text-anchor="middle" class="axis">{point.block}</text>'
        )
    for name in series:
        values = [getattr(p.tonnes, name) for p in points]
        if not any(values):
            continue
        coords = " ".join(xy(p, float(value)) for p, value in zip(points, values, strict=True))
        tip = f"{t('fate.' + name)}: {tonnes_text(values[-1], grouped=True)} t"
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{COLOURS[name]}" '
            f'stroke-width="2"><title>{escape(tip)}</title></polyline>'
        )
    return _svg(width, height, title, t("chart.timeline_desc"), "".join(parts))


def columns(rows: Sequence[tuple[str, Decimal]], title: str, t: Translate, lang: str) -> Markup:
    """Vertical bars, one per label (months), oldest first."""
    left, top, bottom, width, height = 60, 10, 28, 600, 200
    if not rows:
        return _svg(width, 40, title, t("chart.empty"), "")
    peak = float(max(value for _, value in rows)) or 1.0
    slot = (width - left) / len(rows)
    parts = []
    for fraction in (0.0, 0.5, 1.0):
        y = height - bottom - (height - top - bottom) * fraction
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">'
            f"{short(peak * fraction, lang)}</text>"
        )
    every = max(1, len(rows) // 8)
    for index, (label, value) in enumerate(rows):
        h = (height - top - bottom) * float(value) / peak
        x = left + index * slot
        parts.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{height - bottom - h:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{COLOURS["retired"]}">'
            f"<title>{escape(label)}: {tonnes_text(value, grouped=True)} t</title></rect>"
        )
        if index % every == 0:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{height - 8}" text-anchor="middle" '
                f'class="axis">{escape(label)}</text>'
            )
    return _svg(width, height, title, t("chart.months_desc"), "".join(parts))


def shares(rows: Sequence[tuple[str, int]], title: str, t: Translate, lang: str) -> Markup:
    """One horizontal bar per category (a pool's composition), its length the tonnes held,
    with the share of the whole after it."""
    label_w, bar_w, row_h, top = 190, 330, 22, 4
    if not rows:
        return _svg(label_w + bar_w + 80, 40, title, t("chart.empty"), "")
    width, height = label_w + bar_w + 110, top + row_h * len(rows) + 4
    total = sum(value for _, value in rows) or 1
    peak = max(value for _, value in rows) or 1
    parts: list[str] = []
    for index, (label, tonnes) in enumerate(rows):
        y = top + index * row_h
        shown = plain_text(label)  # chain text (a country, a project type): the display rule
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" class="axis">'
            f"<title>{escape(shown)}</title>{escape(plain_text(label, fit=lambda s: clip(s, 30)))}"
            "</text>"
        )
        w = max(0.5, bar_w * tonnes / peak)
        tip = f"{shown}: {tonnes:,} t ({tonnes / total:.1%})"
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
            f'fill="{COLOURS["held"]}"><title>{escape(tip)}</title></rect>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 15}" class="value">'
            f"{short(tonnes, lang)} · {tonnes / total:.0%}</text>"
        )
    return _svg(width, height, title, t("chart.shares_desc"), "".join(parts))
