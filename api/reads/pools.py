"""Pools (issue 15) as the API and the pages show them: the list, one pool with its rules in
codes and in words, its composition, its held ranges in redeem order with registry serials,
its activity, and an account's unit balances.

The store's typed queries (``chain.store.pools``) do the reading; this module shapes their
answers into closed response models, adds the registry-format serial of each range, and turns
an unknown pool into a 404 ``Problem``. One unit is one tonne (pools admit tonne programmes
only), so units and tonnes are the same integers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api.problems import not_found
from api.reads._common import (
    JsonInt,
    Model,
    Page,
    SerialSpan,
    decode_cursor,
    encode_cursor,
    ledger_batch,
    registry_serial,
    snapshot,
)
from api.reads.batches import PROJECT_COLUMNS, join_project
from api.reads.retirements import certificate_url
from chain.domain import LabelName, int_to_date
from chain.store import pools as store
from chain.store import schema as s

CompositionBy = Literal["programme", "vintage", "country", "project_type"]
COMPOSITION_BY: tuple[CompositionBy, ...] = ("programme", "vintage", "country", "project_type")
ZERO_ADDRESS = "0x" + "0" * 40


def pool_url(pool_id: int) -> str:
    return f"/v1/pools/{pool_id}"


class PoolLists(Model):
    """The values each rule's list names now (an only-listed list: admitted; an all-but-listed
    list: excluded; ignored while the rule's mode is ``any``)."""

    countries: list[str]
    project_types: list[str]
    methodologies: list[str]


class PoolRulesOut(Model):
    """A pool's rules as last set, in codes (what the contract stores) and in words."""

    programmes: list[str]
    """Admitted programmes by code (``programme_ids``: the same by on-chain id)."""
    programme_ids: list[int]
    vintage_from: dt.date | None
    """Earliest admitted vintage start; ``null``: open."""
    vintage_to: dt.date | None
    """Latest admitted vintage start; ``null``: open."""
    labels_required: list[LabelName]
    country_mode: store.ModeName
    """``any``: the list is ignored; ``only``: only the listed; ``except``: all but the listed."""
    project_type_mode: store.ModeName
    methodology_mode: store.ModeName
    lists: PoolLists
    words: list[str]
    """The rules as English sentences, one per rule that restricts (the pages translate)."""
    seq: int
    """The audit sequence number of the event that set them (creation or last tightening)."""


class PoolSummaryOut(Model):
    id: int
    name: str
    symbol: str
    token: str
    """The pool's ERC-20 address, which is also the ledger account holding its serials."""
    supply: JsonInt
    """Units in circulation; always equal to the tonnes the pool holds (one unit = 1 t)."""
    holders: int
    """Accounts holding units."""
    created_by: str
    seq: int
    block_number: int
    tx_hash: str
    url: str


class PoolHolder(Model):
    account: str
    units: JsonInt


class PoolOut(PoolSummaryOut):
    rules: PoolRulesOut
    tonnes_held: JsonInt
    ranges: int
    """Held serial ranges (``GET /v1/pools/{id}/ranges`` lists them in redeem order)."""
    batches: int
    top_holders: list[PoolHolder]
    """The 100 largest unit balances, largest first."""


class PoolList(Model):
    items: list[PoolSummaryOut]


class CompositionItem(Model):
    key: str
    tonnes: JsonInt
    share: float
    """Of the pool's tonnes, 0..1."""


class PoolComposition(Model):
    pool_id: int
    by: CompositionBy
    total: JsonInt
    items: list[CompositionItem]
    """Largest first, then by key; the tonnes sum to ``total``."""


class PoolRangeOut(Model):
    batch_id: int
    first_serial: JsonInt
    last_serial: JsonInt
    quantity: JsonInt
    registry_serial: str | None
    """The range as its registry writes a serial (``null`` where none can be rebuilt)."""
    program: str
    project_id: str
    project_name: str
    country: str
    project_type: str
    methodology: str
    vintage_start: dt.date | None
    vintage_end: dt.date | None
    labels: list[LabelName]
    frozen: bool
    """The batch is frozen: a default redemption stops before this range."""


