"""Certificates as PDF, with WeasyPrint: the printable HTML, laid out for A4. Fonts come from
fontconfig, so Chinese (or any other script's) names render with the system's Noto CJK fonts
and are embedded in the file."""

from __future__ import annotations


def html_to_pdf(html: str) -> bytes:
    """``html`` (a complete, self-contained document) as PDF bytes."""
    # Imported on first use: WeasyPrint loads Pango and the font configuration (~0.5 s).
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):  # type: ignore[misc]
        """The certificate is self-contained (inline CSS, no images): nothing it says may
        make the server fetch a URL."""

        def fetch(self, url: str, headers: object = None) -> object:
            raise ValueError(f"certificates load no external resources ({url})")

    pdf: bytes = HTML(string=html, url_fetcher=NoFetching()).write_pdf()
    return pdf
