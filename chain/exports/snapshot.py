"""The store, read once for an export: every table an export needs, in one transaction."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chain.errors import ConfigurationError
from chain.store import schema as s
from chain.units import TONNE, Unit, tonnes_text

EXPORT_NAMESPACE = uuid.UUID("0b6c2b1e-7f0c-5a55-9d1e-6361726265e1")
"""Root of the exports' identifiers: every GUID is a UUIDv5 under it of the ledger's chain id,
contract address and the record's own key, so the same ledger exports the same ids every
time and two ledgers never share one."""


@dataclass
class Snapshot:
    """What the store holds, read in one transaction (rows as mappings)."""

    chain_id: int
    contract: str
    as_of: int
    """The checkpoint's time (unix seconds): what the export reflects."""
    audit_seq: int
    """The checkpoint's audit sequence number: the same number, the same credits (a cache of
an export can be kept while it does not move)."""
    programs: dict[int, str]
    projects: dict[str, Any]
    batches: list[Any]
    ranges: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    retirements: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    cancellations: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    detokenisations: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    units: dict[int, Unit] = field(default_factory=dict)
    """Each programme's unit (``chain.units``): exports state quantities in tonnes."""
    voided: dict[int, str] = field(default_factory=dict)
    """Batches voided by their programme admin (their serials all cancelled at once), with
    the void's reason."""
    pools: dict[str, str] = field(default_factory=dict)
    """Each pool's token address (the ledger account holding its serials) -> the pool's name
    as exports show it (``pool_name``)."""

    def owner(self, address: str) -> str:
        """An account as exports name it: a pool's token account by its pool, others by
        address."""
        name = self.pools.get(address)
        return f"{name} ({address})" if name else address

    def guid(self, kind: str, key: object) -> str:
        """A stable GUID for the record ``kind`` ``key`` of this ledger."""
        name = f"{self.chain_id}:{self.contract}:{kind}:{key}"
        return str(uuid.uuid5(EXPORT_NAMESPACE, name))

    def program(self, batch_or_project: Any) -> str:
        return self.programs.get(int(batch_or_project.program_id), "")

    def tonnes(self, batch: Any, serials: int) -> int | str:
        """``serials`` of ``batch``'s programme as a tonnes cell: an integer where whole (every
        tonne programme's, unchanged), else the exact decimal (``"1.234"`` for 1,234 kg)."""
        exact = self.units.get(int(batch.program_id), TONNE).tonnes(serials)
        return int(exact) if exact == exact.to_integral_value() else tonnes_text(exact)


def pool_name(pool_id: int, symbol: str, name: str) -> str:
    """A pool as exports name its account: ``pool 1 NGEO "Nature-based GEO"``."""
    return f'pool {pool_id} {symbol} "{name}"'


def read_snapshot(conn: Connection) -> Snapshot:
    """Read the store; refuse a store that mirrors no ledger yet."""
    # One transaction (SQLAlchemy begins it on the first read and holds it), so the tables
    # agree with each other while the indexer goes on writing: SQLite's deferred transaction
    # sees one state; PostgreSQL needs REPEATABLE READ for that, set before the first read.
    if conn.dialect.name == "postgresql" and not conn.in_transaction():
        conn.execution_options(isolation_level="REPEATABLE READ")
    info = conn.execute(sa.select(s.chain_info)).first()
    point = conn.execute(sa.select(s.checkpoint)).first()
    if info is None or point is None:
        raise ConfigurationError("the store mirrors no ledger yet: run `carbon-ledger index` first")
    snap = Snapshot(
        chain_id=int(info.chain_id),
        contract=str(info.contract_address),
        as_of=int(point.updated_at),
        audit_seq=int(point.audit_seq),
        programs={
            int(r.id): str(r.code)
            for r in conn.execute(sa.select(s.programs.c.id, s.programs.c.code))
        },
        projects={
            str(r.key): r for r in conn.execute(sa.select(s.projects).order_by(s.projects.c.seq))
        },
        batches=list(conn.execute(sa.select(s.batches).order_by(s.batches.c.id))),
    )
    snap.units = {
        int(r.id): Unit(int(r.unit_grams))
        for r in conn.execute(sa.select(s.programs.c.id, s.programs.c.unit_grams))
    }
    r = s.serial_ranges
    for row in conn.execute(sa.select(r).order_by(r.c.batch_id, r.c.first_serial)):
        snap.ranges[int(row.batch_id)].append(row)
    t = s.retirements
    for row in conn.execute(sa.select(t).order_by(t.c.id)):
        snap.retirements[int(row.batch_id)].append(row)
    c = s.cancellations
    for row in conn.execute(sa.select(c).order_by(c.c.seq)):
        snap.cancellations[int(row.batch_id)].append(row)
    d = s.detokenisations
    for row in conn.execute(sa.select(d).order_by(d.c.seq)):
        snap.detokenisations[int(row.batch_id)].append(row)
    pool = s.pools
    snap.pools = {
        str(row.token): pool_name(int(row.id), str(row.symbol), str(row.name))
        for row in conn.execute(sa.select(pool.c.id, pool.c.token, pool.c.symbol, pool.c.name))
    }
    e = s.events
    voids = sa.select(e.c.batch_id, e.c.fields).where(
        e.c.name == "BatchVoided", e.c.batch_id.is_not(None)
    )
    snap.voided = {int(v.batch_id): str(v.fields.get("reason", "")) for v in conn.execute(voids)}
    return snap
