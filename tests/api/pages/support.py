"""What the page, certificate and browser tests share: one store filled by the demo (the real
Verra and Gold Standard exports, Chinese beneficiary names included), built once per test
session, and the app serving it."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from api.app import create_app
from api.deps import Services
from api.settings import Settings
from chain.demo import run_demo
from chain.store.engine import open_store


@dataclass(frozen=True)
class DemoStore:
    folder: Path
    url: str
    audit_seq: int


_demo: DemoStore | None = None


def demo_store(factory: pytest.TempPathFactory) -> DemoStore:
    """The demo's store, built by the first caller of the session (the demo takes ~20-30 s)."""
    global _demo
    if _demo is None:
        folder = factory.mktemp("pages-demo")
        report, _ = run_demo(folder, say=lambda _line: None)
        assert report.ok, report.discrepancies[:3]
        store = folder / "demo" / "ledger.sqlite3"
        _demo = DemoStore(folder, f"sqlite:///{store}", report.audit_seq)
    return _demo


def pages_app(engine: Engine) -> FastAPI:
    """The API over ``engine`` (pages and certificates included), with a rate limit no test
    reaches (the limit has its own tests)."""
    settings = Settings(dev=True, rate_limit_per_minute=1_000_000)
    return create_app(Services(settings, engine))


def open_demo(demo: DemoStore) -> Engine:
    return open_store(demo.url)


def pdf_font_names(pdf: bytes) -> set[str]:
    """Base names of the fonts a PDF embeds (``Noto-Sans-CJK-SC``), subset prefixes dropped.
    Font dictionaries may sit in compressed object streams, so every stream is inflated."""
    blobs = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        try:
            blobs.append(zlib.decompressobj().decompress(pdf[match.end() :]))
        except zlib.error:
            continue  # not a Flate stream
    names = set()
    for blob in blobs:
        for name in re.findall(rb"/(?:BaseFont|FontName)\s*/([A-Za-z0-9+\-_.]+)", blob):
            names.add(name.decode().split("+", 1)[-1])
    return names
