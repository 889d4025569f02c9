"""Reconciling a registry export with the ledger, row by row and to the tonne.

Each readable row's serial block must be bridged, every serial of it (in one batch, in its
parts, or inside a larger batch), and its status must agree:

- a block the registry shows **retired** must be retired on-chain, every serial of it (by the
  registry's mirrored retirement, or by a holder: both are counted);
- a block it shows **cancelled** must be cancelled on-chain;
- a block it shows **issued** may be held by anyone, or retired or detokenised by a holder since
  it was bridged; serials retired by a mirrored retirement or cancelled while the row says
  issued mean the chain has a later snapshot than the file: noted, not a discrepancy;
- an issuance export lists whole blocks, so a batch it touches must hold no serial that none of
  its rows describes (a retirement export's rows may lie inside larger batches).

Rows that cannot be read are discrepancies (they cannot be on the ledger as the file states
them); rows of an export that publishes no serials are listed as not compared. Totals: the
file's distinct serials per status (as in the import report) against the chain's states of the
same serials; they must match to the tonne. The store is read (``audit verify`` checks the
store against the chain in the same run).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from chain.importer.model import BlockStatus, FileKind, RegistryBlock
from chain.importer.readers import ExportFile, read_export
from chain.importer.report import TONNES_KEYS, segments
from chain.importer.state import LedgerView
from chain.store import schema as s
from chain.units import TONNE, Unit, tonnes_text

if TYPE_CHECKING:
    from web3 import Web3

    from chain.deployment import Deployment
    from chain.verify import VerificationReport

STATES = ("held", "retired", "detokenised", "cancelled")


@dataclass
class Tally:
    """The chain's tonnes over some serials: per state, not bridged, and mirrored retirements."""

    held: int = 0
    retired: int = 0
    detokenised: int = 0
    cancelled: int = 0
    missing: int = 0
    mirrored: int = 0
    gaps: list[tuple[int, int]] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)

    @property
    def bridged(self) -> int:
        return self.held + self.retired + self.detokenised + self.cancelled

    def add(self, other: Tally) -> None:
        for name in (*STATES, "missing", "mirrored"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_json(self) -> dict[str, int]:
        return {
            "bridged": self.bridged,
            **{n: getattr(self, n) for n in STATES},
            "retired_mirrored": self.mirrored,
            "not_bridged": self.missing,
        }


class ChainSerials:
    """Tallies serial ranges against the store (batches, holding ranges, retirements)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.view = LedgerView(engine)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(s.programs.c.code, s.programs.c.id, s.programs.c.unit_grams)
            ).all()
            self.programs = {str(code): int(pid) for code, pid, _ in rows}
            self.units = {str(code): Unit(int(grams)) for code, _, grams in rows}
        self._mirrored: dict[int, list[tuple[int, int]]] = {}

    def tally(self, program: str, namespace: str, first: int, last: int) -> Tally:
        out = Tally()
        program_id = self.programs.get(program)
        if program_id is None:
            out.missing, out.gaps = last - first + 1, [(first, last)]
            return out
        cursor = first
        for batch in self.view.overlapping(program_id, namespace, first, last):
            out.batches.append(batch.id)
            if batch.first > cursor:
                out.gaps.append((cursor, batch.first - 1))
            for piece in batch.pieces(first, last):
                setattr(out, piece.state.label, getattr(out, piece.state.label) + piece.quantity)
            for a, b in self._mirrored_ranges(batch.id):
                lo, hi = max(a, first), min(b, last)
                out.mirrored += max(0, hi - lo + 1)
            cursor = max(cursor, batch.last + 1)
        if cursor <= last:
            out.gaps.append((cursor, last))
        out.missing = sum(b - a + 1 for a, b in out.gaps)
        return out

    def _mirrored_ranges(self, batch_id: int) -> list[tuple[int, int]]:
        if batch_id not in self._mirrored:
            r = s.retirements
            query = sa.select(r.c.first_serial, r.c.last_serial).where(
                r.c.batch_id == batch_id, r.c.mirrored.is_(True)
            )
            with self.engine.connect() as conn:
                self._mirrored[batch_id] = [(int(a), int(b)) for a, b in conn.execute(query)]
        return self._mirrored[batch_id]


@dataclass(frozen=True)
class RowCheck:
    file: str
    row: int
    serial: str
    registry_status: str
    quantity: int
    chain: dict[str, int]
    batches: list[int]
    problems: list[str]
    notes: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Reconciliation:
    file: str
    registry: str
    kind: str
    rows: list[RowCheck]
    unreadable: list[tuple[int, str]]
    not_compared: list[tuple[int, str]]
    file_tonnes: dict[str, int]
    """Serials per status the file gives (tonnes where the programme counts tonnes)."""
    chain_tonnes: dict[str, int]
    totals_match: bool
    file_tonnes_exact: dict[str, Decimal] = field(default_factory=dict)
    """``file_tonnes`` in exact tonnes (each programme's unit, ``chain.units``)."""

    @property
    def discrepancies(self) -> list[tuple[int, str]]:
        found = [(r, f"cannot be read: {reason}") for r, reason in self.unreadable]
        found += [(c.row, p) for c in self.rows for p in c.problems]
        if not self.totals_match:
            found.append((0, f"totals differ: file {self.file_tonnes}, chain {self.chain_tonnes}"))
        return sorted(found, key=lambda d: d[0])

    @property
    def ok(self) -> bool:
        return not self.discrepancies

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "registry": self.registry,
            "kind": self.kind,
            "ok": self.ok,
            "rows": len(self.rows) + len(self.unreadable) + len(self.not_compared),
            "rows_matching": sum(r.ok for r in self.rows),
            "rows_not_compared": len(self.not_compared),
            "discrepancies": [{"row": row, "message": m} for row, m in self.discrepancies],
            "file_tonnes": self.file_tonnes,
            "file_tonnes_exact": {k: tonnes_text(v) for k, v in self.file_tonnes_exact.items()},
            "chain_tonnes": self.chain_tonnes,
            "totals_match": self.totals_match,
        }


def _check(block: RegistryBlock, tally: Tally) -> tuple[list[str], list[str]]:
    problems, notes = [], []
    where = f"serials {block.first}..{block.last}"
    if tally.gaps:
        gaps = ", ".join(f"{a}..{b}" for a, b in tally.gaps)
        problems.append(f"{where}: {tally.missing:,} of {block.quantity:,} t not bridged ({gaps})")
    if block.status is BlockStatus.RETIRED and tally.retired != tally.bridged:
        problems.append(f"{where}: the registry shows them retired, the chain has {_states(tally)}")
    elif block.status is BlockStatus.CANCELLED and tally.cancelled != tally.bridged:
        problems.append(
            f"{where}: the registry shows them cancelled, the chain has {_states(tally)}"
        )
    elif block.status is BlockStatus.ISSUED and (tally.mirrored or tally.cancelled):
        notes.append(f"the chain is ahead of this file: {_states(tally)}")
    return problems, notes


def _states(tally: Tally) -> str:
    parts = [f"{getattr(tally, n):,} t {n}" for n in STATES if getattr(tally, n)]
    if tally.mirrored:
        parts.append(f"of which {tally.mirrored:,} t by mirrored registry retirements")
    return ", ".join(parts) or "nothing"


def reconcile_export(engine: Engine, export: ExportFile) -> Reconciliation:
    chain = ChainSerials(engine)
    tallies = [chain.tally(b.program, b.namespace, b.first, b.last) for b in export.blocks]
    extra = _undescribed(chain, export) if export.layout.kind is FileKind.ISSUANCES else {}
    checks = []
    for block, tally in zip(export.blocks, tallies, strict=True):
        problems, notes = _check(block, tally)
        checks.append(
            RowCheck(
                file=export.name,
                row=block.source.row,
                serial=block.text,
                registry_status=block.status.value,
                quantity=block.quantity,
                chain=tally.as_json(),
                batches=tally.batches,
                problems=problems + extra.get(block.source.row, []),
                notes=notes,
            )
        )
    file_tonnes, chain_tonnes, match, exact = _totals(chain, export.blocks)
    unreadable: list[tuple[int, str]] = []
    not_compared: list[tuple[int, str]] = []
    for r in export.rejections:
        target = not_compared if r.reason.startswith("not bridgeable") else unreadable
        target.append((r.source.row, r.reason))
    return Reconciliation(
        file=export.name,
        registry=export.layout.registry,
        kind=export.layout.kind.value,
        rows=checks,
        unreadable=unreadable,
        not_compared=not_compared,
        file_tonnes=file_tonnes,
        file_tonnes_exact=exact,
        chain_tonnes=chain_tonnes,
        totals_match=match,
    )


def _undescribed(chain: ChainSerials, export: ExportFile) -> dict[int, list[str]]:
    """An issuance export lists whole blocks: serials of a batch it touches that none of its
    rows describes were bridged beyond what the registry issued. By the first row touching it."""
    spans = [(b.program, b.namespace, b.first, b.last, b.status) for b in export.blocks]
    covered: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for program, namespace, first, last, _ in segments(spans):
        covered.setdefault((program, namespace), []).append((first, last))
    found: dict[int, list[str]] = {}
    seen: set[int] = set()
    for block in export.blocks:
        program_id = chain.programs.get(block.program)
        if program_id is None:
            continue
        for batch in chain.view.overlapping(program_id, block.namespace, block.first, block.last):
            if batch.id in seen:
                continue
            seen.add(batch.id)
            cursor, gaps = batch.first, []
            for first, last in covered[block.program, block.namespace]:
                if last < cursor or first > batch.last:
                    continue
                if first > cursor:
                    gaps.append((cursor, first - 1))
                cursor = max(cursor, last + 1)
            if cursor <= batch.last:
                gaps.append((cursor, batch.last))
            for first, last in gaps:
                found.setdefault(block.source.row, []).append(
                    f"serials {first}..{last} of batch {batch.id} are on the ledger but in no "
                    "row of this issuance export"
                )
    return found


def _totals(
    chain: ChainSerials, blocks: Iterable[RegistryBlock]
) -> tuple[dict[str, int], dict[str, int], bool, dict[str, Decimal]]:
    file_tonnes = {"bridged": 0, "held": 0, "retired": 0, "cancelled": 0}
    exact = dict.fromkeys(file_tonnes, Decimal(0))
    on_chain = Tally()
    match = True
    spans = [(b.program, b.namespace, b.first, b.last, b.status) for b in blocks]
    for program, namespace, first, last, status in segments(spans):
        size = last - first + 1
        file_tonnes["bridged"] += size
        file_tonnes[TONNES_KEYS[status]] += size
        tonnes = chain.units.get(program, TONNE).tonnes(size)
        exact["bridged"] += tonnes
        exact[TONNES_KEYS[status]] += tonnes
        tally = chain.tally(program, namespace, first, last)
        on_chain.add(tally)
        if tally.bridged != size:
            match = False
        if status is BlockStatus.RETIRED and tally.retired != size:
            match = False
        if status is BlockStatus.CANCELLED and tally.cancelled != size:
            match = False
    return file_tonnes, on_chain.as_json(), match, exact


def reconcile(
    engine: Engine, registry: str, path: Path, kind: FileKind | None = None
) -> Reconciliation:
    """Reconcile one export file (its kind told from its header unless given)."""
    return reconcile_export(engine, read_export(registry, kind, path))


def reconcile_exports(
    w3: Web3,
    deployment: Deployment,
    engine: Engine,
    registry: str,
    files: Sequence[Path],
    confirmations: int = 0,
) -> list[Reconciliation]:
    """Bring the store up to the chain, then reconcile each export with it (``audit verify
    --registry-export``)."""
    from chain.indexer.core import Indexer

    Indexer(w3, engine, deployment, confirmations=confirmations).catch_up()
    return [reconcile(engine, registry, path) for path in files]


def add_reconciliation(report: VerificationReport, found: Sequence[Reconciliation]) -> None:
    """Name each reconciliation discrepancy by file and row in ``report``."""
    from chain.verify import Discrepancy

    for rec in found:
        for row, message in rec.discrepancies:
            where = f"{rec.file}:{row}" if row else rec.file
            what = (
                "totals"
                if row == 0
                else "row"
                if message.startswith("cannot be read")
                else "serials"
                if "not bridged" in message or "in no row" in message
                else "status"
            )
            report.discrepancies.append(Discrepancy("registry", None, where, what, message))
    report.ok = not report.discrepancies
