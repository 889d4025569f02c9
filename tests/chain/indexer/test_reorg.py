"""Reorgs made on anvil with ``evm_snapshot``/``evm_revert``: the same heights filled with
other transactions (other recipients, amounts, ids), so block hashes differ.

Within the confirmation depth the indexer walks back to the common ancestor, undoes every
derived row above it and replays the new blocks; deeper, it stops with ``ReorgTooDeep`` and
leaves the store as it was.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from chain.domain import Label, Project, RangeState, RetirementRequest
from chain.errors import ReorgTooDeep
from chain.indexer.core import Indexer
from chain.store.diff import diff_stores
from chain.units import KILOGRAM
from chain.verify import verify
from cli.main import main
from tests.chain.conftest import EngineOpener, StoreFactory
from tests.chain.indexer.support import (
    AnvilLedger,
    assert_store_matches_chain,
    checkpoint,
    mine,
    revert,
    settle,
    snapshot,
    snapshot_store,
    workload,
)

pytestmark = pytest.mark.anvil

CONFIRMATIONS = 24  # chain A is 23 blocks deep


def chain_a(ledger: AnvilLedger) -> int:
    """Twenty-three blocks touching every derived table, old rows as well as new ones (an old
    batch's ranges, labels and freeze flag; an existing account; an existing role; the pause
    flag); returns the number of blocks made."""
    start = ledger.w3.eth.block_number
    batch = ledger.issuer.bridge(
        ledger.issuance(1000, ledger.alice.account, labels=Label.CCP_APPROVED)
    ).batch_id
    first = ledger.admin.batch(batch).first_serial
    ledger.alice.transfer(batch, first, first + 99, ledger.bob.account)
    ledger.bob.retire(RetirementRequest(batch, first, first + 9, "Chain A retiree"))
    ledger.alice.detokenise(batch, first + 100, first + 109, "A-return")
    ledger.admin.cancel(batch, ledger.alice.account, first + 110, first + 119, "A reversal")
    old = next(
        (b, r)
        for b in range(1, batch)
        for r in ledger.admin.ranges(b)
        if r.state == RangeState.HELD and ledger.client_for(r.holder) in ledger.holders
    )
    holder = ledger.client_for(old[1].holder)
    assert holder is not None
    receiver = ledger.carol if holder is not ledger.carol else ledger.dave
    holder.transfer(old[0], old[1].first, old[1].first, receiver.account)
    # An old batch's labels (one nothing was retired from: a retirement locks them).
    unretired = next(b for b in range(1, batch) if ledger.admin.batch(b).retired == 0)
    ledger.admin.set_labels(unretired, Label.CORSIA_ELIGIBLE)
    ledger.admin.set_account("0x000000000000000000000000000000000000a11a", allowed=True)
    ledger.admin.grant_role(ledger.admin.role("PAUSER_ROLE"), ledger.carol.account)
    aaa = ledger.admin.register_program("AAA")
    ledger.admin.set_program_unit(aaa, KILOGRAM.chain_value)  # a unit chain B never sets
    # A buffer account on an old programme, and a reversal from it: rolled back, the
    # programme has no buffer again and the cancellation row goes.
    pool = ledger.issuer.bridge(ledger.issuance(20, ledger.carol.account)).batch_id
    ledger.admin.set_program_buffer(ledger.vcs, ledger.carol.account)
    low = ledger.admin.batch(pool).first_serial
    ledger.admin.reverse_from_buffer(pool, low, low + 4, batch, "A buffer reversal")
    ledger.issuer.register_project(
        ledger.vcs, Project("A-1", "Chain A project", "BR", "VM0007", "REDD+")
    )
    # A project link (the admin administers VCS and GS): a project_links row chain B lacks.
    gs_key = ledger.gs_issuer.register_project(ledger.gs, Project("GSA1", "A", "BR", "", ""))
    ledger.admin.propose_project_link(gs_key, ledger.project_key)
    ledger.admin.accept_project_link(ledger.project_key, gs_key)
    ledger.admin.set_batch_frozen(1, True)
    ledger.admin.set_account(ledger.bob.account, allowed=True, frozen=True)
    ledger.admin.pause()
    ledger.admin.revoke_role(ledger.admin.role("PAUSER_ROLE"), ledger.admin.account)
    return ledger.w3.eth.block_number - start


def chain_b(ledger: AnvilLedger, blocks: int) -> None:
    """Other transactions at the same heights, padded with empty blocks to ``blocks``."""
    start = ledger.w3.eth.block_number
    batch = ledger.issuer.bridge(
        ledger.issuance(777, ledger.bob.account)
    ).batch_id  # same id as A's batch
    first = ledger.admin.batch(batch).first_serial
    ledger.bob.transfer(batch, first + 5, first + 50, ledger.carol.account)
    ledger.carol.retire(
        RetirementRequest(
            batch,
            first + 5,
            first + 7,
            "Chain B retiree",
            consumption_start=dt.date(2024, 1, 1),
            consumption_end=dt.date(2024, 6, 30),
        )
    )
    ledger.admin.set_account(ledger.dave.account, allowed=True, frozen=True)
    ledger.admin.register_program("BBB")
    made = ledger.w3.eth.block_number - start
    assert made <= blocks
    mine(ledger.w3, blocks - made)


@pytest.fixture
def busy(anvil_ledger: AnvilLedger) -> AnvilLedger:
    settle(anvil_ledger, workload(anvil_ledger, random.Random(41), 10))
    return anvil_ledger


def _equals_the_chain(
    ledger: AnvilLedger, store: sa.Engine, fresh: sa.Engine, confirmations: int
) -> None:
    report = verify(ledger.w3, ledger.deployment, store)
    assert report.ok, [d.message for d in report.discrepancies]
    assert_store_matches_chain(ledger, store)
    Indexer(ledger.w3, fresh, ledger.deployment, confirmations=confirmations).sync()
    assert diff_stores(fresh, store) == []
    want, have = checkpoint(fresh), checkpoint(store)
    want.pop("updated_at"), have.pop("updated_at")
    assert have == want


@pytest.mark.parametrize("extra", [1, 4], ids=["one-block-longer", "four-blocks-longer"])
def test_a_reorg_within_the_confirmations_is_undone_and_replayed(
    busy: AnvilLedger,
    store: sa.Engine,
    store_factory: StoreFactory,
    open_engine: EngineOpener,
    extra: int,
) -> None:
    ledger, w3 = busy, busy.w3
    indexer = Indexer(w3, store, ledger.deployment, confirmations=CONFIRMATIONS)
    indexer.sync()
    fork = snapshot(w3)
    ancestor = w3.eth.block_number
    depth = chain_a(ledger)
    indexer.sync()
    assert checkpoint(store)["block_number"] == ancestor + depth
    assert verify(w3, ledger.deployment, store).ok  # the store followed chain A
    orphaned = "0x" + bytes(w3.eth.get_block(ancestor + 1)["hash"]).hex()

    revert(w3, fork)
    ledger.reset_caches()
    chain_b(ledger, depth + extra)
    assert "0x" + bytes(w3.eth.get_block(ancestor + 1)["hash"]).hex() != orphaned
    indexer.sync()

    assert indexer.reorgs == 1
    _equals_the_chain(ledger, store, open_engine(store_factory()), CONFIRMATIONS)
    with store.connect() as conn:
        codes = conn.execute(sa.text("SELECT code FROM programs")).scalars().all()
        paused = conn.execute(sa.text("SELECT paused FROM checkpoint")).scalar_one()
        links = conn.execute(sa.text("SELECT count(*) FROM project_links")).scalar_one()
    assert "BBB" in codes and "AAA" not in codes
    assert not paused and links == 0


@pytest.mark.parametrize("shorter_by", [0, 3], ids=["same-height", "three-blocks-shorter"])
def test_a_reorg_to_a_chain_no_longer_than_the_old_one_is_followed(
    busy: AnvilLedger,
    store: sa.Engine,
    store_factory: StoreFactory,
    open_engine: EngineOpener,
    shorter_by: int,
) -> None:
    ledger, w3 = busy, busy.w3
    indexer = Indexer(w3, store, ledger.deployment, confirmations=CONFIRMATIONS)
    indexer.sync()
    fork = snapshot(w3)
    depth = chain_a(ledger)
    indexer.sync()

    revert(w3, fork)
    ledger.reset_caches()
    chain_b(ledger, depth - shorter_by)
    indexer.sync()

    _equals_the_chain(ledger, store, open_engine(store_factory()), CONFIRMATIONS)
    assert indexer.reorgs == 1


def test_a_reorg_deeper_than_the_confirmations_stops_loudly_and_keeps_the_store(
    busy: AnvilLedger, store: sa.Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger, w3 = busy, busy.w3
    indexer = Indexer(w3, store, ledger.deployment, confirmations=2)
    indexer.sync()
    fork = snapshot(w3)
    batch = ledger.issuer.bridge(ledger.issuance(50, ledger.alice.account)).batch_id
    ledger.alice.transfer_quantity(batch, 1, ledger.bob.account)
    ledger.admin.set_account("0x000000000000000000000000000000000000a11a", allowed=True)
    ledger.admin.register_program("AAA")  # four blocks: two more than the confirmations
    indexer.sync()
    before = snapshot_store(store)
    last = checkpoint(store)["block_number"]

    revert(w3, fork)
    ledger.reset_caches()
    batch = ledger.issuer.bridge(ledger.issuance(60, ledger.carol.account)).batch_id
    mine(w3, 4)
    with pytest.raises(ReorgTooDeep) as raised:
        indexer.sync()
    message = str(raised.value)
    assert f"block {last}" in message and "confirmations" in message
    assert snapshot_store(store) == before
    assert indexer.reorgs == 0

    # A restart does not diverge either: the CLI refuses the same way, exit 2.
    ledger.deployment.save(tmp_path / "deployment.json")
    url = str(store.url.render_as_string(hide_password=False))
    url = url.replace("postgresql+psycopg://", "postgresql://")
    code = main(
        [
            "index", "--data-dir", str(tmp_path), "--rpc", w3.provider.endpoint_uri,  # type: ignore[attr-defined]
            "--db", url, "--confirmations", "2",
        ]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert f"no longer contains block {last}" in err
    assert snapshot_store(store) == before
