"""Which form of a certificate a client gets: HTML, JSON or PDF, by ``Accept`` (q-values
honoured, a named type preferred over a wildcard at equal quality) or by ``?format=``, which
links need because they cannot set headers. A client that states no preference (no ``Accept``,
or only ``*/*``) gets JSON, the API's own format; browsers name ``text/html`` and get HTML."""

from __future__ import annotations

from typing import Literal

Form = Literal["json", "html", "pdf"]
MEDIA_TYPES: dict[Form, str] = {
    "json": "application/json",
    "html": "text/html",
    "pdf": "application/pdf",
}
_PREFERENCE: tuple[Form, ...] = ("json", "html", "pdf")
_ALIASES = {"application/xhtml+xml": "text/html"}


def _ranges(header: str) -> list[tuple[str, float]]:
    out = []
    for item in header.split(","):
        media, _, params = item.strip().partition(";")
        media = media.strip().lower()
        if not media:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = max(0.0, min(1.0, float(value)))
                except ValueError:
                    quality = 0.0
        out.append((_ALIASES.get(media, media), quality))
    return out


def negotiate(accept: str | None) -> Form | None:
    """The form ``accept`` ranks highest, or ``None`` if it accepts none of them (406)."""
    if not accept or not accept.strip():
        return "json"
    ranges = _ranges(accept)
    best: tuple[float, int, int, Form] | None = None
    for order, form in enumerate(_PREFERENCE):
        kind, _, _sub = MEDIA_TYPES[form].partition("/")
        matches = [
            (quality, specificity)
            for media, quality in ranges
            for pattern, specificity in ((MEDIA_TYPES[form], 2), (f"{kind}/*", 1), ("*/*", 0))
            if media == pattern
        ]
        if not matches:
            continue
        # The most specific range that matches decides the quality (RFC 9110 12.5.1).
        specificity = max(s for _, s in matches)
        quality = max(q for q, s in matches if s == specificity)
        if quality <= 0:
            continue
        key = (quality, specificity, -order, form)
        if best is None or key[:3] > best[:3]:
            best = key
    return best[3] if best else None
