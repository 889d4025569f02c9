"""The planner on its own: which actions each row needs, given the rows before it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from chain import registries
from chain.domain import Label, Project, Purpose, RangeState
from chain.importer.model import (
    BlockStatus,
    FileKind,
    RegistryBlock,
    RegistryRetirement,
    RowRef,
    RowRejection,
)
from chain.importer.plan import (
    BridgeOp,
    CancelOp,
    Custody,
    Outcome,
    Planner,
    ProjectOp,
    RetireOp,
    split,
)
from chain.importer.state import LedgerView
from chain.store.engine import open_store

CUSTODY = "0x00000000000000000000000000000000000000c5"
TODAY = 20261124
KENYA = "GS1-1-KE-GS11603-16-2025-30256"


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    return open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")


def planner(store: Engine, **kwargs: object) -> Planner:
    custody = {"GS": Custody(2, CUSTODY), "VCS": "no issuer key for programme VCS"}
    return Planner(LedgerView(store), custody, TODAY, **kwargs)  # type: ignore[arg-type]


_rows = iter(range(2, 10_000))


def block(
    first: int,
    last: int,
    status: BlockStatus = BlockStatus.ISSUED,
    *,
    namespace: str = KENYA,
    kind: FileKind = FileKind.ISSUANCES,
    purpose: Purpose = Purpose.VOLUNTARY,
    labels: Label = Label.NONE,
    retired_on: dt.date | None = dt.date(2026, 4, 10),
) -> RegistryBlock:
    text = f"{namespace}-{first}-{last}"
    serial = registries.parse("gs", text)
    retirement = (
        RegistryRetirement("Hilti Corporation", purpose, "for 2025", retired_on)
        if status is BlockStatus.RETIRED
        else None
    )
    return RegistryBlock(
        source=RowRef("f.csv", next(_rows), kind),
        serial=serial,
        text=text,
        project=Project(serial.project or "", "Kenya cookstoves", "Kenya", "", "EE"),
        vintage_start=dt.date(2025, 1, 1),
        vintage_end=dt.date(2025, 12, 31),
        labels=labels,
        status=status,
        retirement=retirement,
        cancel_reason="cancelled at the Gold Standard registry",
        metadata_hash=b"\x01" * 32,
    )


def kinds(ops: list[object]) -> list[str]:
    return [type(op).__name__ for op in ops]


def test_split_makes_consecutive_parts() -> None:
    assert split(1, 10, 4) == [(1, 4), (5, 8), (9, 10)]
    assert split(7, 7, 4) == [(7, 7)]


def test_a_new_issued_block_registers_its_project_and_is_bridged(store: Engine) -> None:
    p = planner(store)
    first, second = p.plan([block(1, 5485), block(1, 100, namespace=KENYA[:-1] + "7")])
    assert (first.outcome, kinds(first.ops)) == (Outcome.BRIDGED, ["ProjectOp", "BridgeOp"])
    bridge = first.ops[1]
    assert isinstance(bridge, BridgeOp)
    # The reference is the registry serial of exactly the bridged range (it names block 30256).
    assert bridge.issuance.recipient == CUSTODY
    assert bridge.issuance.registry_reference == f"{KENYA}-1-5485"
    assert (bridge.issuance.first_serial, bridge.issuance.last_serial) == (1, 5485)
    assert kinds(second.ops) == ["BridgeOp"]  # same project: registered once


def test_a_retired_block_is_bridged_then_mirrored_with_the_registry_date(store: Engine) -> None:
    (plan,) = planner(store).plan(
        [block(110, 5463, BlockStatus.RETIRED, kind=FileKind.RETIREMENTS)]
    )
    assert (plan.outcome, kinds(plan.ops)) == (
        Outcome.RETIRED,
        ["ProjectOp", "BridgeOp", "RetireOp"],
    )
    retire = plan.ops[2]
    assert isinstance(retire, RetireOp)
    assert (retire.retired_on, retire.range_start, retire.batch) == (20260410, 110, plan.batches[0])
    assert retire.request.beneficiary == "Hilti Corporation" and retire.request.note == "for 2025"
    assert "its issuance row is not in the imported files" in plan.notes[0]


def test_retirements_inside_an_issuance_block_retire_exactly_those_serials(store: Engine) -> None:
    p = planner(store)
    issuance, hilti, more, cancelled = p.plan(
        [
            block(1, 5485),
            block(110, 5463, BlockStatus.RETIRED, kind=FileKind.RETIREMENTS),
            block(5464, 5470, BlockStatus.RETIRED, kind=FileKind.RETIREMENTS),
            block(1, 109, BlockStatus.CANCELLED, kind=FileKind.RETIREMENTS),
        ]
    )
    batch = issuance.batches[0]
    assert kinds(hilti.ops) == ["RetireOp"] and hilti.outcome is Outcome.RETIRED
    assert [(op.batch, op.range_start) for op in hilti.ops + more.ops] == [
        (batch, 1),
        (batch, 5464),
    ]  # type: ignore[union-attr]
    assert "inside batch" in hilti.notes[-1]
    (cancel,) = cancelled.ops
    assert isinstance(cancel, CancelOp) and (cancel.first, cancel.last, cancel.range_start) == (
        1,
        109,
        1,
    )
    assert cancelled.outcome is Outcome.CANCELLED


def test_a_repeated_block_is_already_present(store: Engine) -> None:
    p = planner(store)
    _, again = p.plan([block(1, 5485), block(1, 5485)])
    assert (again.outcome, again.ops) == (Outcome.ALREADY_PRESENT, [])
    (retired,) = p.plan([block(1, 5485, BlockStatus.RETIRED)])
    assert retired.outcome is Outcome.RETIRED and kinds(retired.ops) == ["RetireOp"]
    assert "already bridged" in retired.notes[0]
    (third,) = p.plan([block(1, 5485, BlockStatus.RETIRED)])
    assert (third.outcome, third.ops) == (Outcome.ALREADY_PRESENT, [])


def test_a_block_overlapping_a_batch_differently_is_rejected(store: Engine) -> None:
    p = planner(store)
    _, overlapping = p.plan([block(110, 5463), block(1, 5485)])
    assert overlapping.outcome is Outcome.REJECTED and overlapping.ops == []
    assert "overlap batch" in overlapping.reason and "110..5463" in overlapping.reason


def test_retired_serials_held_live_elsewhere_are_a_conflict(store: Engine) -> None:
    p = planner(store)
    p.plan([block(1, 100)])
    model = p.view.overlapping(2, KENYA, 1, 100)[0]
    model.holdings.move(1, 10, CUSTODY, "0xbb", RangeState.HELD)  # a buyer took ten
    (retired,) = p.plan([block(1, 100, BlockStatus.RETIRED)])
    assert retired.outcome is Outcome.REJECTED
    assert "1..10 are held by 0xbb" in retired.reason


def test_a_block_larger_than_one_batch_is_bridged_in_parts(store: Engine) -> None:
    p = planner(store, batch_limit=1000)
    (plan,) = p.plan([block(1, 2500, BlockStatus.RETIRED)])
    assert kinds(plan.ops) == ["ProjectOp"] + ["BridgeOp", "RetireOp"] * 3
    assert [
        (op.issuance.first_serial, op.issuance.last_serial)
        for op in plan.ops
        if isinstance(op, BridgeOp)
    ] == [
        (1, 1000),
        (1001, 2000),
        (2001, 2500),
    ]
    assert "bridged in 3 consecutive parts" in plan.notes[0]
    (again,) = p.plan([block(1, 2500, BlockStatus.RETIRED)])
    assert again.outcome is Outcome.ALREADY_PRESENT and len(again.batches) == 3


def test_missing_parts_of_a_split_block_are_bridged_on_a_second_run(store: Engine) -> None:
    p = planner(store, batch_limit=1000)
    p.plan([block(1001, 2000)])  # as if a run died after the second part
    (plan,) = p.plan([block(1, 2500)])
    bridged = [
        (op.issuance.first_serial, op.issuance.last_serial)
        for op in plan.ops
        if isinstance(op, BridgeOp)
    ]
    assert bridged == [(1, 1000), (2001, 2500)] and plan.outcome is Outcome.BRIDGED


def test_a_corsia_retirement_without_the_label_is_refused_before_bridging(store: Engine) -> None:
    p = planner(store)
    refused, later = p.plan(
        [
            block(1, 10, BlockStatus.RETIRED, purpose=Purpose.CORSIA),
            block(
                11, 20, BlockStatus.RETIRED, purpose=Purpose.CORSIA, labels=Label.CORSIA_ELIGIBLE
            ),
        ]
    )
    assert refused.outcome is Outcome.REJECTED and refused.ops == []
    assert "CORSIA_ELIGIBLE" in refused.reason and "LabelRequired" in refused.reason
    assert kinds(later.ops) == ["ProjectOp", "BridgeOp", "RetireOp"]  # the view was untouched


def test_dates_the_contract_would_refuse_are_rejected(store: Engine) -> None:
    (future,) = planner(store).plan(
        [block(1, 10, BlockStatus.RETIRED, retired_on=dt.date(2027, 1, 1))]
    )
    assert future.outcome is Outcome.REJECTED and "InvalidDate" in future.reason


def test_rows_of_programmes_the_import_cannot_act_for_are_rejected(store: Engine) -> None:
    vcs = registries.parse(
        "vcs", "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
    )
    row = block(1, 10)
    other = RegistryBlock(**{**row.__dict__, "serial": vcs})
    unreadable = RowRejection(RowRef("f.csv", 9, FileKind.ISSUANCES), "x", "bad serial")
    refused, bad = planner(store).plan([other, unreadable])
    assert (refused.outcome, refused.reason) == (
        Outcome.REJECTED,
        "no issuer key for programme VCS",
    )
    assert (bad.outcome, bad.reason, bad.serial) == (Outcome.REJECTED, "bad serial", "x")


def test_project_ops_carry_the_registry_project(store: Engine) -> None:
    (plan,) = planner(store).plan([block(1, 10)])
    project = plan.ops[0]
    assert isinstance(project, ProjectOp) and project.project.project_id == "11603"
