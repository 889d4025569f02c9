"""Typed queries over the store's pool tables (issue 15), for the API, the pages and exports.

Every function takes an SQLAlchemy ``Connection`` (the caller's transaction) and returns
frozen dataclasses of plain values: addresses lowercase ``0x`` hex, dates ``YYYYMMDD``
integers as on-chain (0 in a vintage window: that end is open), tonnes and units as ints (one
unit is one tonne: pools admit only programmes whose serial is a tonne). Nothing here raises
for an unknown pool: a lookup returns ``None``, a list is empty.

- ``list_pools(conn) -> list[PoolSummary]``: every pool, by id
- ``get_pool(conn, pool_id, holders=100) -> PoolDetail | None``: rules, lists, supply, tonnes
  held, range count, the largest holders
- ``pool_by_token(conn, address) -> PoolSummary | None``: the pool whose token (and ledger
  account) ``address`` is
- ``pool_composition(conn, pool_id) -> PoolComposition``: the tonnes the pool holds by
  programme, vintage year, country and project type
- ``pool_ranges(conn, pool_id, after=None, limit=100) -> PoolRangePage``: the held ranges in
  redeem order (vintage start, batch id, first serial), keyset-paged by ``next_after``
- ``account_pool_balances(conn, address) -> list[PoolBalance]``: an account's unit balances
- ``pool_activity(conn, pool_id=None, account=None, before=None, limit=50)
  -> PoolActivityPage``: deposits, redeems, retirements and unit transfers, newest first, each
  with the exact serial ranges it moved
- ``program_units(conn) -> dict[int, int]``: grams per serial of every programme
  (``programs.unit_grams``; 1,000,000 for a tonne)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chain.domain import LabelName, RangeState, label_names
from chain.store import schema as s

ModeName = Literal["any", "only", "except"]
ListKind = Literal["country", "project_type", "methodology"]
ActivityKind = Literal["deposit", "redeem", "retire", "transfer"]

MODES: Final[tuple[ModeName, ...]] = ("any", "only", "except")
"""A rule mode's word by its on-chain number (0 any, 1 only listed, 2 all but listed)."""
LIST_KINDS: Final[tuple[ListKind, ...]] = ("country", "project_type", "methodology")
"""A rule list's kind by its on-chain number."""
TONNE_GRAMS: Final = 1_000_000

_HELD = int(RangeState.HELD)


@dataclass(frozen=True)
class PoolRules:
    """A pool's rules as last tightened. ``programmes``: the admitted programme ids, and
    their codes in the same order; ``vintage_from``/``vintage_to``: the window on a batch's
    vintage start (0: open); ``labels_required``: every one must be on the batch; the modes
    say how the lists apply."""

    programmes: tuple[int, ...]
    programme_codes: tuple[str, ...]
    vintage_from: int
    vintage_to: int
    labels_required: tuple[LabelName, ...]
    country_mode: ModeName
    type_mode: ModeName
    methodology_mode: ModeName
    seq: int  # the event that set them (PoolCreated or the last PoolRulesTightened)


@dataclass(frozen=True)
class PoolListEntry:
    kind: ListKind
    value: str
    tag: str  # 0x + 16 hex: the first 8 bytes of keccak256(value), as the contract keys it
    listed: bool  # False: removed from an only-listed list
    seq: int


@dataclass(frozen=True)
class PoolSummary:
    pool_id: int
    token: str  # the ERC-20 and the ledger account holding the pooled serials
    name: str
    symbol: str
    supply: int  # units in circulation = tonnes the token account holds
    holders: int  # accounts with a non-zero unit balance
    seq: int
    block_number: int
    tx_hash: str
    created_by: str


@dataclass(frozen=True)
class PoolBalance:
    pool_id: int
    token: str
    symbol: str
    account: str
    units: int
    seq: int  # the event that last changed it


@dataclass(frozen=True)
class PoolDetail:
    pool: PoolSummary
    rules: PoolRules
    lists: tuple[PoolListEntry, ...]  # by kind, then value's tag
    tonnes_held: int  # Held tonnes of the token account in serial_ranges (= supply)
    ranges: int  # Held ranges of the token account
    batches: int  # distinct batches among them
    top_holders: tuple[PoolBalance, ...]  # largest balances first, then by address


@dataclass(frozen=True)
class Tonnes:
    key: str  # programme code, year (as text), country or project type
    tonnes: int


@dataclass(frozen=True)
class PoolComposition:
    """The tonnes a pool holds, grouped four ways; each list sorted by tonnes, largest
    first, then by key. Each list sums to ``total``."""

    pool_id: int
    total: int
    by_programme: tuple[Tonnes, ...]
    by_vintage: tuple[Tonnes, ...]  # the vintage start's year
    by_country: tuple[Tonnes, ...]
    by_project_type: tuple[Tonnes, ...]


