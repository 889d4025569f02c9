"""From registry blocks to ledger actions, decided only from the files and the ledger's state.

For each block, in file order (``docs/IMPORT.md`` has the full rules):

- **not bridged** (no serial of it is): register its project if needed, bridge it into the
  registry's custody account (the programme's issuer account), one batch per block, or
  consecutive parts of at most ``MAX_BATCH_QUANTITY`` tonnes; then, if the registry shows it
  retired, mirror the retirement (``recordRegistryRetirement``: beneficiary, purpose, note and
  the registry's date, marked mirrored), or if cancelled, cancel it with its reason;
- **bridged with exactly that range** (or exactly its parts): already present; serials the
  registry shows retired or cancelled that are still live in custody are mirrored now;
- **inside one bridged batch** (a Gold Standard retirement of part of an issuance block):
  those serials, and only those, are retired or cancelled in it;
- **overlapping bridged serials any other way**: rejected, naming the batch.

Because the plan depends only on the files and the current state, an import interrupted at any
point and run again plans exactly the actions the first run had not yet made.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from chain.canonical import REFERENCE
from chain.domain import (
    MAX_BATCH_QUANTITY,
    Issuance,
    Label,
    Project,
    Purpose,
    RangeState,
    RetirementRequest,
    project_key,
)
from chain.errors import RowRejected
from chain.importer.model import BlockStatus, FileKind, RegistryBlock, RowRef, RowRejection
from chain.importer.state import BatchModel, LedgerView
from chain.succession import PredecessorSerials


class Outcome(enum.StrEnum):
    """What the import did (or does) with a row."""

    BRIDGED = "bridged"
    RETIRED = "retired"
    CANCELLED = "cancelled"
    ALREADY_PRESENT = "already_present"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ProjectOp:
    program: str
    program_id: int
    project: Project


@dataclass(frozen=True)
class BridgeOp:
    program: str
    placeholder: int
    issuance: Issuance  # recipient: custody; program id and project key resolved


@dataclass(frozen=True)
class RetireOp:
    program: str
    batch: int  # a batch id, or a placeholder (negative) of a bridging in this plan
    range_start: int
    request: RetirementRequest  # its batch_id is ``batch`` until resolved
    retired_on: int  # YYYYMMDD


@dataclass(frozen=True)
class CancelOp:
    program: str
    batch: int
    holder: str
    first: int
    last: int
    range_start: int
    reason: str


Op = ProjectOp | BridgeOp | RetireOp | CancelOp


@dataclass
class RowPlan:
    """One row's planned outcome and the actions it needs (none when already present)."""

    index: int
    source: RowRef
    serial: str
    block: RegistryBlock | None
    outcome: Outcome
    ops: list[Op] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reason: str = ""


@dataclass(frozen=True)
class Custody:
    """A programme the import can act for: its id, its issuer (= custody) account, and its
    buffer account (``setProgramBuffer``; ``None`` while the programme has none)."""

    program_id: int
    address: str
    buffer: str | None = None


BUFFER_NOTE = "buffer pool share of the issuance: bridged to the programme's buffer account"
"""The report's note on a buffer block (Isometric's buffer pool share, Cercarbono's
``is_buffer`` serial): bridged as its own batch to the programme's buffer account, where a
reversal (``reverseFromBuffer``) cancels from."""

PURPOSE_LABEL = {Purpose.CORSIA: Label.CORSIA_ELIGIBLE, Purpose.ARTICLE6: Label.ARTICLE6_AUTHORISED}


def split(first: int, last: int, limit: int = MAX_BATCH_QUANTITY) -> list[tuple[int, int]]:
    """``first..last`` as consecutive parts of at most ``limit`` serials."""
    return [(f, min(f + limit - 1, last)) for f in range(first, last + 1, limit)]


