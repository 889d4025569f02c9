"""What the planner knows about the ledger: the query store, plus what this run has planned.

The store (indexed right before planning) answers which serial ranges of a namespace are
bridged and how their holdings look, without walking the chain. The planner then records each
bridging and move it plans in the same view, so later rows of the same import see them: a
retirement row inside an issuance block bridged three rows earlier is found, and two rows naming
the same block bridge it once. Batches planned in this run have negative placeholder ids until
the executor learns their real ones.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from chain.domain import HoldingRange, Label, RangeState
from chain.replay import BatchHoldings
from chain.store import schema as s


@dataclass
class BatchModel:
    """One batch as the planner sees it; ``holdings`` tile it and are updated by the plan."""

    id: int  # negative: planned in this run (a placeholder)
    program_id: int
    namespace: str
    first: int
    last: int
    labels: Label
    frozen: bool
    holdings: BatchHoldings

    @property
    def planned(self) -> bool:
        return self.id < 0

    def range_start(self, serial: int) -> int:
        """Start of the holding range containing ``serial`` (the contract's range hint)."""
        i = bisect.bisect_right(self.holdings.starts, serial) - 1
        return self.holdings.ranges[i].first

    def pieces(self, first: int, last: int) -> list[HoldingRange]:
        """The holding ranges over ``first..last``, clipped to it."""
        out = []
        for r in self.holdings.ranges:
            if r.last < first or r.first > last:
                continue
            out.append(HoldingRange(max(r.first, first), min(r.last, last), r.holder, r.state))
        return out


class LedgerView:
    """Batches by (programme, namespace) from the store, plus planned ones (see module doc)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._batches: dict[int, BatchModel] = {}
        self._planned: dict[tuple[int, str], list[BatchModel]] = defaultdict(list)
        self._projects: set[str] = set()
        self._next_placeholder = -1
        with engine.connect() as conn:
            self._projects = {str(k) for k in conn.execute(sa.select(s.projects.c.key)).scalars()}

    # ------------------------------------------------------------ projects

    def project_known(self, key: bytes) -> bool:
        return "0x" + key.hex() in self._projects

    def note_project(self, key: bytes) -> None:
        self._projects.add("0x" + key.hex())

    # ------------------------------------------------------------ batches

    def overlapping(
        self, program_id: int, namespace: str, first: int, last: int
    ) -> list[BatchModel]:
        """Every batch (stored or planned) of the namespace with a serial in ``first..last``."""
        found = {b.id: b for b in self._stored_overlapping(program_id, namespace, first, last)}
        for b in self._planned[program_id, namespace]:
            if b.first <= last and b.last >= first:
                found[b.id] = b
        return sorted(found.values(), key=lambda b: b.first)

    def _stored_overlapping(
        self, program_id: int, namespace: str, first: int, last: int
    ) -> list[BatchModel]:
        b = s.batches
        where = sa.and_(b.c.program_id == program_id, b.c.namespace == namespace)
        inside = sa.select(b.c.id).where(where, b.c.first_serial.between(first, last))
        below = (
            sa.select(b.c.id, b.c.last_serial)
            .where(where, b.c.first_serial < first)
            .order_by(b.c.first_serial.desc())
            .limit(1)
        )
        with self._engine.connect() as conn:
            ids = list(conn.execute(inside).scalars())
            row = conn.execute(below).one_or_none()
            if row is not None and row.last_serial >= first:
                ids.append(int(row.id))
            return [self._load(conn, int(i)) for i in ids]

    def _load(self, conn: sa.Connection, batch_id: int) -> BatchModel:
        if batch_id in self._batches:
            return self._batches[batch_id]
        row = conn.execute(sa.select(s.batches).where(s.batches.c.id == batch_id)).one()
        r = s.serial_ranges
        ranges = [
            HoldingRange(
                int(x.first_serial), int(x.last_serial), str(x.holder), RangeState(x.state)
            )
            for x in conn.execute(
                sa.select(r).where(r.c.batch_id == batch_id).order_by(r.c.first_serial)
            )
        ]
        model = BatchModel(
            id=batch_id,
            program_id=int(row.program_id),
            namespace=str(row.namespace),
            first=int(row.first_serial),
            last=int(row.last_serial),
            labels=Label(int(row.labels)),
            frozen=bool(row.frozen),
            holdings=BatchHoldings(batch_id, int(row.first_serial), int(row.last_serial), ranges),
        )
        self._batches[batch_id] = model
        return model

    def plan_batch(
        self, program_id: int, namespace: str, first: int, last: int, labels: Label, holder: str
    ) -> BatchModel:
        """Record a bridging this run will make (to ``holder``); returns its placeholder."""
        placeholder = self._next_placeholder
        self._next_placeholder -= 1
        holdings = BatchHoldings(placeholder, first, last)
        holdings.move(first, last, "0x" + "0" * 40, holder.lower(), RangeState.HELD)
        model = BatchModel(placeholder, program_id, namespace, first, last, labels, False, holdings)
        self._planned[program_id, namespace].append(model)
        self._batches[placeholder] = model
        return model
