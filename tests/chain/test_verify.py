"""audit verify on a live ledger: passes when consistent, names what differs when not."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

import chain.verify as verify
from chain.domain import Issuance, Project
from chain.errors import MissingBlock
from chain.events import event_specs
from chain.indexer.core import Indexer
from chain.indexer.source import BlockHeader, LogSource
from chain.verify import verify_chain
from tests.conftest import Ledger


def _busy(ledger: Ledger) -> None:
    ledger.issuer.bridge(ledger.issuance(1, 1000))
    ledger.issuer.bridge(ledger.issuance(5001, 6000, ledger.bob.account))
    ledger.alice.transfer(1, 100, 199, ledger.carol.account)
    ledger.carol.retire_quantity(1, 50, "Hilti Corporation")
    ledger.bob.detokenise(2, 5001, 5010, "VCS-return-1")
    ledger.admin.cancel(1, ledger.alice.account, 900, 1000, "reversal")


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
        ours = event_specs("ICarbonLedgerEvents")  # OpenZeppelin's own events are not audited
        audited = [i for i, log in enumerate(logs) if bytes(log["topics"][0]) in ours]
        del logs[audited[len(audited) // 2]]
        return iter(logs)

    monkeypatch.setattr(verify, "fetch_logs", drop_one)
    report = verify_chain(ledger.chain.w3, ledger.deployment)
    assert not report.ok
    first = report.discrepancies[0]
    assert (first.kind, first.field) == ("audit", "seq")
    assert first.block is not None


# The store's ``blocks`` rows against a node's headers (``_check_blocks``), with no chain.


class _Node(LogSource):
    """Headers from a list, as a node would give them (``MissingBlock`` past its end)."""

    def __init__(self, headers: list[BlockHeader]) -> None:
        self.headers = {h.number: h for h in headers}

    def header(self, number: int) -> BlockHeader:
        if number not in self.headers:
            raise MissingBlock(f"the node has no block {number}")
        return self.headers[number]


def _chain(first: int, last: int) -> list[BlockHeader]:
    return [
        BlockHeader(n, f"0x{n:064x}", f"0x{n - 1:064x}", 1_000 + n) for n in range(first, last + 1)
    ]


def test_true_blocks_up_to_the_checkpoint_verify_however_many_and_however_far_apart() -> None:
    node = _Node(_chain(1, 20))
    top = node.headers[14].hash
    # As built with 3 or 0 confirmations, or stopped mid catch-up (a row per range read).
    for kept in (_chain(10, 14), _chain(14, 14), [*_chain(8, 8), *_chain(11, 11), *_chain(14, 14)]):
        assert verify._check_blocks(node, 14, top, kept) == []
    assert verify._check_blocks(node, 0, "", []) == []  # not begun: no blocks yet


def test_blocks_the_node_or_the_checkpoint_contradict_are_named() -> None:
    node = _Node(_chain(1, 20))
    top = node.headers[14].hash

    def named(cp_hash: str, kept: list[BlockHeader]) -> list[tuple[int | None, str | None]]:
        return [(d.block, d.field) for d in verify._check_blocks(node, 14, cp_hash, kept)]

    assert named(top, _chain(10, 13)) == [(14, "row")]  # the checkpoint's block is missing
    assert named("0x" + "ab" * 32, _chain(10, 14)) == [(14, "hash")]
    assert named(top, [*_chain(10, 14), *_chain(30, 30)]) == [(30, "row")]  # above it
    past = _Node(_chain(1, 12))  # a node whose chain is shorter than the store's blocks
    found = verify._check_blocks(past, 14, top, _chain(10, 14))
    assert [(d.block, d.field) for d in found] == [(13, "row"), (14, "row")]
    assert "the node has no block 13" in found[0].message
    # A node that contradicts itself (13's parent is not 12) breaks the stored links.
    node.headers[13] = BlockHeader(13, node.headers[13].hash, "0x" + "cd" * 32, 1_013)
    assert named(top, [*_chain(10, 12), node.headers[13], node.headers[14]]) == [
        (13, "parent_hash")
    ]


# The store under audit while its indexer goes on writing.


def test_a_store_its_indexer_writes_to_during_the_verification_verifies_with_its_lag(
    ledger: Ledger, store: sa.Engine
) -> None:
    """The false alarm of a lagging store: the verification re-indexes up to the store's
    checkpoint, then diffs; the indexer commits more blocks in between (here exactly then, at
    the progress message before the diff). Read as one snapshot, the store is still the one
    of that checkpoint: ok, with the lag reported, not rows "not on the chain"."""
    w3 = ledger.chain.w3
    ledger.issuer.bridge(ledger.issuance(1, 1000))
    Indexer(w3, store, ledger.deployment, confirmations=0).sync()
    at = w3.eth.block_number
    ledger.alice.transfer(1, 100, 199, ledger.carol.account)
    ledger.carol.retire_quantity(1, 50, "Hilti Corporation")
    moved: list[int] = []

    def meanwhile(message: str) -> None:
        if message.startswith("diffing"):  # the indexer beside the verification catches up
            moved.append(Indexer(w3, store, ledger.deployment, confirmations=0).sync().block)

    report = verify.verify(w3, ledger.deployment, store, progress=meanwhile)
    assert moved == [w3.eth.block_number]  # the store did move on during the diff
    assert report.ok, report.discrepancies
    assert (report.store_block, report.chain_head, report.lag_blocks) == (
        at,
        at + 2,
        2,
    )
    assert report.indexer_error is None
    assert verify.verify(w3, ledger.deployment, store).lag_blocks == 0


def test_the_long_steps_count_up_to_their_totals(ledger: Ledger, store: sa.Engine) -> None:
    """``count`` follows the batches compared and the blocks re-indexed to their ends (what
    ``audit verify``'s progress bars show)."""
    w3 = ledger.chain.w3
    _busy(ledger)
    Indexer(w3, store, ledger.deployment, confirmations=0).sync()
    counted: dict[str, list[tuple[int, int]]] = {}
    report = verify.verify(
        w3,
        ledger.deployment,
        store,
        count=lambda step, done, total: counted.setdefault(step, []).append((done, total)),
    )
    assert report.ok, report.discrepancies
    assert counted["batches compared"] == [(1, 2), (2, 2)]
    reindexed = counted["blocks re-indexed"]
    assert reindexed[-1] == (report.store_block, report.store_block)
    assert [done for done, _ in reindexed] == sorted(done for done, _ in reindexed)


# Cross-programme overlaps of linked projects.


def test_a_period_issued_under_two_linked_programmes_is_reported(
    ledger: Ledger, store: sa.Engine
) -> None:
    """Bridged under VCS and under GS before the two projects were linked (the contract
    refuses such a bridging only once they are): audit verify names both batches."""
    w3 = ledger.chain.w3
    gs_key = ledger.gs_issuer.register_project(ledger.gs, Project("GS1340", "Bale", "ET", "", ""))

    def gs_block(first: int, last: int, start: dt.date, end: dt.date) -> Issuance:
        return dataclasses.replace(
            ledger.issuance(first, last),
            program_id=ledger.gs,
            project_key=gs_key,
            namespace="GS1-1-ET-GS1340",
            vintage_start=start,
            vintage_end=end,
        )

    ledger.issuer.bridge(ledger.issuance(1, 100))  # VCS 1340, 2020
    ledger.gs_issuer.bridge(gs_block(1, 50, dt.date(2020, 7, 1), dt.date(2021, 6, 30)))
    ledger.admin.propose_project_link(gs_key, ledger.project_key)
    ledger.admin.accept_project_link(ledger.project_key, gs_key)
    # Since the link, an adjacent period is fine (and an overlapping one refused on-chain).
    ledger.gs_issuer.bridge(gs_block(51, 60, dt.date(2021, 7, 1), dt.date(2021, 12, 31)))
    Indexer(w3, store, ledger.deployment, confirmations=0).sync()
    report = verify.verify(w3, ledger.deployment, store)
    assert not report.ok
    (found,) = report.discrepancies
    assert (found.kind, found.event, found.field) == ("link", "BatchBridged", "vintage")
    assert found.message == (
        "link group 1: batch 1 (VCS 1340, 20200101-20201231) and batch 2 "
        "(GS GS1340, 20200701-20210630) overlap: the same period issued under two programmes"
    )


def test_linked_projects_without_overlap_verify(ledger: Ledger, store: sa.Engine) -> None:
    w3 = ledger.chain.w3
    gs_key = ledger.gs_issuer.register_project(ledger.gs, Project("GS1340", "Bale", "ET", "", ""))
    ledger.admin.propose_project_link(gs_key, ledger.project_key)
    ledger.admin.accept_project_link(ledger.project_key, gs_key)
    ledger.issuer.bridge(ledger.issuance(1, 100))  # VCS 1340, 2020
    ledger.issuer.bridge(ledger.issuance(101, 200))  # VCS again: one programme never conflicts
    Indexer(w3, store, ledger.deployment, confirmations=0).sync()
    report = verify.verify(w3, ledger.deployment, store)
    assert report.ok, report.discrepancies