class PoolRangePage(Page[PoolRangeOut]):
    pool_id: int


class PoolSerialSpan(SerialSpan):
    batch_id: int


class PoolActivityOut(Model):
    seq: int
    kind: store.ActivityKind
    from_account: str | None
    """``null`` for a deposit (units minted)."""
    to_account: str | None
    """``null`` for a redemption or retirement (units burnt)."""
    units: JsonInt
    actor: str
    block_number: int
    tx_hash: str
    serials: list[PoolSerialSpan]
    """The exact serials the operation moved in (deposit) or out (redemption, retirement)."""
    retirement_ids: list[int]
    certificate_urls: list[str]


class PoolActivityPage(Page[PoolActivityOut]):
    pool_id: int


class PoolUnits(Model):
    pool_id: int
    name: str
    symbol: str
    token: str
    units: JsonInt
    url: str


class AccountPoolUnits(Model):
    address: str
    items: list[PoolUnits]
    """Every pool in which the account holds units, by pool id."""


# ---------------------------------------------------------------- rules in words


def _date(value: int) -> dt.date | None:
    return int_to_date(value) if value else None


ENGLISH: Mapping[str, str] = {
    "programmes": "Programmes admitted: {values}.",
    "vintage_from": "Vintage starting on or after {date}.",
    "vintage_to": "Vintage starting on or before {date}.",
    "labels": "Labels required: {values}.",
    "only.country": "Countries: only {values}.",
    "except.country": "Countries: all but {values}.",
    "only.project_type": "Project types: only {values}.",
    "except.project_type": "Project types: all but {values}.",
    "only.methodology": "Methodologies: only {values}.",
    "except.methodology": "Methodologies: all but {values}.",
    "nothing": "nothing",
}
"""The sentences ``rule_words`` builds; the pages pass the same keys from their catalogs."""

ENGLISH_LABELS: Mapping[str, str] = {
    "corsia_eligible": "CORSIA eligible",
    "ccp_approved": "CCP approved",
    "article6_authorised": "Article 6 authorised",
    "corresponding_adjustment": "corresponding adjustment applied",
}
"""Labels in the API's sentences (the pages name them from their catalogs)."""

_MODE_LISTS = (
    ("country", "country_mode", "countries"),
    ("project_type", "project_type_mode", "project_types"),
    ("methodology", "methodology_mode", "methodologies"),
)


def rule_words(
    rules: PoolRulesOut,
    phrases: Mapping[str, str] = ENGLISH,
    label: Mapping[str, str] | None = None,
) -> list[str]:
    """Each restricting rule as a sentence from ``phrases`` (labels named by ``label``)."""

    def joined(values: Iterable[str]) -> str:
        items = list(values)
        return ", ".join(items) if items else phrases["nothing"]

    words = [phrases["programmes"].format(values=joined(rules.programmes))]
    if rules.vintage_from is not None:
        words.append(phrases["vintage_from"].format(date=rules.vintage_from.isoformat()))
    if rules.vintage_to is not None:
        words.append(phrases["vintage_to"].format(date=rules.vintage_to.isoformat()))
    if rules.labels_required:
        names = ((label or {}).get(n, n) for n in rules.labels_required)
        words.append(phrases["labels"].format(values=joined(names)))
    for kind, mode_field, list_field in _MODE_LISTS:
        mode = getattr(rules, mode_field)
        if mode != "any":
            values = getattr(rules.lists, list_field)
            words.append(phrases[f"{mode}.{kind}"].format(values=joined(values)))
    return words


def _rules(detail: store.PoolDetail) -> PoolRulesOut:
    r = detail.rules
    listed: dict[str, list[str]] = {"country": [], "project_type": [], "methodology": []}
    for entry in sorted(detail.lists, key=lambda e: (e.kind, e.value)):
        if entry.listed:
            listed[entry.kind].append(entry.value)
    out = PoolRulesOut(
        programmes=[
            code or f"#{i}" for i, code in zip(r.programmes, r.programme_codes, strict=True)
        ],
        programme_ids=list(r.programmes),
        vintage_from=_date(r.vintage_from),
        vintage_to=_date(r.vintage_to),
        labels_required=list(r.labels_required),
        country_mode=r.country_mode,
        project_type_mode=r.type_mode,
        methodology_mode=r.methodology_mode,
        lists=PoolLists(
            countries=listed["country"],
            project_types=listed["project_type"],
            methodologies=listed["methodology"],
        ),
        words=[],
        seq=r.seq,
    )
    out.words = rule_words(out, ENGLISH, ENGLISH_LABELS)
    return out