@dataclass(frozen=True)
class PoolRange:
    """One held range of a pool, with what its batch says about it."""

    batch_id: int
    first_serial: int
    last_serial: int
    quantity: int
    program: str
    namespace: str
    project_id: str
    project_name: str
    country: str
    project_type: str
    methodology: str
    vintage_start: int
    vintage_end: int
    labels: tuple[LabelName, ...]
    frozen: bool  # the batch is frozen: the default redeem stops at it

    @property
    def order_key(self) -> tuple[int, int, int]:
        """The position in redeem order; pass the last one back as ``after``."""
        return (self.vintage_start, self.batch_id, self.first_serial)


@dataclass(frozen=True)
class PoolRangePage:
    ranges: tuple[PoolRange, ...]
    next_after: tuple[int, int, int] | None  # None: the last page


@dataclass(frozen=True)
class SerialSpan:
    batch_id: int
    first_serial: int
    last_serial: int
    quantity: int
    seq: int  # the SerialsMoved event


@dataclass(frozen=True)
class PoolActivity:
    """One pool operation: a deposit (units minted to ``to_account`` for the serials it
    moved in), a redeem or retirement (units burnt from ``from_account``; the serials moved
    out to it, Held or Retired), or a unit transfer (no serials move)."""

    seq: int  # the PoolUnitsMoved event
    pool_id: int
    kind: ActivityKind
    from_account: str  # 0x0…0 for a deposit
    to_account: str  # 0x0…0 for a redeem or retirement
    units: int
    actor: str
    block_number: int
    tx_hash: str
    serials: tuple[SerialSpan, ...]  # in the order they moved; empty for a transfer
    retirement_ids: tuple[int, ...]  # a retirement's records, one per range


@dataclass(frozen=True)
class PoolActivityPage:
    activity: tuple[PoolActivity, ...]
    next_before: int | None  # pass back as ``before`` for older ones; None: the last page


p, pb, pl = s.pools, s.pool_balances, s.pool_list_entries


def _bits(hex_bitmap: str) -> tuple[int, ...]:
    value = int(hex_bitmap, 16)
    return tuple(i for i in range(256) if value >> i & 1)


def _holders() -> sa.ScalarSelect[int]:
    return (
        sa.select(sa.func.count()).select_from(pb).where(pb.c.pool_id == p.c.id).scalar_subquery()
    )


def _summary(row: sa.Row[Any]) -> PoolSummary:
    m = row._mapping
    return PoolSummary(
        pool_id=int(m["id"]),
        token=str(m["token"]),
        name=str(m["name"]),
        symbol=str(m["symbol"]),
        supply=int(m["supply"]),
        holders=int(m["holders"]),
        seq=int(m["seq"]),
        block_number=int(m["block_number"]),
        tx_hash=str(m["tx_hash"]),
        created_by=str(m["actor"]),
    )


def _pools_query() -> sa.Select[tuple[object, ...]]:
    return sa.select(p, _holders().label("holders"))


def list_pools(conn: Connection) -> list[PoolSummary]:
    """Every pool, by id."""
    return [_summary(r) for r in conn.execute(_pools_query().order_by(p.c.id))]


def pool_by_token(conn: Connection, address: str) -> PoolSummary | None:
    """The pool whose token (and ledger account) is ``address``; ``None`` if none is."""
    row = conn.execute(_pools_query().where(p.c.token == address.lower())).one_or_none()
    return None if row is None else _summary(row)


def pool_tokens(conn: Connection) -> dict[str, PoolSummary]:
    """Every pool by its token address (to name pool accounts in lists and exports)."""
    return {pool.token: pool for pool in list_pools(conn)}


def get_pool(conn: Connection, pool_id: int, *, holders: int = 100) -> PoolDetail | None:
    """One pool with its rules, lists, supply, the tonnes and ranges it holds and its
    ``holders`` largest holders; ``None`` if there is no such pool."""
    row = conn.execute(_pools_query().where(p.c.id == pool_id)).one_or_none()
    if row is None:
        return None
    summary = _summary(row)
    m = row._mapping
    ids = _bits(str(m["programmes"]))
    codes = dict(
        conn.execute(sa.select(s.programs.c.id, s.programs.c.code).where(s.programs.c.id.in_(ids)))
        .tuples()
        .all()
    )
    rules = PoolRules(
        programmes=ids,
        programme_codes=tuple(str(codes.get(i, "")) for i in ids),
        vintage_from=int(m["vintage_from"]),
        vintage_to=int(m["vintage_to"]),
        labels_required=tuple(label_names(int(m["labels_required"]))),
        country_mode=MODES[int(m["country_mode"])],
        type_mode=MODES[int(m["type_mode"])],
        methodology_mode=MODES[int(m["methodology_mode"])],
        seq=int(m["rules_seq"]),
    )
    lists = tuple(
        PoolListEntry(LIST_KINDS[int(e.kind)], str(e.value), str(e.tag), bool(e.listed), int(e.seq))
        for e in conn.execute(
            sa.select(pl).where(pl.c.pool_id == pool_id).order_by(pl.c.kind, pl.c.tag)
        )
    )
    r = s.serial_ranges
    held = conn.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(r.c.last_serial - r.c.first_serial + 1), 0),
            sa.func.count(),
            sa.func.count(sa.distinct(r.c.batch_id)),
        ).where(r.c.holder == summary.token, r.c.state == _HELD)
    ).one()
    top = tuple(
        PoolBalance(
            pool_id, summary.token, summary.symbol, str(b.account), int(b.units), int(b.seq)
        )
        for b in conn.execute(
            sa.select(pb)
            .where(pb.c.pool_id == pool_id)
            .order_by(pb.c.units.desc(), pb.c.account)
            .limit(holders)
        )
    )
    return PoolDetail(summary, rules, lists, int(held[0]), int(held[1]), int(held[2]), top)


