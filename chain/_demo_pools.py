"""The demo's pools step (issue 15): after the buyers, two pools over the real Verra and Gold
Standard credits the demo imported, and their summary lines.

- A **CORSIA-eligible pool**: VCS and Gold Standard units labelled CORSIA eligible, vintage
  starting on or after 2016-01-01 (ICAO's CORSIA Eligible Emissions Units admit vintages from
  2016 for the pilot phase and from 2021 for the first phase: docs/ARCHITECTURE.md, Pools).
- A **nature-based pool**: VCS and Gold Standard projects of the forestry and land-use type,
  as the registries write it ("Agriculture Forestry and Other Land Use" in Verra's export; the
  Gold Standard export the demo bundles has no land-use project).

The registries' custody accounts deposit whole eligible ranges; one deposit per pool that
the rules refuse is tried and its refusal printed with the rule and what it compared; units
go to two buyers through each pool's ERC-20, who redeem some (exact serials back) and retire
some for a named beneficiary (one retirement per range, each with its registry serial).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from chain._demo_serials import retirement_line, retirement_rows
from chain.client import LedgerClient
from chain.domain import (
    Label,
    PoolMode,
    PoolRules,
    RangeState,
    int_to_date,
    label_names,
)
from chain.errors import CarbonLedgerError, PoolIneligible
from chain.store import pools as store_pools
from chain.store import schema as s

CORSIA_FROM = dt.date(2016, 1, 1)
NATURE_TYPES = ("Agriculture Forestry and Other Land Use",)
CORSIA_POOL = ("CORSIA-eligible units (VCS, GS)", "CORSIA")
NATURE_POOL = ("Nature-based units (forestry and land use)", "NATURE")


@dataclass(frozen=True)
class Live:
    """A batch a registry's custody holds whole and live."""

    batch_id: int
    program: str
    first: int
    quantity: int
    labels: Label
    vintage_start: int
    project_type: str


def _live(engine: Engine, custody: dict[str, str]) -> list[Live]:
    b, r, p, j = s.batches, s.serial_ranges, s.programs, s.projects
    out = []
    with engine.connect() as conn:
        for program, account in custody.items():
            rows = conn.execute(
                sa.select(
                    b.c.id,
                    b.c.first_serial,
                    b.c.quantity,
                    b.c.labels,
                    b.c.vintage_start,
                    j.c.project_type,
                )
                .join(p, p.c.id == b.c.program_id)
                .join(j, j.c.key == b.c.project_key)
                .join(r, r.c.batch_id == b.c.id)
                .where(
                    p.c.code == program,
                    r.c.holder == account.lower(),
                    r.c.state == int(RangeState.HELD),
                    r.c.first_serial == b.c.first_serial,
                    r.c.last_serial == b.c.last_serial,
                )
                .order_by(b.c.vintage_start, b.c.id)
            )
            out += [
                Live(int(i), program, int(f), int(q), Label(int(lab)), int(v), str(t))
                for i, f, q, lab, v, t in rows
            ]
    return out


def _corsia(x: Live) -> bool:
    return bool(x.labels & Label.CORSIA_ELIGIBLE) and x.vintage_start >= 20160101


def _nature(x: Live) -> bool:
    return x.project_type in NATURE_TYPES


