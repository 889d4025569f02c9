"""What the page, certificate and browser tests share: one store filled by the demo (the real
Verra and Gold Standard exports, Chinese beneficiary names included), built once per test
session, and the app serving it; a copy of it with hostile text written straight into its rows
(the contract refuses such text now, an older store may hold it); reading a PDF's text."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from api.app import create_app
from api.deps import Services
from api.settings import Settings
from chain.demo import run_demo
from chain.store import schema as s
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


def copied_store(demo: DemoStore, folder: Path) -> Engine:
    """A copy of the demo's store, for a test that changes it or its server's state."""
    copy = folder / "store.sqlite3"
    shutil.copy(demo.url.removeprefix("sqlite:///"), copy)
    return open_store(f"sqlite:///{copy}")


# ------------------------------------------------------------------ hostile text

OVERRIDE = "\u202eevil"
"""RIGHT-TO-LEFT OVERRIDE then "evil": a renderer that obeys the override draws "live"."""
CONTROLS = "NUL\0BEL\x07LF\nend"
ARABIC = "شركة الأمل للطاقة"
HEBREW = "חברת האור"
ORDINARY = "江苏亨通 Société Générale Ørsted"
EDGES = "\u200bAcme\u00a0"
"""A zero-width space before and a no-break space after: shown as "Acme" they would look like it."""
EVERYWHERE = "\u202e\u2067x\x07\n\x85\u2028"
"""Every kind of forbidden character, for every text field of one retirement, batch and project."""

BENEFICIARIES = {
    "override": OVERRIDE,
    "controls": CONTROLS,
    "blank": "",
    "arabic": ARABIC,
    "ordinary": ORDINARY,
    "edges": EDGES,
    "everywhere": EVERYWHERE,
}
"""The beneficiary written into one registry-mirrored retirement per case, each of its own
project; the "arabic" retirement's project is named in Hebrew."""


@dataclass(frozen=True)
class HostileStore:
    engine: Engine
    retirements: dict[str, int]
    """Case (a key of ``BENEFICIARIES``) → retirement id."""
    batches: dict[str, int]
    """Case → the batch of that retirement."""
    project_ids: dict[str, str]
    """Case → the registry project id of that batch."""


def hostile_store(demo: DemoStore, folder: Path) -> HostileStore:
    """A copy of the demo's store with ``BENEFICIARIES`` written into its rows, the retirement
    rows and their ``CreditsRetired`` events alike (the audit page reads the events)."""
    engine = copied_store(demo, folder)
    r, b, p, e = s.retirements, s.batches, s.projects, s.events
    with engine.begin() as conn:
        picked: dict[str, tuple[int, int, str, str]] = {}
        seen: set[str] = set()
        rows = conn.execute(
            sa.select(r.c.id, r.c.batch_id, b.c.project_key, p.c.project_id)
            .join(b, b.c.id == r.c.batch_id)
            .join(p, p.c.key == b.c.project_key)
            .where(r.c.mirrored.is_(True))
            .order_by(r.c.id)
        )
        cases = iter(BENEFICIARIES)
        for row in rows:
            if row.project_key in seen:
                continue
            seen.add(row.project_key)
            case = next(cases, None)
            if case is None:
                break
            picked[case] = (row.id, row.batch_id, row.project_key, row.project_id)
        assert len(picked) == len(BENEFICIARIES)
        for case, (retirement_id, batch_id, key, _) in picked.items():
            text = BENEFICIARIES[case]
            texts = {"beneficiary": text}
            if case == "everywhere":
                texts |= {"note": text, "jurisdiction": text}
                project = dict.fromkeys(("name", "country", "methodology", "project_type"), text)
                conn.execute(sa.update(p).where(p.c.key == key).values(**project))
                conn.execute(
                    sa.update(b)
                    .where(b.c.id == batch_id)
                    .values(registry_reference=text, namespace=f"NS{text}")
                )
            elif case == "arabic":
                conn.execute(sa.update(p).where(p.c.key == key).values(name=HEBREW))
            conn.execute(sa.update(r).where(r.c.id == retirement_id).values(**texts))
            event = conn.execute(
                sa.select(e.c.seq, e.c.fields)
                .join(r, r.c.seq == e.c.seq)
                .where(r.c.id == retirement_id)
            ).one()
            fields = dict(event.fields)
            fields["retirement"] = {**fields["retirement"], **texts}
            conn.execute(sa.update(e).where(e.c.seq == event.seq).values(fields=fields))
    return HostileStore(
        engine,
        retirements={case: ids[0] for case, ids in picked.items()},
        batches={case: ids[1] for case, ids in picked.items()},
        project_ids={case: ids[3] for case, ids in picked.items()},
    )


# ------------------------------------------------------------------ PDF text

PDFTOTEXT = Path("/usr/bin/pdftotext")


@dataclass(frozen=True)
class Word:
    text: str
    x: float
    """Left edge, in points from the page's left."""
    y: float
    """Top edge, in points from the page's top."""


def pdf_text(pdf: bytes) -> str:
    """The text a reader sees in ``pdf``, in reading order, by Poppler's ``pdftotext``."""
    return _pdftotext(pdf, "-layout")


def pdf_words(pdf: bytes) -> list[Word]:
    """Every word of ``pdf`` where it is drawn (``pdftotext -bbox``), first page first."""
    xhtml = _pdftotext(pdf, "-bbox")
    return [
        Word(html.unescape(text), float(x), float(y))
        for x, y, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', xhtml
        )
    ]


def _pdftotext(pdf: bytes, *options: str) -> str:
    if not PDFTOTEXT.exists():
        pytest.fail(f"{PDFTOTEXT} is absent: Debian's poppler-utils (`make system-packages`)")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        done = subprocess.run(
            [str(PDFTOTEXT), "-enc", "UTF-8", *options, file.name, "-"],
            capture_output=True,
            check=True,
        )
    return done.stdout.decode("utf-8")
