"""Registry serials of batches bridged straight to the contract: a reference that is the
batch's own registry serial shows the serial of every sub-range in the reads, pages and
certificates; arbitrary text, or a registry serial of other serials or another project, shows
the numbers and no registry serial (``null``), never an error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chain import migration, registries
from chain.domain import Issuance, Project, Purpose, RetirementRequest
from chain.indexer.core import Indexer
from chain.store.engine import migrate, open_store
from tests.api.pages.support import pdf_words
from tests.api.reads.conftest import client_for
from tests.api.reads.support import get
from tests.chain.importer.support import VERRA, make_env, subset
from tests.chain.test_succession import _succeed
from tests.conftest import Ledger

FIRST = 10**12
OWN = registries.parse(
    "VCS", "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
)
HOSTILE = {
    "arbitrary text": "see the registry e-mail of 3 May <b>19385</b>",
    "a bare block id": "19385",
    "the serial of other serials": OWN.text(),
    "the serial of another project": OWN.with_range(FIRST + 2000, FIRST + 2999)
    .text()
    .replace("-1340-", "-1341-"),
}


def _pdf_column_text(pdf: bytes, start: str, lines: int) -> str:
    """The first value in ``pdf`` beginning with ``start``, joined over the ``lines`` lines it
    wraps onto in its column (the label beside it wraps too, and the drawing order need not
    be the reading order, so the words are taken by position)."""
    words = pdf_words(pdf)
    head = next(w for w in words if w.text.startswith(start))
    below = sorted((w for w in words if abs(w.x - head.x) < 1 and w.y >= head.y), key=lambda w: w.y)
    return "".join(w.text for w in below[:lines])


@dataclass(frozen=True)
class Bridged:
    client: TestClient
    batches: dict[str, int]  # case → batch id ("own" too)
    retirements: dict[str, int]
    firsts: dict[str, int]
    custody: str  # the issuer's account, which holds what it bridged


@pytest.fixture(scope="module")
def bridged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridged]:
    folder: Path = tmp_path_factory.mktemp("registry-serials")
    env = make_env(folder)
    env.run("vcs", issuances=subset(VERRA, folder / "verra.csv", [2]))  # the VCS issuer key
    issuer = env.issuer("VCS")
    project = Project("1340", "Bale Mountains", "Ethiopia", "VM0009", "REDD+")
    key = issuer.ensure_project(1, project)
    own = OWN.with_range(FIRST, FIRST + 999).text()
    cases = {"own": own, **HOSTILE}
    batches, retirements, firsts = {}, {}, {}
    for n, (case, reference) in enumerate(cases.items()):
        first = FIRST + 1000 * n
        issuance = Issuance(
            program_id=1,
            project_key=key,
            namespace="VCS-VCU",
            first_serial=first,
            last_serial=first + 999,
            recipient=issuer.account,
            vintage_start=dt.date(2020, 1, 1),
            vintage_end=dt.date(2020, 12, 31),
            registry_reference=reference,
        )
        batch = issuer.bridge(issuance).batch_id
        request = RetirementRequest(
            batch, first + 100, first + 149, "Hostile Test", Purpose.VOLUNTARY
        )
        retirements[case] = issuer.retire(request).retirement_id
        batches[case], firsts[case] = batch, first
    Indexer(env.chain.w3, env.engine, env.deployment, confirmations=0).sync()
    yield Bridged(client_for(env.engine), batches, retirements, firsts, issuer.account)


def test_a_reference_that_is_the_batchs_own_serial_names_every_sub_range(
    bridged: Bridged,
) -> None:
    client, batch, first = bridged.client, bridged.batches["own"], bridged.firsts["own"]
    body = get(client, f"/v1/batches/{batch}")
    assert body["registry_serial"] == OWN.with_range(first, first + 999).text()
    ranges = get(client, f"/v1/batches/{batch}/ranges")["items"]
    spans = [(x["first_serial"], x["last_serial"]) for x in ranges]
    assert spans == [(first, first + 99), (first + 100, first + 149), (first + 150, first + 999)]
    assert [x["registry_serial"] for x in ranges] == [OWN.with_range(*x).text() for x in spans]
    retired = OWN.with_range(first + 100, first + 149).text()
    serial = get(client, f"/v1/serials/VCS/{retired}")
    assert serial["registry_serial"] == retired
    assert [x["registry_serial"] for x in serial["ranges"]] == [retired]
    retirement = get(client, f"/v1/retirements/{bridged.retirements['own']}")
    assert retirement["serial_ranges"][0]["registry_serial"] == retired
    for lang in ("en", "zh"):
        certificate = client.get(
            f"/v1/retirements/{bridged.retirements['own']}/certificate",
            params={"lang": lang},
            headers={"Accept": "text/html"},
        )
        assert certificate.status_code == 200 and retired in certificate.text
        pdf = client.get(
            f"/v1/retirements/{bridged.retirements['own']}/certificate",
            params={"lang": lang},
            headers={"Accept": "application/pdf"},
        )
        assert pdf.status_code == 200
        assert _pdf_column_text(pdf.content, retired[:6], 2) == retired
        page = client.get(f"/batches/{batch}", params={"lang": lang})
        assert page.status_code == 200
        assert all(OWN.with_range(*x).text() in page.text for x in spans)
        found = client.get("/serials", params={"q": retired, "lang": lang})
        assert found.status_code == 200 and found.text.count(retired) >= 2
        account = client.get(f"/accounts/{bridged.custody}", params={"lang": lang})
        held = [OWN.with_range(*x).text() for x in (spans[0], spans[2])]
        assert account.status_code == 200 and all(text in account.text for text in held)
    holdings = get(client, f"/v1/accounts/{bridged.custody}/holdings")["items"]
    (own,) = [x for x in holdings if x["batch_id"] == batch]
    assert [x["registry_serial"] for x in own["ranges"]] == held


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_reference_that_is_not_the_batchs_serial_shows_the_numbers_and_no_registry_serial(
    bridged: Bridged, case: str
) -> None:
    client, batch, first = bridged.client, bridged.batches[case], bridged.firsts[case]
    body = get(client, f"/v1/batches/{batch}")
    assert body["registry_reference"] == HOSTILE[case]  # kept as given
    assert body["registry_serial"] is None
    ranges = get(client, f"/v1/batches/{batch}/ranges")["items"]
    assert len(ranges) == 3 and all(x["registry_serial"] is None for x in ranges)
    serial = get(client, f"/v1/serials/VCS/{first + 120}")
    assert serial["batch_id"] == batch and serial["registry_serial"] is None
    assert [x["registry_serial"] for x in serial["ranges"]] == [None]
    retirement_id = bridged.retirements[case]
    retirement = get(client, f"/v1/retirements/{retirement_id}")
    assert retirement["serial_ranges"][0]["registry_serial"] is None
    url = f"/v1/retirements/{retirement_id}/certificate"
    for lang in ("en", "zh"):
        for accept in ("text/html", "application/json", "application/pdf"):
            answer = client.get(url, params={"lang": lang}, headers={"Accept": accept})
            assert answer.status_code == 200, (accept, answer.text[:300])
        html = client.get(url, params={"lang": lang}, headers={"Accept": "text/html"}).text
        assert f"{first + 100}" in html and 'data-field="registry_serial"' not in html
        page = client.get(f"/batches/{batch}", params={"lang": lang})
        assert page.status_code == 200 and f"{first + 150}" in page.text
        assert 'data-field="registry_serial"' not in page.text
        found = client.get(
            "/serials", params={"q": str(first + 120), "program": "VCS", "lang": lang}
        )
        assert found.status_code == 200 and 'data-field="registry_serial"' not in found.text
        account = client.get(f"/accounts/{bridged.custody}", params={"lang": lang})
        assert account.status_code == 200 and f"{first + 150}" in account.text
    holdings = get(client, f"/v1/accounts/{bridged.custody}/holdings")["items"]
    (mine,) = [x for x in holdings if x["batch_id"] == batch]
    assert [x["registry_serial"] for x in mine["ranges"]] == [None, None]


def test_a_batch_carried_to_a_successor_ledger_keeps_its_registry_serial(
    ledger: Ledger, tmp_path: Path
) -> None:
    block = OWN.with_range(1, 1000)  # Verra block 19385's serial, renumbered 1..1000
    issuance = ledger.issuance(1, 1000, namespace="VCS-VCU", reference=block.text())
    ledger.issuer.bridge(issuance)
    ledger.alice.transfer(1, 100, 199, ledger.bob.account)
    moved = _succeed(ledger)
    migration.carry_credits(moved.issuer, moved.successor, "VCS")
    engine = open_store(f"sqlite:///{tmp_path / 'successor.sqlite3'}")
    migrate(engine)
    Indexer(ledger.chain.w3, engine, moved.successor, confirmations=0).sync()
    client = client_for(engine)
    # Each live range is carried as a batch of its own with the block's reference: the
    # reference's block holds it, so each shows its own registry serial.
    served = {
        (x["first_serial"], x["last_serial"]): (x["registry_reference"], x["registry_serial"])
        for x in get(client, "/v1/batches")["items"]
    }
    spans = [(1, 99), (100, 199), (200, 1000)]
    assert served == {span: (block.text(), block.with_range(*span).text()) for span in spans}
    engine.dispose()