class Planner:
    """Plans rows against a :class:`LedgerView` (which it updates as it plans).

    ``custody`` maps each programme code the import may act for to its :class:`Custody`, or
    to the reason it cannot (no key, no role, ...); ``today`` is the chain's date (YYYYMMDD):
    the contract refuses retirement dates after it.
    """

    def __init__(
        self,
        view: LedgerView,
        custody: Mapping[str, Custody | str],
        today: int,
        *,
        batch_limit: int = MAX_BATCH_QUANTITY,
        predecessor: PredecessorSerials | None = None,
    ) -> None:
        self.view = view
        self.custody = custody
        self.today = today
        self.batch_limit = batch_limit
        self.predecessor = predecessor
        """On a successor ledger: its predecessor's serials, never bridged again here."""

    def plan(self, rows: Sequence[RegistryBlock | RowRejection]) -> list[RowPlan]:
        plans = []
        for index, row in enumerate(rows):
            if isinstance(row, RowRejection):
                plans.append(
                    RowPlan(
                        index, row.source, row.serial, None, Outcome.REJECTED, reason=row.reason
                    )
                )
                continue
            plan = RowPlan(index, row.source, row.text, row, Outcome.ALREADY_PRESENT)
            try:
                self._plan_block(row, plan)
            except RowRejected as exc:
                plan.outcome, plan.reason, plan.ops = Outcome.REJECTED, exc.reason, []
            if row.buffer and plan.outcome is not Outcome.REJECTED:
                plan.notes.append(BUFFER_NOTE)
            plans.append(plan)
        return plans

    # ------------------------------------------------------------ one block

    def _plan_block(self, block: RegistryBlock, plan: RowPlan) -> None:
        """Validate everything first, then record the actions in the view (so a rejected row
        leaves the view as it was)."""
        custody = self.custody.get(block.program)
        if custody is None:
            raise RowRejected(f"programme {block.program} is not handled by this import")
        if isinstance(custody, str):
            raise RowRejected(custody)
        self._check_record(block)
        existing = self.view.overlapping(
            custody.program_id, block.namespace, block.first, block.last
        )
        if (
            len(existing) == 1
            and existing[0].first <= block.first <= block.last <= existing[0].last
        ):
            batch = existing[0]
            runs = self._status_runs(block, batch, block.first, block.last, custody)
            self._complete(block, plan, batch, runs, custody)
            if (batch.first, batch.last) == (block.first, block.last):
                self._note_labels(block, plan, batch)
            else:
                plan.notes.append(f"inside batch {_shown(batch)} ({batch.first}..{batch.last})")
            return
        parts = split(block.first, block.last, self.batch_limit)
        by_range = {(b.first, b.last): b for b in existing}
        for b in existing:
            if (b.first, b.last) not in set(parts):
                raise RowRejected(
                    f"serials {block.first}..{block.last} overlap batch {_shown(b)} "
                    f"({b.first}..{b.last}) of namespace {block.namespace}, bridged as a "
                    "different block"
                )
        present = {
            part: self._status_runs(block, by_range[part], *part, custody)
            for part in parts
            if part in by_range
        }
        if len(present) < len(parts):
            if self.predecessor is not None:
                for part in parts:
                    why = part not in present and self.predecessor.overlap(
                        block.program, block.namespace, *part
                    )
                    if why:
                        raise RowRejected(why)
            if not block.project.project_id:
                raise RowRejected("the serial names no project, so the block cannot be bridged")
            self._check_labels(block, block.labels, "the block")
        if len(parts) > 1:
            plan.notes.append(
                f"{block.quantity} t exceed one batch: bridged in {len(parts)} consecutive parts "
                f"of at most {self.batch_limit} t"
            )
        for part in parts:
            if part in present:
                self._complete(block, plan, by_range[part], present[part], custody)
            else:
                self._bridge(block, plan, *part, custody)
        if not existing and block.source.kind is not FileKind.ISSUANCES:
            plan.notes.append(
                "its issuance row is not in the imported files: bridged from its own serial block"
            )

    def _check_record(self, block: RegistryBlock) -> None:
        """What the contract would refuse in a mirrored retirement, found before any bridging."""
        if block.status is not BlockStatus.RETIRED or block.retirement is None:
            return
        day = block.retirement.retired_on
        if day is None:
            raise RowRejected("retired at the registry, but the row gives no retirement date")
        value = day.year * 10000 + day.month * 100 + day.day
        if value > self.today:
            raise RowRejected(
                f"retirement date {day.isoformat()} is after the ledger's date today "
                f"({self.today}); the contract refuses it (InvalidDate)"
            )
        if day.year < 1900:
            raise RowRejected(
                f"retirement date {day.isoformat()} is before 1900; the contract refuses it "
                "(InvalidDate)"
            )

    def _bridge(
        self, block: RegistryBlock, plan: RowPlan, first: int, last: int, custody: Custody
    ) -> None:
        key = project_key(custody.program_id, block.project.project_id)
        if not self.view.project_known(key):
            if not block.project.name:
                raise RowRejected(
                    f"project {block.project.project_id} is not on the ledger yet and the row "
                    "gives no project name to register it with"
                )
            plan.ops.append(ProjectOp(block.program, custody.program_id, block.project))
            self.view.note_project(key)
        recipient = custody.address
        if block.buffer:
            if custody.buffer is None:
                raise RowRejected(
                    f"the row is the buffer pool share of an issuance, but programme "
                    f"{block.program} has no buffer account: its programme admin sets one "
                    f"(carbon-ledger programme buffer {block.program} ADDRESS)"
                )
            recipient = custody.buffer
        model = self.view.plan_batch(
            custody.program_id, block.namespace, first, last, block.labels, recipient
        )
        issuance = Issuance(
            program_id=custody.program_id,
            project_key=key,
            namespace=block.namespace,
            first_serial=first,
            last_serial=last,
            recipient=recipient,
            vintage_start=block.vintage_start,
            vintage_end=block.vintage_end,
            labels=block.labels,
            metadata_hash=block.metadata_hash,
            registry_reference=_reference(block, first, last),
        )
        plan.ops.append(BridgeOp(block.program, model.id, issuance))
        plan.batches.append(model.id)
        plan.outcome = _DONE[block.status]
        runs = [] if block.status is BlockStatus.ISSUED else [(first, last)]
        self._apply(block, plan, model, runs, custody)

    def _complete(
        self,
        block: RegistryBlock,
        plan: RowPlan,
        batch: BatchModel,
        runs: list[tuple[int, int]],
        custody: Custody,
    ) -> None:
        plan.batches.append(batch.id)
        if runs:
            plan.outcome = _DONE[block.status]
            plan.notes.append(
                f"already bridged; the registry's {block.status.value} serials were still live "
                "in custody and are mirrored now"
            )
        self._apply(block, plan, batch, runs, custody)

    # ------------------------------------------------------------ status

    def _status_runs(
        self, block: RegistryBlock, batch: BatchModel, first: int, last: int, custody: Custody
    ) -> list[tuple[int, int]]:
        """The runs of ``first..last`` in ``batch`` to retire or cancel now: what the registry
        shows retired or cancelled and custody still holds live. Rejects the row if anything
        else holds them, or if the contract would refuse the retirement."""
        if block.status is BlockStatus.ISSUED:
            return []
        want = _STATE[block.status]
        holder = custody.address.lower()
        runs: list[tuple[int, int]] = []
        conflicts = []
        for p in batch.pieces(first, last):
            if p.state is want:
                continue
            if p.state is RangeState.HELD and p.holder.lower() == holder:
                if runs and runs[-1][1] + 1 == p.first:
                    runs[-1] = (runs[-1][0], p.last)
                else:
                    runs.append((p.first, p.last))
                continue
            held_by = f" by {p.holder}" if p.state is RangeState.HELD else ""
            conflicts.append(f"{p.first}..{p.last} are {p.state.label}{held_by}")
        if conflicts:
            raise RowRejected(
                f"the registry shows these serials {block.status.value}, but on-chain "
                + "; ".join(conflicts)
            )
        if runs and want is RangeState.RETIRED:
            if batch.frozen:
                raise RowRejected(f"batch {_shown(batch)} is frozen: its serials cannot be retired")
            self._check_labels(block, batch.labels, f"batch {_shown(batch)}")
        return runs

    def _apply(
        self,
        block: RegistryBlock,
        plan: RowPlan,
        batch: BatchModel,
        runs: list[tuple[int, int]],
        custody: Custody,
    ) -> None:
        holder = custody.address.lower()
        for first, last in runs:
            start = batch.range_start(first)
            plan.ops.append(self._status_op(block, batch, first, last, start, custody))
            batch.holdings.move(first, last, holder, holder, _STATE[block.status])
        if block.status is BlockStatus.ISSUED:
            for p in batch.pieces(block.first, block.last):
                if p.state is RangeState.CANCELLED:
                    plan.notes.append(
                        f"serials {p.first}..{p.last} are cancelled on-chain although the "
                        "registry lists them as issued"
                    )

    def _status_op(
        self,
        block: RegistryBlock,
        batch: BatchModel,
        first: int,
        last: int,
        start: int,
        custody: Custody,
    ) -> Op:
        if block.status is BlockStatus.CANCELLED:
            return CancelOp(
                block.program, batch.id, custody.address, first, last, start, block.cancel_reason
            )
        record = block.retirement
        assert record is not None and record.retired_on is not None
        day = record.retired_on
        request = RetirementRequest(
            batch_id=batch.id,
            first_serial=first,
            last_serial=last,
            beneficiary=record.beneficiary,
            purpose=record.purpose,
            note=record.note,
        )
        return RetireOp(
            block.program, batch.id, start, request, day.year * 10000 + day.month * 100 + day.day
        )

    def _check_labels(self, block: RegistryBlock, labels: Label, what: str) -> None:
        if block.retirement is None or block.status is not BlockStatus.RETIRED:
            return
        needed = PURPOSE_LABEL.get(block.retirement.purpose)
        if needed is not None and not labels & needed:
            raise RowRejected(
                f"the registry recorded a {block.retirement.purpose.name} retirement, but {what} "
                f"lacks the {needed.name} label; the contract refuses it (LabelRequired)"
            )

    def _note_labels(self, block: RegistryBlock, plan: RowPlan, batch: BatchModel) -> None:
        if batch.labels != block.labels:
            plan.notes.append(
                f"labels differ: batch {_shown(batch)} has {_labels(batch.labels)}, the row says "
                f"{_labels(block.labels)} (left unchanged)"
            )


_STATE = {BlockStatus.RETIRED: RangeState.RETIRED, BlockStatus.CANCELLED: RangeState.CANCELLED}

_DONE = {
    BlockStatus.ISSUED: Outcome.BRIDGED,
    BlockStatus.RETIRED: Outcome.RETIRED,
    BlockStatus.CANCELLED: Outcome.CANCELLED,
}


def _shown(batch: BatchModel) -> str:
    return "planned earlier in this import" if batch.planned else str(batch.id)


def _labels(labels: Label) -> str:
    names = [m.name for m in Label if m and labels & m and m.name]
    return "+".join(n for n in names if n) or "none"


def _reference(block: RegistryBlock, first: int, last: int) -> str:
    """The registry reference a bridged range carries: the registry serial of exactly
    ``first..last`` (it names the registry's block too, and lets pages and certificates show
    the registry serial of any sub-range, ``chain.registries.range_serial``); the bare block
    reference if that serial is longer than the contract accepts."""
    text = block.serial.with_range(first, last).text()
    return text if len(text.encode("utf-8")) <= REFERENCE else block.reference