def _varied(items: Sequence[Live], n: int) -> list[Live]:
    """Up to ``n`` of ``items`` (oldest vintage first), each of another vintage year and
    project than those before, so the pool's composition has something to show."""
    out: list[Live] = []
    for x in items:
        if all(x.vintage_start // 10_000 != y.vintage_start // 10_000 for y in out):
            out.append(x)
        if len(out) == n:
            break
    return out


def run_pools(
    admin: LedgerClient,
    registry: dict[str, LedgerClient],
    buyers: Sequence[LedgerClient],
    engine: Engine,
    say: Callable[[str], None],
) -> int:
    """Create, fill, refuse, redeem and retire (the store must be current); returns gas."""
    gas = 0

    def spent(result: object) -> None:
        nonlocal gas
        gas += int(getattr(result, "gas_used", 0))

    spent(admin.grant_role(admin.role("POOL_ADMIN_ROLE"), admin.account))
    programmes = frozenset(admin.program_id(code) for code in ("VCS", "GS"))
    corsia_rules = PoolRules(programmes, CORSIA_FROM, None, Label.CORSIA_ELIGIBLE)
    corsia, _ = admin.create_pool(*CORSIA_POOL, corsia_rules)
    nature_rules = PoolRules(programmes, type_mode=PoolMode.ONLY)
    nature, _ = admin.create_pool(*NATURE_POOL, nature_rules, project_types=NATURE_TYPES)
    say(
        f"  created pool {corsia} ({CORSIA_POOL[1]}: VCS or GS, CORSIA eligible, vintage from "
        f"{CORSIA_FROM}) and pool {nature} ({NATURE_POOL[1]}: VCS or GS, project type only "
        f"{', '.join(NATURE_TYPES)})"
    )

    live = _live(engine, {code: c.account for code, c in registry.items()})
    plan = [
        (corsia, _varied([x for x in live if _corsia(x)], 2), (3_000, 2_000)),
        (nature, _varied([x for x in live if _nature(x)], 2), (500, 1_500)),
    ]
    for pool_id, chosen, amounts in plan:
        for x, amount in zip(chosen, amounts, strict=False):
            tonnes = min(amount, x.quantity)
            spent(
                registry[x.program].pool_deposit(pool_id, x.batch_id, x.first, x.first + tonnes - 1)
            )
            say(
                f"  {x.program} custody deposited {tonnes:,} t of batch {x.batch_id} in pool {pool_id}"
            )
    refused = [
        (corsia, next(x for x in live if x.program == "VCS" and not _corsia(x))),
        (nature, next(x for x in live if x.program == "GS" and not _nature(x))),
    ]
    for pool_id, x in refused:
        try:
            registry[x.program].pool_deposit(pool_id, x.batch_id, x.first, x.first)
        except PoolIneligible as exc:
            labels = ", ".join(label_names(int(x.labels))) or "none"
            say(f"  refused: {exc}")
            say(
                f"    (batch {x.batch_id}: {x.program}, vintage {int_to_date(x.vintage_start)}, "
                f"labels {labels}, project type {x.project_type!r})"
            )
        else:
            raise CarbonLedgerError(
                f"pool {pool_id} admitted batch {x.batch_id}, which it must refuse"
            )

    a, b = buyers[0], buyers[1]
    spent(registry["VCS"].pool_transfer(corsia, a.account, 1_500))
    spent(registry["VCS"].pool_transfer(nature, b.account, 1_000))
    say(f"  1,500 units of pool {corsia} and 1,000 of pool {nature} transferred to two buyers")
    redeemed = a.pool_redeem(corsia, 200)
    spent(redeemed)
    back = [
        f"batch {e.fields['batchId']} {e.fields['firstSerial']}-{e.fields['lastSerial']}"
        for e in redeemed.events
        if e.name == "SerialsMoved"
    ]
    say(f"  a buyer redeemed 200 units of pool {corsia} for serials {', '.join(back)}")
    spent(a.pool_retire(corsia, 500, "Demo Airways"))
    spent(b.pool_retire(nature, 600, "Demo Outdoor Co.", note="nature-based offset"))
    say(f"  buyers retired 500 units of pool {corsia} and 600 units of pool {nature}")
    return gas


def pool_retirement_ids(engine: Engine) -> set[int]:
    """The retirements made by retiring pool units."""
    with engine.connect() as conn:
        page = store_pools.pool_activity(conn, limit=1_000_000)
    return {rid for a in page.activity for rid in a.retirement_ids}


def _shares(items: Sequence[store_pools.Tonnes]) -> str:
    return ", ".join(f"{t.key} {t.tonnes:,}" for t in items) or "none"


def pool_lines(engine: Engine) -> list[str]:
    """Each pool with its supply and composition, then each pool retirement with the exact
    serials it retired as the registry writes them."""
    lines = []
    with engine.connect() as conn:
        for pool in store_pools.list_pools(conn):
            c = store_pools.pool_composition(conn, pool.pool_id)
            lines.append(
                f"pool {pool.pool_id} {pool.symbol} ({pool.name}): supply {pool.supply:,} units "
                f"= {c.total:,} t held, {pool.holders} holders"
            )
            lines.append(f"  by programme: {_shares(c.by_programme)}")
            lines.append(f"  by vintage: {_shares(c.by_vintage)}")
            lines.append(f"  by country: {_shares(c.by_country)}")
            lines.append(f"  by project type: {_shares(c.by_project_type)}")
        retired = [
            (a.pool_id, rid)
            for a in reversed(store_pools.pool_activity(conn, limit=1_000_000).activity)
            for rid in a.retirement_ids
        ]
        rows = {
            int(row.id): row
            for row in retirement_rows(conn, s.retirements.c.id.in_([rid for _, rid in retired]))
        }
    for pool_id, rid in retired:
        lines.append(f"pool {pool_id} {retirement_line(rows[rid])}")
    return lines