# ---------------------------------------------------------------- queries


def _summary(p: store.PoolSummary) -> PoolSummaryOut:
    return PoolSummaryOut(
        id=p.pool_id,
        name=p.name,
        symbol=p.symbol,
        token=p.token,
        supply=p.supply,
        holders=p.holders,
        created_by=p.created_by,
        seq=p.seq,
        block_number=p.block_number,
        tx_hash=p.tx_hash,
        url=pool_url(p.pool_id),
    )


def list_pools(conn: Connection) -> PoolList:
    """Every pool, by id."""
    snapshot(conn)
    return PoolList(items=[_summary(p) for p in store.list_pools(conn)])


def get_pool(conn: Connection, pool_id: int) -> PoolOut:
    """One pool; a 404 ``Problem`` if there is none."""
    snapshot(conn)
    detail = store.get_pool(conn, pool_id)
    if detail is None:
        raise not_found(f"pool {pool_id}")
    return PoolOut(
        **_summary(detail.pool).model_dump(),
        rules=_rules(detail),
        tonnes_held=detail.tonnes_held,
        ranges=detail.ranges,
        batches=detail.batches,
        top_holders=[PoolHolder(account=h.account, units=h.units) for h in detail.top_holders],
    )


def _exists(conn: Connection, pool_id: int) -> None:
    found = conn.execute(sa.select(s.pools.c.id).where(s.pools.c.id == pool_id)).first()
    if found is None:
        raise not_found(f"pool {pool_id}")


def _composition(c: store.PoolComposition, by: CompositionBy) -> PoolComposition:
    groups = {
        "programme": c.by_programme,
        "vintage": c.by_vintage,
        "country": c.by_country,
        "project_type": c.by_project_type,
    }[by]
    return PoolComposition(
        pool_id=c.pool_id,
        by=by,
        total=c.total,
        items=[
            CompositionItem(key=g.key, tonnes=g.tonnes, share=g.tonnes / c.total if c.total else 0)
            for g in groups
        ],
    )


def pool_composition(conn: Connection, pool_id: int, by: CompositionBy) -> PoolComposition:
    """The tonnes the pool holds grouped ``by`` one attribute; a 404 for an unknown pool."""
    snapshot(conn)
    _exists(conn, pool_id)
    return _composition(store.pool_composition(conn, pool_id), by)


def pool_compositions(conn: Connection, pool_id: int) -> dict[CompositionBy, PoolComposition]:
    """The composition every way (one scan of the pool's ranges); a 404 for an unknown pool."""
    snapshot(conn)
    _exists(conn, pool_id)
    c = store.pool_composition(conn, pool_id)
    return {by: _composition(c, by) for by in COMPOSITION_BY}


def batch_rows(conn: Connection, batch_ids: set[int]) -> dict[int, sa.Row[Any]]:
    """What a registry serial is rebuilt from, for each batch."""
    if not batch_ids:
        return {}
    b = s.batches
    query = join_project(
        sa.select(
            b.c.id,
            b.c.namespace,
            b.c.first_serial.label("batch_first"),
            b.c.last_serial.label("batch_last"),
            b.c.registry_reference,
            *PROJECT_COLUMNS,
        ).where(b.c.id.in_(sorted(batch_ids)))
    )
    return {int(row.id): row for row in conn.execute(query)}


def range_serial(
    rows: Mapping[int, sa.Row[Any]], batch_id: int, first: int, last: int
) -> str | None:
    row = rows.get(batch_id)
    return None if row is None else registry_serial(ledger_batch(row), first, last)


