"""audit verify on a live ledger: passes when consistent, names what differs when not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import chain.verify as verify
from chain.verify import verify_chain
from tests.conftest import Ledger


def _busy(ledger: Ledger) -> None:
    ledger.issuer.bridge(ledger.issuance(1, 1000))
    ledger.issuer.bridge(ledger.issuance(5001, 6000, ledger.bob.account))
    ledger.alice.transfer(1, 100, 199, ledger.carol.account)
    ledger.carol.retire_quantity(1, 50, "Hilti Corporation")
    ledger.bob.detokenise(2, 5001, 5010, "VCS-return-1")
    ledger.issuer.cancel(1, ledger.alice.account, 900, 1000, "reversal")


def test_a_consistent_ledger_verifies(ledger: Ledger) -> None:
    _busy(ledger)
    report = verify_chain(ledger.chain.w3, ledger.deployment)
    assert report.ok, report.discrepancies
    assert report.batches == 2
    assert report.audit_seq == ledger.admin.audit_state().seq
    assert report.events == report.audit_seq


def test_a_log_copy_missing_an_event_is_named(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    _busy(ledger)
    real = verify.fetch_logs

    def drop_one(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        logs = list(real(*args, **kwargs))
        del logs[len(logs) // 2]
        return iter(logs)

    monkeypatch.setattr(verify, "fetch_logs", drop_one)
    report = verify_chain(ledger.chain.w3, ledger.deployment)
    assert not report.ok
    first = report.discrepancies[0]
    assert (first.kind, first.field) == ("audit", "seq")
    assert first.block is not None
