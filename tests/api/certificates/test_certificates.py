"""``GET /v1/retirements/{id}/certificate`` over the demo's store: JSON whose every figure is
the store's, printable HTML with the same figures, PDF with the CJK font embedded, chosen by
``Accept`` or ``?format=``; missing and malformed ids are 4xx."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.certificates.negotiate import negotiate
from chain.store import schema as s
from tests.api.pages.support import pdf_font_names

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


def url(retirement_id: int) -> str:
    return f"/v1/retirements/{retirement_id}/certificate"


def day(value: int) -> str | None:
    return (
        None if value == 0 else dt.date(value // 10000, value // 100 % 100, value % 100).isoformat()
    )


@pytest.fixture(scope="module")
def sample(engine: Engine) -> list[int]:
    """Retirements to check: a Chinese beneficiary, the buyers' own (three directly, three by
    retiring pool units: one per range), and a Gold Standard one."""
    r = s.retirements
    with engine.connect() as conn:
        chinese = conn.execute(sa.select(r.c.id).where(r.c.beneficiary.like("%江苏%"))).scalar()
        buyers = conn.execute(sa.select(r.c.id).where(r.c.mirrored.is_(False))).scalars().all()
        last = conn.execute(sa.select(sa.func.max(r.c.id))).scalar()
    assert chinese is not None and len(buyers) == 6
    return sorted({int(chinese), 1, int(last or 0), *buyers})


def test_the_certificate_is_the_read_apis_retirement_and_more(
    client: TestClient, sample: list[int]
) -> None:
    """The certificate JSON extends ``GET /v1/retirements/{id}`` and agrees with it field by
    field."""
    for retirement_id in sample:
        detail = client.get(f"/v1/retirements/{retirement_id}").json()
        cert = client.get(url(retirement_id), params={"format": "json"}).json()
        assert {k: cert[k] for k in detail} == detail  # labels too: those it relied on
        assert set(cert) - set(detail) == {
            "namespace",
            "methodology",
            "project_type",
            "registry_reference",
            "check",
        }


def test_json_figures_are_the_stores(client: TestClient, engine: Engine, sample: list[int]) -> None:
    r, b, prog, proj, e = s.retirements, s.batches, s.programs, s.projects, s.events
    with engine.connect() as conn:
        chain = conn.execute(sa.select(s.chain_info)).one()
        checkpoint = conn.execute(sa.select(s.checkpoint)).one()
        for retirement_id in sample:
            row = (
                conn.execute(
                    sa.select(r, b, prog.c.code, proj.c.project_id, proj.c.name)
                    .join(b, b.c.id == r.c.batch_id)
                    .join(prog, prog.c.id == b.c.program_id)
                    .join(proj, proj.c.key == b.c.project_key)
                    .where(r.c.id == retirement_id)
                )
                .one()
                ._mapping
            )
            event = conn.execute(sa.select(e).where(e.c.seq == row[r.c.seq])).one()
            cert: dict[str, Any] = client.get(
                url(retirement_id), headers={"Accept": "application/json"}
            ).json()
            assert cert["id"] == retirement_id
            assert cert["batch_id"] == row[r.c.batch_id]
            assert cert["holder"] == row[r.c.holder]
            assert cert["beneficiary"] == row[r.c.beneficiary]
            assert cert["quantity"] == row[r.c.quantity]
            assert (cert["first_serial"], cert["last_serial"]) == (
                row[r.c.first_serial],
                row[r.c.last_serial],
            )
            assert cert["quantity"] == cert["last_serial"] - cert["first_serial"] + 1
            assert (
                cert["purpose"]
                == ["voluntary", "corsia", "article6", "compliance"][row[r.c.purpose]]
            )
            assert cert["retired_on"] == day(row[r.c.retired_on])
            assert cert["mirrored"] is row[r.c.mirrored]
            assert cert["program"] == row[prog.c.code]
            assert cert["namespace"] == row[b.c.namespace]
            assert cert["project_id"] == row[proj.c.project_id]
            assert cert["project_name"] == row[proj.c.name]
            assert cert["vintage_start"] == day(row[b.c.vintage_start])
            assert cert["registry_reference"] == row[b.c.registry_reference]
            v = cert["verification"]
            assert v["chain_id"] == chain.chain_id
            assert v["contract"] == chain.contract_address
            assert v["tx_hash"] == row[r.c.tx_hash] == event.tx_hash
            assert v["block_number"] == row[r.c.block_number] == event.block_number
            assert (v["block_hash"], v["log_index"]) == (event.block_hash, event.log_index)
            assert v["audit_seq"] == event.seq and event.name == "CreditsRetired"
            assert v["audit_head"] == event.audit_head
            check = cert["check"]
            assert check["store_audit_seq"] == checkpoint.audit_seq
            assert check["store_audit_head"] == checkpoint.audit_head
            assert (check["genesis_hash"], check["deploy_block"]) == (
                chain.genesis_hash,
                chain.deploy_block,
            )
            assert check["command"].startswith("carbon-ledger audit verify ")
            assert cert["labels"] == [
                name
                for bit, name in enumerate(
                    [
                        "corsia_eligible",
                        "ccp_approved",
                        "article6_authorised",
                        "corresponding_adjustment",
                    ]
                )
                if row[b.c.labels] >> bit & 1
            ]
            assert cert["certificate_url"] == url(retirement_id)


def test_the_printable_html_shows_the_same_figures(client: TestClient, sample: list[int]) -> None:
    for retirement_id in sample:
        cert = client.get(url(retirement_id), headers={"Accept": "application/json"}).json()
        page = client.get(url(retirement_id), headers={"Accept": BROWSER_ACCEPT})
        assert page.headers["content-type"].startswith("text/html")
        fields = dict(re.findall(r'data-field="(\w+)">([^<]*)<', page.text))
        v = cert["verification"]
        assert fields["quantity"] == f"{cert['quantity']:,}"
        assert fields["first_serial"] == str(cert["first_serial"])
        assert fields["last_serial"] == str(cert["last_serial"])
        for name in ("tx_hash", "block_number", "audit_seq", "audit_head", "contract", "chain_id"):
            assert fields[name] == str(v[name]), name
        assert cert["beneficiary"] in page.text
        assert '<link rel="stylesheet"' not in page.text  # self-contained, prints on its own


def test_pdf_embeds_the_cjk_font_for_chinese_names(client: TestClient, engine: Engine) -> None:
    with engine.connect() as conn:
        chinese = conn.execute(
            sa.select(s.retirements.c.id).where(s.retirements.c.beneficiary.like("%江苏%"))
        ).scalar_one()
    for lang in ("en", "zh"):
        pdf = client.get(url(chinese), params={"lang": lang}, headers={"Accept": "application/pdf"})
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-")
        assert pdf.content.rstrip().endswith(b"%%EOF")
        fonts = pdf_font_names(pdf.content)
        assert any(f.startswith("Noto-Sans-CJK-SC") for f in fonts), fonts
        assert f'filename="retirement-{chinese}.pdf"' in pdf.headers["content-disposition"]


def test_a_latin_certificate_needs_no_cjk_font_in_english(client: TestClient) -> None:
    """The font check above can fail: a certificate without Chinese text embeds no CJK font."""
    cert = client.get(url(1), headers={"Accept": "application/json"}).json()
    assert re.fullmatch(r"[\x00-\x7f]*", cert["beneficiary"] + cert["project_name"] + cert["note"])
    pdf = client.get(url(1), params={"lang": "en", "format": "pdf"})
    fonts = pdf_font_names(pdf.content)
    assert fonts and not any("CJK" in f for f in fonts), fonts


@pytest.mark.parametrize(
    ("accept", "kind"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("text/html", "text/html"),
        (BROWSER_ACCEPT, "text/html"),
        ("application/pdf", "application/pdf"),
        ("application/json;q=0.5, application/pdf", "application/pdf"),
        ("application/*", "application/json"),
        ("text/*;q=0.9, application/json;q=0.1", "text/html"),
        ("application/pdf, */*", "application/pdf"),
    ],
)
def test_accept_picks_the_form(client: TestClient, accept: str | None, kind: str) -> None:
    headers = {} if accept is None else {"Accept": accept}
    response = client.get(url(1), headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == kind
    assert "Accept" in response.headers["vary"]


def test_format_parameter_overrides_accept(client: TestClient) -> None:
    for form, kind in (
        ("json", "application/json"),
        ("html", "text/html"),
        ("pdf", "application/pdf"),
    ):
        response = client.get(url(1), params={"format": form}, headers={"Accept": "image/png"})
        assert response.headers["content-type"].split(";")[0] == kind


def test_an_accept_naming_no_form_is_406(client: TestClient) -> None:
    response = client.get(url(1), headers={"Accept": "image/png, application/json;q=0"})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/problem+json"
    assert "application/pdf" in response.json()["detail"]


def test_missing_retirements_are_404_in_the_form_asked_for(client: TestClient) -> None:
    problem = client.get(url(999_999), headers={"Accept": "application/json"})
    assert problem.status_code == 404
    assert problem.headers["content-type"] == "application/problem+json"
    assert problem.json()["detail"] == "retirement 999999 does not exist"
    page = client.get(url(999_999), headers={"Accept": BROWSER_ACCEPT, "Accept-Language": "zh"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "账本上没有注销记录 999999" in page.text
    assert client.get(url(999_999), params={"format": "pdf"}).status_code == 404


@pytest.mark.parametrize("bad", ["abc", "-1", str(2**64), "1.5"])
def test_malformed_ids_are_422(client: TestClient, bad: str) -> None:
    response = client.get(f"/v1/retirements/{bad}/certificate")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get(f"{url(1)}?format=doc").status_code == 422


def test_the_certificate_is_in_the_readers_language(client: TestClient) -> None:
    zh = client.get(url(7), headers={"Accept": "text/html", "Accept-Language": "zh-CN"})
    assert '<html lang="zh-Hans">' in zh.text and "碳信用注销证明" in zh.text
    en = client.get(url(7), params={"format": "html", "lang": "en"})
    assert '<html lang="en">' in en.text and "Retirement certificate No. 7" in en.text


def test_negotiate_ranks_by_quality_then_specificity() -> None:
    assert negotiate("text/html;q=0.2, */*;q=0.9") == "json"
    assert negotiate("text/html;q=0.9, */*;q=0.9") == "html"
    assert negotiate("application/xhtml+xml") == "html"
    assert negotiate("application/pdf;q=0, */*") == "json"
    assert negotiate("application/pdf;q=oops") is None
    assert negotiate("text/plain") is None
    assert negotiate("  ") == "json"


def test_a_pool_retirement_certificate_names_its_serials_in_registry_format(
    client: TestClient, engine: Engine
) -> None:
    """Retiring pool units retires exact serials: each range's certificate (JSON and the
    printable page) names them as the registry writes them, and its retirer as holder."""
    from chain.store import pools

    with engine.connect() as conn:
        retired = [
            (a, rid)
            for a in pools.pool_activity(conn, limit=1_000).activity
            for rid in a.retirement_ids
        ]
    assert len(retired) == 3  # the demo: 500 units of pool 1 (one range), 600 of pool 2 (two)
    for activity, rid in retired:
        cert = client.get(url(rid), params={"format": "json"}).json()
        assert cert["holder"] == activity.from_account
        [span] = cert["serial_ranges"]
        assert span["registry_serial"] and "-VCS-VCU-" in span["registry_serial"]
        assert (span["first_serial"], span["last_serial"]) in {
            (sp.first_serial, sp.last_serial) for sp in activity.serials
        }
        page = client.get(url(rid), params={"format": "html"}).text
        assert span["registry_serial"] in page