def pool_ranges(
    conn: Connection, pool_id: int, *, limit: int = 100, cursor: str | None = None
) -> PoolRangePage:
    """The pool's held ranges in redeem order (oldest vintage start, then lowest batch id,
    then lowest serial), ``limit`` a page; a 404 for an unknown pool."""
    snapshot(conn)
    _exists(conn, pool_id)
    scope = {"list": "pool-ranges", "pool": pool_id}
    key = decode_cursor(cursor, scope, 3)
    after = None if key is None else (key[0], key[1], key[2])
    page = store.pool_ranges(conn, pool_id, after=after, limit=limit)
    rows = batch_rows(conn, {r.batch_id for r in page.ranges})
    items = [
        PoolRangeOut(
            batch_id=r.batch_id,
            first_serial=r.first_serial,
            last_serial=r.last_serial,
            quantity=r.quantity,
            registry_serial=range_serial(rows, r.batch_id, r.first_serial, r.last_serial),
            program=r.program,
            project_id=r.project_id,
            project_name=r.project_name,
            country=r.country,
            project_type=r.project_type,
            methodology=r.methodology,
            vintage_start=int_to_date(r.vintage_start),
            vintage_end=int_to_date(r.vintage_end),
            labels=list(r.labels),
            frozen=r.frozen,
        )
        for r in page.ranges
    ]
    following = None if page.next_after is None else encode_cursor(scope, list(page.next_after))
    return PoolRangePage(pool_id=pool_id, items=items, next_cursor=following)


def _account(address: str) -> str | None:
    return None if address == ZERO_ADDRESS else address


def pool_activity(
    conn: Connection, pool_id: int, *, limit: int = 50, cursor: str | None = None
) -> PoolActivityPage:
    """The pool's deposits, redemptions, retirements and unit transfers, newest first, each
    with the exact serials it moved (registry format) and a retirement's certificates."""
    snapshot(conn)
    _exists(conn, pool_id)
    scope = {"list": "pool-activity", "pool": pool_id}
    key = decode_cursor(cursor, scope, 1)
    page = store.pool_activity(conn, pool_id, before=None if key is None else key[0], limit=limit)
    rows = batch_rows(conn, {sp.batch_id for a in page.activity for sp in a.serials})
    items = [
        PoolActivityOut(
            seq=a.seq,
            kind=a.kind,
            from_account=_account(a.from_account),
            to_account=_account(a.to_account),
            units=a.units,
            actor=a.actor,
            block_number=a.block_number,
            tx_hash=a.tx_hash,
            serials=[
                PoolSerialSpan(
                    batch_id=sp.batch_id,
                    first_serial=sp.first_serial,
                    last_serial=sp.last_serial,
                    quantity=sp.quantity,
                    registry_serial=range_serial(
                        rows, sp.batch_id, sp.first_serial, sp.last_serial
                    ),
                )
                for sp in a.serials
            ],
            retirement_ids=list(a.retirement_ids),
            certificate_urls=[certificate_url(i) for i in a.retirement_ids],
        )
        for a in page.activity
    ]
    following = None if page.next_before is None else encode_cursor(scope, [page.next_before])
    return PoolActivityPage(pool_id=pool_id, items=items, next_cursor=following)


def account_pool_units(conn: Connection, address: str) -> AccountPoolUnits:
    """The account's unit balances (an empty list for an account without units)."""
    snapshot(conn)
    names = {p.pool_id: p.name for p in store.list_pools(conn)}
    return AccountPoolUnits(
        address=address.lower(),
        items=[
            PoolUnits(
                pool_id=b.pool_id,
                name=names.get(b.pool_id, ""),
                symbol=b.symbol,
                token=b.token,
                units=b.units,
                url=pool_url(b.pool_id),
            )
            for b in store.account_pool_balances(conn, address)
            if b.units
        ],
    )


def pooled_tonnes(conn: Connection) -> list[tuple[store.PoolSummary, int]]:
    """Each pool with the tonnes it holds (its supply: the two are equal by the invariant
    ``audit verify`` checks), by id."""
    return [(p, p.supply) for p in store.list_pools(conn)]
