"""The import report: one outcome per row, row counts per outcome, and tonnes per status.

``tonnes`` describe what the files say, whether this run bridged it or it was already present:
``bridged`` counts the distinct serials of every row that is on the ledger after the import,
split by the status the files give them (``held``: issued and live at the registry;
``retired``; ``cancelled``). A serial two rows describe (a Gold Standard issuance block and a
retirement inside it) counts once, with the later status (cancelled, then retired, then issued).
Rejected rows count in no tonnage.

One serial is one unit of its programme (``chain.units``): ``tonnes`` counts serials (as it
always has: tonnes for every programme that counts tonnes, kilograms for Isometric), and
``tonnes_exact`` states the same in exact tonnes (decimal strings in JSON, ``"172.013"``), as
does each outcome's ``tonnes`` and every line a person reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from chain.importer.links import FoundLink
from chain.importer.model import BlockStatus, RegistryBlock
from chain.importer.plan import Outcome, RowPlan
from chain.importer.run import RunResult
from chain.units import TONNE, Unit, tonnes_text

_RANK = {BlockStatus.ISSUED: 0, BlockStatus.RETIRED: 1, BlockStatus.CANCELLED: 2}
TONNES_KEYS = {
    BlockStatus.ISSUED: "held",
    BlockStatus.RETIRED: "retired",
    BlockStatus.CANCELLED: "cancelled",
}


@dataclass(frozen=True)
class RowOutcome:
    file: str
    row: int
    serial: str
    status: Outcome
    quantity: int | None = None
    """Serials of the row (units of its programme)."""
    tonnes: Decimal | None = None
    """``quantity`` in exact tonnes."""
    registry_status: str | None = None
    program: str | None = None
    namespace: str | None = None
    first: int | None = None
    last: int | None = None
    batches: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reason: str = ""
    transactions: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["tonnes"] = None if self.tonnes is None else tonnes_text(self.tonnes)
        return {k: v for k, v in data.items() if v not in (None, "", [])}


def segments(
    blocks: Iterable[tuple[str, str, int, int, BlockStatus]],
) -> list[tuple[str, str, int, int, BlockStatus]]:
    """The serial union of ``(program, namespace, first, last, status)`` blocks as disjoint
    segments, each with the highest-ranked status among the blocks covering it."""
    by_space: dict[tuple[str, str], list[tuple[int, int, BlockStatus]]] = {}
    for program, namespace, first, last, status in blocks:
        by_space.setdefault((program, namespace), []).append((first, last, status))
    out = []
    for (program, namespace), items in sorted(by_space.items()):
        events = sorted(
            [(f, 1, s) for f, _, s in items] + [(last + 1, -1, s) for _, last, s in items],
            key=lambda e: (e[0], e[1]),
        )
        counts = {s: 0 for s in BlockStatus}
        position = None
        for point, delta, status in events:
            if position is not None and point > position:
                live = [s for s, n in counts.items() if n > 0]
                if live:
                    top = max(live, key=_RANK.__getitem__)
                    out.append((program, namespace, position, point - 1, top))
            counts[status] += delta
            position = point
    return out


def tonnes_of(
    blocks: Iterable[RegistryBlock], units: Mapping[str, Unit] | None = None
) -> tuple[dict[str, int], dict[str, Decimal]]:
    """Serials per status, and the same in exact tonnes (each programme's serials times its
    unit in ``units``; a tonne for a programme not named)."""
    totals = {"bridged": 0, "held": 0, "retired": 0, "cancelled": 0}
    exact = dict.fromkeys(totals, Decimal(0))
    spans = ((b.program, b.namespace, b.first, b.last, b.status) for b in blocks)
    for program, _, first, last, status in segments(spans):
        count = last - first + 1
        tonnes = (units or {}).get(program, TONNE).tonnes(count)
        for key in ("bridged", TONNES_KEYS[status]):
            totals[key] += count
            exact[key] += tonnes
    return totals, exact


@dataclass
class ImportReport:
    registry: str
    files: list[dict[str, Any]]
    outcomes: list[RowOutcome]
    tonnes: dict[str, int]
    """Serials per status (tonnes where the programme counts tonnes: the module docstring)."""
    transactions: int
    gas: dict[str, int]
    seconds: float
    verification: dict[str, Any] | None = None
    links: list[FoundLink] = field(default_factory=list)
    """Project links the export shows (``chain.importer.links``), checked on the ledger."""
    tonnes_exact: dict[str, Decimal] = field(default_factory=dict)
    """``tonnes`` in exact tonnes, whatever each programme's unit (when not given: ``tonnes``
    read as whole tonnes)."""

    def __post_init__(self) -> None:
        if not self.tonnes_exact:
            self.tonnes_exact = {k: Decimal(v) for k, v in self.tonnes.items()}

    @property
    def rows_total(self) -> int:
        return len(self.outcomes)

    @property
    def rejected(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.status is Outcome.REJECTED]

    def counts(self) -> dict[str, int]:
        counts = {o.value: 0 for o in Outcome}
        for outcome in self.outcomes:
            counts[outcome.status.value] += 1
        return counts

    @property
    def verified(self) -> bool | None:
        return None if self.verification is None else bool(self.verification.get("ok"))

    def as_json(self) -> dict[str, Any]:
        return {
            "registry": self.registry,
            "files": self.files,
            "rows_total": self.rows_total,
            "rows_rejected": len(self.rejected),
            "rejected": [
                {"file": o.file, "row": o.row, "serial": o.serial, "reason": o.reason}
                for o in self.rejected
            ],
            "rows": self.counts(),
            "tonnes": self.tonnes,
            "tonnes_exact": {k: tonnes_text(v) for k, v in self.tonnes_exact.items()},
            "transactions": self.transactions,
            "gas_used": self.gas,
            "seconds": round(self.seconds, 3),
            "outcomes": [o.as_json() for o in self.outcomes],
            "links": [link.as_json() for link in self.links],
            **({"verification": self.verification} if self.verification is not None else {}),
        }

    def lines(self) -> list[str]:
        out = []
        for o in self.outcomes:
            size = f"{tonnes_text(o.tonnes, grouped=True)} t" if o.tonnes is not None else "-"
            where = f" batch {', '.join(map(str, o.batches))}" if o.batches else ""
            out.append(
                f"{o.file}:{o.row}  {o.serial or '(no serial)'}  {size}  {o.status.value}{where}"
            )
            out.extend(f"    {note}" for note in o.notes)
            if o.reason:
                out.append(f"    reason: {o.reason}")
        counts = self.counts()
        out.append("")
        out.append(
            f"{self.rows_total} rows: "
            + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items())
        )
        t = {k: tonnes_text(v, grouped=True) for k, v in self.tonnes_exact.items()}
        out.append(
            f"tonnes: {t['bridged']} on the ledger (held {t['held']}, retired "
            f"{t['retired']}, cancelled {t['cancelled']})"
        )
        gas = sum(self.gas.values())
        out.append(f"{self.transactions} transactions, {gas:,} gas, {self.seconds:.1f} s")
        for link in self.links:
            out.append(f"links found: {link.text()}")
        return out


def build_report(
    registry: str,
    files: list[dict[str, Any]],
    plans: Sequence[RowPlan],
    result: RunResult,
    seconds: float,
    units: Mapping[str, Unit] | None = None,
) -> ImportReport:
    """The report of ``plans`` run as ``result``; ``units`` gives each programme's unit (code
    → ``Unit``; a tonne for any not named), so every figure states tonnes exactly."""
    unit_of = units or {}
    outcomes = []
    accepted: list[RegistryBlock] = []
    for plan in plans:
        status, reason = plan.outcome, plan.reason
        if plan.index in result.failures:
            status, reason = Outcome.REJECTED, result.failures[plan.index]
        block = plan.block
        batches = [b for b in (result.resolve(x) for x in plan.batches) if b is not None]
        if block is not None and status is not Outcome.REJECTED:
            accepted.append(block)
        outcomes.append(
            RowOutcome(
                file=plan.source.file,
                row=plan.source.row,
                serial=plan.serial,
                status=status,
                quantity=block.quantity if block else None,
                tonnes=unit_of.get(block.program, TONNE).tonnes(block.quantity) if block else None,
                registry_status=block.status.value if block else None,
                program=block.program if block else None,
                namespace=block.namespace if block else None,
                first=block.first if block else None,
                last=block.last if block else None,
                batches=list(dict.fromkeys(batches)),
                notes=list(plan.notes) if status is not Outcome.REJECTED else [],
                reason=reason,
                transactions=result.row_txs.get(plan.index, []),
            )
        )
    tonnes, exact = tonnes_of(accepted, unit_of)
    return ImportReport(
        registry=registry,
        files=files,
        outcomes=outcomes,
        tonnes=tonnes,
        tonnes_exact=exact,
        transactions=result.transactions,
        gas=dict(sorted(result.gas.items())),
        seconds=seconds,
    )
