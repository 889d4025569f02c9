"""The indexer records why it stopped, in the store, naming the event that caused it, and
clears the record when it runs again; ``audit verify`` fails on a store so stopped, and on one
further behind the chain than its bound, and passes one that merely lags.

The forced error is a real one: a retirements row put in the store by hand, with the id of the
chain's next retirement, so the indexer cannot insert that retirement's row."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from web3 import Web3

from chain.indexer import halt
from chain.indexer.core import Indexer
from chain.store import schema as s
from chain.transactions import NonceManager
from cli.main import main
from tests.chain.indexer.support import (
    AnvilLedger,
    deploy_anvil_ledger,
    insert_row,
    mine,
    rows,
)

pytestmark = pytest.mark.anvil
REFUSED = (sa.exc.IntegrityError, psycopg.errors.IntegrityError)
"""What the store raises for the row in the way (PostgreSQL's COPY raises psycopg's own)."""


@pytest.fixture
def fresh(anvil_w3: Web3, anvil_nonces: NonceManager, tmp_path: Path) -> tuple[AnvilLedger, Path]:
    """A new ledger on the module's anvil, with one holding of 1,000 t and one retirement."""
    ledger = deploy_anvil_ledger(anvil_w3, anvil_nonces)
    ledger.issuer.bridge(ledger.issuance(1000, ledger.alice.account))
    ledger.alice.retire_quantity(1, 10, "Hilti Corporation")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    ledger.deployment.save(data_dir / "deployment.json")
    return ledger, data_dir


def _recorded(engine: sa.Engine) -> halt.Halt | None:
    with engine.connect() as conn:
        return halt.read(conn)


def _verify(
    data_dir: Path, ledger: AnvilLedger, db: str, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str]:
    capsys.readouterr()
    rpc = ledger.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    code = main(["audit", "verify", "--data-dir", str(data_dir), "--rpc", rpc, "--db", db, *extra])
    return code, capsys.readouterr().out


def _block_the_next_retirement(engine: sa.Engine) -> dict[str, object]:
    """Put in the store the row the chain's next retirement (id 2) will need; returns it."""
    taken = dict(rows(engine, s.retirements)[0], id=2)
    insert_row(engine, s.retirements, taken)
    return taken


def test_a_store_that_refuses_an_event_records_the_halt_and_clears_it_once_it_runs_again(
    fresh: tuple[AnvilLedger, Path], store: sa.Engine
) -> None:
    ledger, _ = fresh
    indexer = Indexer(ledger.w3, store, ledger.deployment, confirmations=0)
    indexer.sync()
    assert _recorded(store) is None
    taken = _block_the_next_retirement(store)
    before = indexer.checkpoint()
    ledger.alice.retire_quantity(1, 20, "Kering")
    with pytest.raises(REFUSED):
        indexer.sync()
    recorded = _recorded(store)
    assert recorded is not None
    # Nothing of the failed block was written.
    assert rows(store, s.events)[-1]["seq"] == before.audit_seq
    # The retirement's SerialsMoved went in cleanly; its CreditsRetired row is the one refused.
    assert (recorded.block, recorded.seq, recorded.event) == (
        ledger.w3.eth.block_number,
        before.audit_seq + 2,
        "CreditsRetired",
    )
    assert "retirements" in recorded.error  # the database's own words: the table, the key
    assert recorded.describe().startswith(
        f"the indexer stopped at block {recorded.block} (seq {recorded.seq}, CreditsRetired): "
    )
    assert indexer.checkpoint() == before  # the store stays whole at its checkpoint

    # A new indexer (as serve starts again) fails the same way, and says so again.
    with pytest.raises(REFUSED):
        Indexer(ledger.w3, store, ledger.deployment, confirmations=0).sync()
    assert _recorded(store) is not None

    with store.begin() as conn:  # the operator removes the row that was in the way
        conn.execute(s.retirements.delete().where(s.retirements.c.id == taken["id"]))
    Indexer(ledger.w3, store, ledger.deployment, confirmations=0).sync()
    assert _recorded(store) is None
    assert [r["beneficiary"] for r in rows(store, s.retirements)] == [
        "Hilti Corporation",
        "Kering",
    ]


def test_audit_verify_fails_on_a_stopped_store_naming_the_halt_and_its_event(
    fresh: tuple[AnvilLedger, Path],
    store: sa.Engine,
    store_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ledger, data_dir = fresh
    Indexer(ledger.w3, store, ledger.deployment, confirmations=0).sync()
    taken = _block_the_next_retirement(store)
    ledger.alice.retire_quantity(1, 20, "Kering")
    with pytest.raises(REFUSED):
        Indexer(ledger.w3, store, ledger.deployment, confirmations=0).sync()
    with store.begin() as conn:  # the hand-made row alone would be a store discrepancy
        conn.execute(s.retirements.delete().where(s.retirements.c.id == taken["id"]))

    code, out = _verify(data_dir, ledger, store_url, capsys)
    assert code == 1, out
    assert out.startswith(f"FAILED: block {ledger.w3.eth.block_number}, event CreditsRetired, ")
    assert "field halt: the indexer stopped at block" in out and "retirements" in out

    code, out = _verify(data_dir, ledger, store_url, capsys, "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    assert report["indexer_error"]["event"] == "CreditsRetired"
    assert "retirements" in report["indexer_error"]["error"]
    assert report["chain_head"] == ledger.w3.eth.block_number
    assert report["lag_blocks"] == 1 and report["store_block"] == report["chain_head"] - 1
    assert [d["kind"] for d in report["discrepancies"]] == ["indexer"]


def test_audit_verify_passes_a_store_that_lags_within_the_bound_and_fails_one_past_it(
    fresh: tuple[AnvilLedger, Path],
    store: sa.Engine,
    store_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ledger, data_dir = fresh
    Indexer(ledger.w3, store, ledger.deployment, confirmations=0).sync()
    at = ledger.w3.eth.block_number
    ledger.alice.retire_quantity(1, 20, "Kering")  # not in the store: verified up to its block
    mine(ledger.w3, 4)

    code, out = _verify(data_dir, ledger, store_url, capsys, "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True, out
    assert (report["store_block"], report["chain_head"], report["lag_blocks"]) == (at, at + 5, 5)
    assert report["indexer_error"] is None and report["max_lag_blocks"] == 120
    code, out = _verify(data_dir, ledger, store_url, capsys)
    assert code == 0 and f"store at block {at} of chain head {at + 5} (5 blocks behind" in out

    code, out = _verify(data_dir, ledger, store_url, capsys, "--max-lag-blocks", "4")
    assert code == 1
    assert out.startswith(f"FAILED: block {at}, event checkpoint, field block_number: ")
    assert f"the store is at block {at}, 5 blocks behind the chain head {at + 5}" in out
    assert "more than the 4 allowed (--max-lag-blocks)" in out
