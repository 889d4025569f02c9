"""The pages in a real browser: Debian's Chromium driven by Playwright, against the app served
by uvicorn over the demo's store. Every page loads without a script error or a failed request,
the serial search and the language switch work as a reader uses them, and a certificate shows
the figures the JSON API gives. Screenshots go to ``test-artifacts/browser/``."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from chain.store import schema as s
from tests.api.pages.support import HostileStore

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "browser"
VCS_SERIAL = "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serving(app: FastAPI) -> Iterator[str]:
    """``app`` on a free port, served by uvicorn in a thread."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(app: FastAPI) -> Iterator[str]:
    """The app over the demo's store, for the module."""
    with _serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def hostile_server(hostile_app: FastAPI) -> Iterator[str]:
    """The app over the store with hostile text (``support.hostile_store``), for the module."""
    with _serving(hostile_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (Debian package chromium; `make test` installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def _tab(browser: Any, base_url: str) -> Iterator[Any]:
    """A fresh browser context (no cookies) whose page fails the test on any script error,
    console error, failed request or failed subresource."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))

    def console(msg: Any) -> None:
        # A 4xx page logs "Failed to load resource" for itself; subresources are checked below.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            problems.append(f"console: {msg.text}")

    def response(answer: Any) -> None:
        if answer.request.resource_type != "document" and answer.status >= 400:
            problems.append(f"{answer.status} for {answer.url}")

    tab.on("console", console)
    tab.on("response", response)
    tab.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))
    yield tab
    context.close()
    assert not problems, problems


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    with _tab(browser, server) as tab:
        yield tab


@pytest.fixture
def hostile_page(browser: Any, hostile_server: str) -> Iterator[Any]:
    with _tab(browser, hostile_server) as tab:
        yield tab


def shot(tab: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def retirement_with(engine: Engine, beneficiary_like: str) -> int:
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(s.retirements.c.id).where(s.retirements.c.beneficiary.like(beneficiary_like))
        ).scalar()
    assert found is not None
    return int(found)


def test_every_page_loads(page: Any, engine: Engine) -> None:
    with engine.connect() as conn:
        holder = conn.execute(
            sa.select(s.retirements.c.holder).where(s.retirements.c.mirrored.is_(False))
        ).scalar()
    paths = {
        "dashboard": "/",
        "batches": "/batches",
        "batch": "/batches/1",
        "serials": "/serials",
        "account": f"/accounts/{holder}",
        "retirement": "/retirements/1",
        "audit": "/audit",
        "pools": "/pools",
        "pool": "/pools/1",
        "not-found": "/batches/999999",
        "pool-zh": "/pools/2?lang=zh",  # last: ?lang= is remembered in a cookie
    }
    for name, path in paths.items():
        response = page.goto(path)
        assert response is not None
        assert response.status == (404 if name == "not-found" else 200), path
        lang = "zh-Hans" if name.endswith("-zh") else "en"
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("h1").count() == 1
        assert page.locator("main#main").count() == 1
        # Every form control is labelled.
        for control in page.locator("main input:not([type=hidden]), main select").all():
            control_id = control.get_attribute("id")
            assert control_id and page.locator(f'label[for="{control_id}"]').count() == 1
        shot(page, name)


def test_serial_search_from_the_header(page: Any) -> None:
    page.goto("/")
    page.get_by_label("Serial", exact=True).fill(VCS_SERIAL)
    page.get_by_role("button", name="Look up").first.click()
    page.wait_for_url(re.compile(r"/serials\?q="))
    assert page.locator(".serial-status").inner_text() == "retired"
    assert page.get_by_role("link", name="#1", exact=True).first.is_visible()
    rows = page.locator("table").last.locator("tbody tr")
    assert rows.count() >= 3  # bridged, moved, retired
    shot(page, "serial-search")
    page.get_by_label("Registry serial or serial number").fill("not a serial")
    page.get_by_role("button", name="Look up").last.click()
    assert "not a serial in any supported registry format" in page.get_by_role("alert").inner_text()
    shot(page, "serial-search-bad")


def test_language_switch_sticks_across_pages(page: Any) -> None:
    page.goto("/batches/1")
    page.get_by_role("link", name="简体中文").click()
    page.wait_for_url(re.compile(r"/batches/1$"))
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("h1").inner_text() == "批次 1"
    page.get_by_role("link", name="总览").click()
    assert page.locator("h1").inner_text() == "总览"
    # The page's own font stack resolves Chinese to a CJK font the machine has.
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '江苏')")
    shot(page, "dashboard-zh")
    page.get_by_role("link", name="English").click()
    assert page.locator("h1").inner_text() == "Dashboard"


def test_a_certificate_matches_the_api(page: Any, engine: Engine) -> None:
    chinese = retirement_with(engine, "江苏亨通%")
    page.goto("/?lang=zh")
    page.goto(f"/retirements/{chinese}")
    assert page.locator("h1").inner_text() == f"碳信用注销证明 第 {chinese} 号"
    shown = {
        name: page.locator(f'[data-field="{name}"]').first.inner_text()
        for name in (
            "quantity",
            "first_serial",
            "last_serial",
            "tx_hash",
            "block_number",
            "audit_seq",
            "audit_head",
            "contract",
            "chain_id",
        )
    }
    api = page.request.get(
        f"/v1/retirements/{chinese}/certificate", headers={"Accept": "application/json"}
    )
    assert api.ok
    cert = api.json()
    v = cert["verification"]
    assert shown == {
        "quantity": f"{cert['quantity']:,}",
        "first_serial": str(cert["first_serial"]),
        "last_serial": str(cert["last_serial"]),
        "tx_hash": v["tx_hash"],
        "block_number": str(v["block_number"]),
        "audit_seq": str(v["audit_seq"]),
        "audit_head": v["audit_head"],
        "contract": v["contract"],
        "chain_id": str(v["chain_id"]),
    }
    assert page.locator(".beneficiary").inner_text() == cert["beneficiary"]
    reads = page.request.get(f"/v1/retirements/{chinese}")
    if reads.status == 200:  # the JSON read routes, once mounted, must agree as well
        detail = reads.json()
        assert (detail["quantity"], detail["beneficiary"]) == (
            cert["quantity"],
            cert["beneficiary"],
        )
        assert detail["verification"]["tx_hash"] == v["tx_hash"]
    shot(page, "certificate-zh")
    pdf = page.request.get(page.get_by_role("link", name="PDF").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF-")
    page.get_by_role("link", name="打印版").click()
    assert page.locator("header.site").count() == 0  # the printable form has no site chrome
    shot(page, "certificate-printable-zh")


def test_dashboard_to_certificate_by_clicking(page: Any) -> None:
    page.goto("/")
    page.get_by_role("link", name=re.compile(r"^certificate \d+$")).first.click()
    page.wait_for_url(re.compile(r"/retirements/\d+$"))
    assert page.locator("h1").inner_text().startswith("Retirement certificate No.")
    page.emulate_media(media="print")
    assert not page.locator("header.site").is_visible()  # print styles hide the chrome
    shot(page, "certificate-print-media")


# ------------------------------------------------------------------ chain text as drawn

CHARACTER_LEFT_EDGES = """(text) => {
  const node = [...text.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).pop();
  return [...node.data].map((_, i) => {
    const range = document.createRange();
    range.setStart(node, i);
    range.setEnd(node, i + 1);
    return range.getBoundingClientRect().left;
  });
}"""
"""Where each character of an element's last text node is drawn, in logical order."""


def test_a_right_to_left_override_is_drawn_as_an_escape_not_obeyed(
    hostile_page: Any, hostile: HostileStore
) -> None:
    """ "\u202eevil" obeyed would be drawn "live": here the override is a box and "evil" is
    drawn left to right, after it."""
    hostile_page.goto(f"/retirements/{hostile.retirements['override']}")
    name = hostile_page.locator(".beneficiary bdi")
    lefts = name.evaluate(CHARACTER_LEFT_EDGES)
    assert len(lefts) == 4 and lefts == sorted(lefts) and len(set(lefts)) == 4, lefts
    box = name.locator(".escape").bounding_box()
    assert name.locator(".escape").inner_text() == "U+202E"
    assert box["x"] + box["width"] <= lefts[0]
    shot(hostile_page, "certificate-override")


def test_a_hebrew_project_name_stays_after_its_id(hostile_page: Any, hostile: HostileStore) -> None:
    """A project id then a right-to-left name: each its own isolate, drawn id first (left),
    where one isolate for both would draw the name first."""
    hostile_page.goto(f"/retirements/{hostile.retirements['arabic']}")
    project = hostile_page.locator("dt", has_text="Project").first.locator(
        "xpath=following-sibling::dd[1]"
    )
    number, name = project.locator("bdi").all()
    assert number.inner_text() == hostile.project_ids["arabic"]
    assert number.get_attribute("dir") == "ltr" and name.get_attribute("dir") == "rtl"
    left, right = number.bounding_box(), name.bounding_box()
    assert left["x"] + left["width"] < right["x"]
    shot(hostile_page, "certificate-right-to-left")