def _held_ranges(token: str) -> sa.Select[tuple[object, ...]]:
    r, b, pr, g = s.serial_ranges, s.batches, s.projects, s.programs
    return (
        sa.select(
            r.c.batch_id,
            r.c.first_serial,
            r.c.last_serial,
            g.c.code,
            b.c.namespace,
            pr.c.project_id,
            pr.c.name,
            pr.c.country,
            pr.c.project_type,
            pr.c.methodology,
            b.c.vintage_start,
            b.c.vintage_end,
            b.c.labels,
            b.c.frozen,
        )
        .join(b, b.c.id == r.c.batch_id)
        .join(pr, pr.c.key == b.c.project_key)
        .join(g, g.c.id == b.c.program_id)
        .where(r.c.holder == token, r.c.state == _HELD)
    )


def _token(conn: Connection, pool_id: int) -> str | None:
    token = conn.execute(sa.select(p.c.token).where(p.c.id == pool_id)).scalar_one_or_none()
    return None if token is None else str(token)


def pool_composition(conn: Connection, pool_id: int) -> PoolComposition:
    """The tonnes pool ``pool_id`` holds by programme, vintage year, country and project
    type (empty for an unknown pool)."""
    token = _token(conn, pool_id)
    groups: dict[str, dict[str, int]] = {k: {} for k in ("programme", "vintage", "country", "type")}
    total = 0
    if token is not None:
        r = s.serial_ranges
        q = _held_ranges(token).with_only_columns(
            sa.func.sum(r.c.last_serial - r.c.first_serial + 1),
            s.programs.c.code,
            s.batches.c.vintage_start,
            s.projects.c.country,
            s.projects.c.project_type,
        )
        q = q.group_by(
            s.programs.c.code,
            s.batches.c.vintage_start,
            s.projects.c.country,
            s.projects.c.project_type,
        )
        for tonnes, code, start, country, kind in conn.execute(q):
            t = int(tonnes)
            total += t
            for group, key in (
                ("programme", str(code)),
                ("vintage", str(int(start) // 10_000)),
                ("country", str(country)),
                ("type", str(kind)),
            ):
                groups[group][key] = groups[group].get(key, 0) + t

    def ranked(group: str) -> tuple[Tonnes, ...]:
        items = sorted(groups[group].items(), key=lambda kv: (-kv[1], kv[0]))
        return tuple(Tonnes(k, v) for k, v in items)

    return PoolComposition(
        pool_id, total, ranked("programme"), ranked("vintage"), ranked("country"), ranked("type")
    )


def pool_ranges(
    conn: Connection,
    pool_id: int,
    *,
    after: tuple[int, int, int] | None = None,
    limit: int = 100,
) -> PoolRangePage:
    """Pool ``pool_id``'s held ranges in redeem order (oldest vintage start, then lowest batch
    id, then lowest serial: the order ``poolRedeem`` and ``poolRetire`` take them in), the
    ``limit`` after the ``order_key`` ``after``."""
    token = _token(conn, pool_id)
    if token is None:
        return PoolRangePage((), None)
    r, b = s.serial_ranges, s.batches
    q = _held_ranges(token)
    if after is not None:
        q = q.where(
            sa.tuple_(b.c.vintage_start, r.c.batch_id, r.c.first_serial)
            > sa.tuple_(*(sa.literal(v) for v in after))
        )
    rows = conn.execute(
        q.order_by(b.c.vintage_start, r.c.batch_id, r.c.first_serial).limit(limit + 1)
    ).all()
    ranges = tuple(
        PoolRange(
            batch_id=int(x.batch_id),
            first_serial=int(x.first_serial),
            last_serial=int(x.last_serial),
            quantity=int(x.last_serial) - int(x.first_serial) + 1,
            program=str(x.code),
            namespace=str(x.namespace),
            project_id=str(x.project_id),
            project_name=str(x.name),
            country=str(x.country),
            project_type=str(x.project_type),
            methodology=str(x.methodology),
            vintage_start=int(x.vintage_start),
            vintage_end=int(x.vintage_end),
            labels=tuple(label_names(int(x.labels))),
            frozen=bool(x.frozen),
        )
        for x in rows[:limit]
    )
    more = len(rows) > limit
    return PoolRangePage(ranges, ranges[-1].order_key if more and ranges else None)


def account_pool_balances(conn: Connection, address: str) -> list[PoolBalance]:
    """``address``'s non-zero unit balances, by pool id."""
    return [
        PoolBalance(
            int(x.pool_id), str(x.token), str(x.symbol), str(x.account), int(x.units), int(x.seq)
        )
        for x in conn.execute(
            sa.select(pb, p.c.token, p.c.symbol)
            .join(p, p.c.id == pb.c.pool_id)
            .where(pb.c.account == address.lower())
            .order_by(pb.c.pool_id)
        )
    ]


def pool_activity(
    conn: Connection,
    pool_id: int | None = None,
    *,
    account: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> PoolActivityPage:
    """Pool operations, newest first: of one pool (``pool_id``), of one account (as sender
    or receiver of units, ``account``), or all; ``before`` a ``seq`` to page back."""
    u, m = s.pool_unit_moves, s.pool_serial_moves
    q = sa.select(u)
    if pool_id is not None:
        q = q.where(u.c.pool_id == pool_id)
    if account is not None:
        who = account.lower()
        q = q.where(sa.or_(u.c.from_account == who, u.c.to_account == who))
    if before is not None:
        q = q.where(u.c.seq < before)
    moves = conn.execute(q.order_by(u.c.seq.desc()).limit(limit + 1)).all()
    more = len(moves) > limit
    moves = moves[:limit]
    txs = sorted({str(x.tx_hash) for x in moves if x.kind != "transfer"})
    # An operation's serials (and retirements) are those of its pool in its transaction
    # after the pool's previous unit move there: one transaction may hold several operations.
    bounds: dict[int, int] = {}  # unit move seq -> the seq of the pool's previous one in its tx
    spans: dict[tuple[str, int], list[SerialSpan]] = {}
    retired: dict[str, list[tuple[int, int]]] = {}  # tx -> (seq, retirement id)
    if txs:
        last: dict[tuple[str, int], int] = {}
        for seq, tx, pid in conn.execute(
            sa.select(u.c.seq, u.c.tx_hash, u.c.pool_id)
            .where(u.c.tx_hash.in_(txs))
            .order_by(u.c.seq)
        ):
            bounds[int(seq)] = last.get((str(tx), int(pid)), 0)
            last[(str(tx), int(pid))] = int(seq)
        for x in conn.execute(sa.select(m).where(m.c.tx_hash.in_(txs)).order_by(m.c.seq)):
            spans.setdefault((str(x.tx_hash), int(x.pool_id)), []).append(
                SerialSpan(
                    int(x.batch_id),
                    int(x.first_serial),
                    int(x.last_serial),
                    int(x.quantity),
                    int(x.seq),
                )
            )
        ret = s.retirements
        for tx, seq, rid in conn.execute(
            sa.select(ret.c.tx_hash, ret.c.seq, ret.c.id)
            .where(ret.c.tx_hash.in_(txs))
            .order_by(ret.c.seq)
        ):
            retired.setdefault(str(tx), []).append((int(seq), int(rid)))
    out = []
    for x in moves:
        seq, tx, kind = int(x.seq), str(x.tx_hash), str(x.kind)
        after = bounds.get(seq, seq)
        serials = tuple(sp for sp in spans.get((tx, int(x.pool_id)), []) if after < sp.seq < seq)
        ids = tuple(rid for rseq, rid in retired.get(tx, []) if after < rseq < seq)
        out.append(
            PoolActivity(
                seq=seq,
                pool_id=int(x.pool_id),
                kind=cast(ActivityKind, kind),
                from_account=str(x.from_account),
                to_account=str(x.to_account),
                units=int(x.amount),
                actor=str(x.actor),
                block_number=int(x.block_number),
                tx_hash=tx,
                serials=serials if kind != "transfer" else (),
                retirement_ids=ids if kind == "retire" else (),
            )
        )
    return PoolActivityPage(tuple(out), out[-1].seq if more and out else None)


def program_units(conn: Connection) -> dict[int, int]:
    """Grams per serial of every programme (``programs.unit_grams``: a tonne unless the
    programme set another unit)."""
    p = s.programs
    return {
        int(k): int(v) for k, v in conn.execute(sa.select(p.c.id, p.c.unit_grams).order_by(p.c.id))
    }
