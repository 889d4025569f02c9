"""End-to-end through the typed client: bridge, transfer, retire, audit head from the logs."""

from __future__ import annotations

from chain import audit
from chain.domain import RangeState
from chain.events import decode_logs, event_specs
from tests.conftest import Ledger


def test_bridge_transfer_retire_and_recompute_audit_head(ledger: Ledger) -> None:
    bridged = ledger.issuer.bridge(ledger.issuance(1001, 2000))
    assert bridged.batch_id == 1
    ledger.alice.transfer_quantity(1, 300, ledger.bob.account)
    (retired,) = ledger.bob.retire_quantity(1, 100, "Hilti Corporation")
    assert (retired.first_serial, retired.last_serial) == (1001, 1100)
    assert [(r.first, r.last, r.state) for r in ledger.admin.ranges(1)] == [
        (1001, 1100, RangeState.RETIRED),
        (1101, 1300, RangeState.HELD),
        (1301, 2000, RangeState.HELD),
    ]
    logs = ledger.chain.w3.eth.get_logs({"address": ledger.deployment.address, "fromBlock": 0})
    audited = set(event_specs("ICarbonLedgerEvents"))
    state = audit.recompute(
        ((e.topics, e.data) for e in decode_logs(logs) if e.topics[0] in audited),
        audit.genesis_state(ledger.deployment.chain_id, ledger.deployment.address),
    )
    assert state == ledger.admin.audit_state()


def test_serial_status_locates_any_serial_without_a_hint(ledger: Ledger) -> None:
    ledger.issuer.bridge(ledger.issuance(1, 1000))
    ledger.alice.transfer(1, 400, 499, ledger.bob.account)
    status = ledger.admin.serial_status(1, 450)
    assert (status.first, status.last, status.state) == (400, 499, RangeState.HELD)
    assert status.holder.lower() == ledger.bob.account.lower()
    assert ledger.admin.serial_status(1, 1000).first == 500
