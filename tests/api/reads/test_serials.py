"""GET /v1/serials/{program}/{serial}: real Verra, Gold Standard and CDM serials from the
bundled exports, single serial numbers in every state, and every way to get it wrong."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi.testclient import TestClient

from chain import registries
from tests.api.reads.conftest import Filled
from tests.api.reads.support import get, invalid_fields, walk
from tests.chain.importer.support import GS_ISSUANCES, VERRA, read_rows

VCS_RETIRED = "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
GS_ISSUED = "GS1-1-UG-GS11236-16-2024-30307-1-19149"


def _serials(path: Path) -> list[str]:
    return [row["Serial Number"] for row in read_rows(path)[1]]


def test_a_real_verra_block_retired_at_the_registry(client: TestClient) -> None:
    body = get(client, f"/v1/serials/VCS/{VCS_RETIRED}")
    assert (body["namespace"], body["first_serial"], body["last_serial"]) == (
        "VCS-VCU",
        941467007,
        941467431,
    )
    assert body["scheme"] == "vcs" and body["quantity"] == body["bridged"] == 425
    assert body["status"] == "retired" and body["states"]["retired"] == 425
    (batch,) = body["batches"]
    assert body["batch_id"] == batch["id"] and batch["registry_reference"] == VCS_RETIRED
    # The whole block, and each range, as Verra writes it.
    assert body["registry_serial"] == batch["registry_serial"] == VCS_RETIRED
    assert [x["registry_serial"] for x in body["ranges"]] == [VCS_RETIRED]
    assert batch["project"]["project_id"] == "1340"
    (retirement,) = body["retirements"]
    assert retirement["mirrored"] is True and retirement["quantity"] == 425
    names = [e["name"] for e in body["history"]]
    assert names[0] == "BatchBridged" and "CreditsRetired" in names


def test_a_real_gold_standard_block(client: TestClient) -> None:
    body = get(client, f"/v1/serials/GS/{GS_ISSUED}")
    assert body["namespace"] == "GS1-1-UG-GS11236-16-2024-30307"
    assert (body["first_serial"], body["last_serial"], body["status"]) == (1, 19149, "held")
    assert body["batches"][0]["project"]["project_id"] == "11236"
    # and one serial of it, by number within its namespace
    one = get(client, "/v1/serials/GS/777", namespace=body["namespace"])
    assert one["batch_id"] == body["batch_id"] and one["quantity"] == 1
    assert one["holder"] == body["holder"] and one["status"] == "held"
    # The Gold Standard serial of one serial of the block, and of the block itself.
    assert one["registry_serial"] == "GS1-1-UG-GS11236-16-2024-30307-777-777"
    assert body["registry_serial"] == body["batches"][0]["registry_serial"] == GS_ISSUED


def test_every_bridged_export_serial_resolves_to_its_batch(client: TestClient) -> None:
    programs = set()
    for key, path in (("VCS", VERRA), ("gs", GS_ISSUANCES)):
        for text in _serials(path):
            parsed = registries.parse(key, text)
            programs.add(parsed.program)
            # URL-encoded: CDM units (listed in the Gold Standard export) contain " - "
            body = get(client, f"/v1/serials/{parsed.program}/{quote(text, safe='')}")
            assert body["bridged"] == parsed.quantity, text
            assert (body["first_serial"], body["last_serial"]) == (parsed.first, parsed.last)
            assert sum(body["states"].values()) == parsed.quantity
            assert body["scheme"] == registries.parse(parsed.program, text).scheme
            # Each block was bridged as one batch, which gives back the registry's own string.
            assert body["registry_serial"] == text.strip(), text
    assert programs == {"VCS", "GS", "CDM"}


def test_single_serials_in_every_state(client: TestClient, filled: Filled) -> None:
    f = filled.first
    cases = {
        f: ("held", filled.custody),
        f + 120: ("retired", filled.alice.account),
        f + 155: ("retired", filled.alice.account),
        f + 180: ("held", filled.alice.account),
        f + 230: ("held", filled.bob.account),
        f + 260: ("detokenised", filled.bob.account),
        f + 205: ("cancelled", filled.bob.account),
    }
    for serial, (status, holder) in cases.items():
        body = get(client, f"/v1/serials/vcs/{serial}")  # VCS numbers serials registry-wide
        on_chain = filled.chain.serial_status(filled.batch, serial)
        assert (body["status"], body["holder"]) == (status, holder.lower()), serial
        assert (on_chain.state.label, on_chain.holder.lower()) == (status, holder.lower())
        assert body["batch_id"] == filled.batch and body["states"][status] == 1
        (piece,) = body["ranges"]
        assert piece["first_serial"] <= serial <= piece["last_serial"]


def test_history_is_every_event_that_touched_the_serial(client: TestClient, filled: Filled) -> None:
    serial = filled.first + 120
    body = get(client, f"/v1/serials/VCS/{serial}")
    names = [e["name"] for e in body["history"]]
    assert names == [
        "BatchBridged",
        "SerialsMoved",  # minted to custody
        "SerialsMoved",  # custody -> alice
        "LabelsUpdated",  # before the retirement that relies on them
        "SerialsMoved",  # retired
        "CreditsRetired",
        "BatchFreezeChanged",
        "BatchFreezeChanged",
    ]
    seqs = [e["seq"] for e in body["history"]]
    assert seqs == sorted(seqs)
    # every event of the batch whose range covers the serial, and nothing else
    batch_events = get(client, "/v1/events", batch_id=filled.batch, limit=1000)["items"]

    def covers(event: dict[str, object]) -> bool:
        fields = event["fields"]
        assert isinstance(fields, dict)
        span = fields.get("retirement") or fields.get("issuance") or fields
        if "firstSerial" not in span:
            return True
        return int(span["firstSerial"]) <= serial <= int(span["lastSerial"])

    assert seqs == [e["seq"] for e in batch_events if covers(e)]
    (retirement,) = body["retirements"]
    assert retirement["id"] == filled.retirements[0]
    assert retirement["certificate_url"] == f"/v1/retirements/{retirement['id']}/certificate"


def test_a_span_across_states_is_broken_down(client: TestClient, filled: Filled) -> None:
    f = filled.first
    body = get(client, f"/v1/serials/VCS/{f}", namespace="VCS-VCU")
    assert body["status"] == "held"
    # The batch's whole registry block: every state, several holders.
    block = next(
        t
        for t in _serials(VERRA)
        if registries.parse("VCS", t).first == f and registries.parse("VCS", t).last == filled.last
    )
    whole = get(client, f"/v1/serials/VCS/{block}")
    assert whole["status"] is None and whole["holder"] is None
    assert whole["states"] == {"held": 9880, "retired": 60, "detokenised": 50, "cancelled": 10}
    assert len(whole["ranges"]) == len(filled.chain.ranges(filled.batch))
    assert len(whole["retirements"]) == 2
    cut = get(client, f"/v1/serials/VCS/{block}", limit=2)
    assert len(cut["ranges"]) == 2 and cut["ranges_truncated"] is True
    assert cut["states"] == whole["states"]  # the totals never depend on the page
    short = get(client, f"/v1/serials/VCS/{block}", history_limit=1)
    assert len(short["history"]) == 1 and short["history_truncated"] is True


def test_malformed_serials_are_422_with_the_parsers_reason(client: TestClient) -> None:
    body = get(client, f"/v1/serials/GS/{GS_ISSUED[:-1]}x", 422)
    assert body["errors"][0]["field"] == "path.serial"
    assert "unexpected text after last serial" in body["errors"][0]["message"]
    backwards = VCS_RETIRED.replace("941467007-941467431", "941467431-941467007")
    body = get(client, f"/v1/serials/VCS/{backwards}", 422)
    assert "greater than last serial" in body["errors"][0]["message"]
    assert invalid_fields(client, "/v1/serials/GS/123") == ["query.namespace"]
    assert invalid_fields(client, "/v1/serials/NOPE/ABC-1") == ["path.program"]
    assert invalid_fields(client, "/v1/serials/VCS/12a", namespace="VCS-VCU") == ["path.serial"]
    assert invalid_fields(client, f"/v1/serials/VCS/{2**63}") == ["path.serial"]
    assert invalid_fields(client, "/v1/serials/VCS/١٢٣", namespace="VCS-VCU") == ["path.serial"]
    assert invalid_fields(client, "/v1/serials/VCS/%20") == ["path.serial"]
    assert invalid_fields(client, "/v1/serials/VCS/1", namespace=" ") == ["query.namespace"]
    assert invalid_fields(client, "/v1/serials/V%20S/1") == ["path.program"]


def _lowest_vcs(client: TestClient) -> int:
    return min(b["first_serial"] for b in walk(client, "/v1/batches", program="VCS", limit=500))


def test_serials_not_bridged_are_404(client: TestClient) -> None:
    lowest = _lowest_vcs(client)
    below = registries.parse("VCS", VCS_RETIRED).with_range(lowest - 10, lowest - 1).text()
    for url, params in (
        ("/v1/serials/VCS/5", {}),
        (f"/v1/serials/VCS/{below}", {}),
        ("/v1/serials/GS/5", {"namespace": "GS1-1-XX-GS1-1-2000-1"}),
        ("/v1/serials/ACR/1", {"namespace": "ACR-FR-1129-2025-2917"}),  # not even registered
    ):
        body = get(client, url, 404, **params)
        assert body["title"] == "Not found" and "is not bridged" in body["detail"]


def test_a_block_bridged_only_in_part(client: TestClient) -> None:
    # Verra numbers VCUs registry-wide: below the lowest bridged one, nothing is bridged.
    lowest = _lowest_vcs(client)
    wider = registries.parse("VCS", VCS_RETIRED).with_range(lowest - 7, lowest + 2).text()
    body = get(client, f"/v1/serials/VCS/{wider}")
    assert (body["quantity"], body["bridged"]) == (10, 3)
    assert body["ranges"][0]["first_serial"] == lowest
