"""The pipeline's parts on the embedded chain: the computed bridging gas, the
part book's hints and overlap refusals, and what happens when the node refuses a transaction."""

from __future__ import annotations

import datetime as dt

import pytest

from api.submission import calls
from api.submission.actions import Plain
from api.submission.parts import HEAD
from chain.domain import Issuance, Project, namespace_id, part_key, project_key
from chain.errors import SerialsAlreadyBridged
from tests.api.conftest import Api, issuance_body
from tests.conftest import Ledger


@pytest.mark.parametrize(("namespace", "reference"), [("N", ""), ("N" * 64, "R" * 128)])
def test_the_computed_bridging_gas_covers_the_extremes(
    ledger: Ledger, namespace: str, reference: str
) -> None:
    fields = ("P" * 64, "n" * 256, "c" * 64, "m" * 256, "t" * 256)  # the largest project
    project = Project(*fields)
    issuer = ledger.issuer
    receipt = issuer.sender.transact(  # type: ignore[union-attr]
        issuer.contract.functions.registerProject(ledger.vcs, project.as_abi())
    )
    assert receipt["gasUsed"] <= calls.project_gas(fields)
    issuance = Issuance(
        ledger.vcs,
        project_key(ledger.vcs, fields[0]),
        namespace,
        10**12,
        10**12 + 10**7,
        ledger.alice.account,
        dt.date(2020, 1, 1),
        dt.date(2020, 12, 31),
        metadata_hash=b"\x11" * 32,
        registry_reference=reference,
    )
    plain = issuer.bridge(issuance)
    assert plain.gas_used <= calls.bridge_gas(namespace, reference)
    # A signed bridging, with the signer's first nonce (the dearest case).
    registry = ledger.gs_issuer  # no signed request before: nonce 0
    ledger.admin.grant_issuer(ledger.vcs, registry.account)
    later = Issuance(
        **{**issuance.__dict__, "first_serial": 2 * 10**12, "last_serial": 2 * 10**12 + 5}
    )
    signed = registry.sign_bridge(later)
    relayed = ledger.bob.bridge_signed(later, signed)
    assert relayed.gas_used <= calls.bridge_gas(namespace, reference, signed=True)


def test_the_part_book_hints_against_parts_in_flight_and_refuses_overlaps(api: Api) -> None:
    ledger = api.ledger
    parts = api.chain.pipeline.ctx.parts
    ns = "VCS-VCU"
    assert parts.reserve(ledger.vcs, ns, 100, 199) == HEAD
    # The next range of the namespace hints at the one in flight, not yet mined.
    assert parts.reserve(ledger.vcs, ns, 200, 299) == part_key(namespace_id(ledger.vcs, ns), 100)
    for first, last in ((150, 160), (50, 100), (299, 400), (0, 1000)):
        with pytest.raises(SerialsAlreadyBridged):
            parts.reserve(ledger.vcs, ns, first, last)
    parts.release(ledger.vcs, ns, 100)  # its bridging failed: the serials are free again
    assert parts.reserve(ledger.vcs, ns, 150, 160) == HEAD
    assert parts.mined_hint(ledger.vcs, ns, 500) == HEAD


def test_the_part_book_learns_what_others_bridged(api: Api) -> None:
    """A part bridged outside the API costs one failed transaction, then is known."""
    ledger = api.ledger
    issuer, holder = api.key("issuer", "VCS"), api.key("holder")
    first = api.post("/v1/issuances", issuer, issuance_body(holder.address or "", 100, 199))
    assert first.status_code == 201
    # The importer (say) bridges next to it, behind the API's back.
    ledger.issuer.bridge(ledger.issuance(200, 299, namespace="VCS-VCU"))
    after = api.post("/v1/issuances", issuer, issuance_body(holder.address or "", 300, 399))
    assert after.status_code == 201, after.text
    assert (
        api.client.get(f"/v1/requests/{after.json()['id']}", headers=issuer.headers).json()[
            "attempts"
        ]
        == 2
    )
    clash = api.post("/v1/issuances", issuer, issuance_body(holder.address or "", 250, 260))
    assert clash.status_code == 409 and clash.json()["tx_hash"] is None  # now the book knows


def test_a_nonce_used_behind_the_pipelines_back_is_signed_again(api: Api) -> None:
    """The operator's key used elsewhere (``carbon-ledger import``, say): the node refuses the
    pipeline's next nonce, and the pipeline signs again with the node's."""
    holder = api.key("holder")  # the operator's next nonce is now cached by the pipeline
    ledger = api.ledger
    ledger.nonces.reset()
    ledger.admin.set_account(ledger.carol.account, frozen=False)  # the operator, directly
    again = api.key("holder")
    assert (
        again.address != holder.address and ledger.admin.account_status(again.address or "").allowed
    )


def test_a_refused_transaction_fails_and_the_next_still_goes(api: Api) -> None:
    """An account that cannot pay for gas: the node refuses; nothing waits behind the gap."""
    pipeline = api.chain.pipeline
    broke = api.chain.custody.create()  # never funded
    to = broke.address.lower()
    refused = pipeline.submit_action(to, Plain(to, b"", calls.TRANSFER_ETH_GAS, 0, what="noop"))
    settled = refused.done.result(timeout=30)
    assert settled.state == "failed" and "refused" in settled.body["detail"]
    funded = pipeline.submit_action(
        api.chain.custody.operator_address,
        Plain(to, b"", calls.TRANSFER_ETH_GAS, 10**18, what="fund"),
    )
    assert funded.done.result(timeout=30).state == "confirmed"
    ok = pipeline.submit_action(to, Plain(to, b"", calls.TRANSFER_ETH_GAS, 0, what="noop"))
    assert ok.done.result(timeout=30).state == "confirmed"


def test_a_rate_limited_transaction_is_signed_again(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A provider in front of the node refuses a broadcast for now: a refusal that may pass
    (``chain.errors.is_retryable``), so the pipeline signs the transaction again rather than
    failing it, as it does for a nonce the node already had."""
    pipeline = api.chain.pipeline
    eth = pipeline.node.w3.eth
    send = eth.send_raw_transaction
    refused: list[bytes] = []

    def rate_limited(raw: bytes) -> object:
        if not refused:
            refused.append(raw)
            raise ValueError({"code": -32005, "message": "rate limit exceeded"})
        return send(raw)

    monkeypatch.setattr(eth, "send_raw_transaction", rate_limited)
    operator = api.chain.custody.operator_address
    noop = Plain(operator, b"", calls.TRANSFER_ETH_GAS, 0, what="noop")
    settled = pipeline.submit_action(operator, noop).done.result(timeout=30)
    assert settled.state == "confirmed", settled.body
    assert len(refused) == 1
