"""``audit verify``'s pool checks (issue 15): the pool invariant on the chain and in the store.

On the chain (from the log alone, then against the contract's views at the same block):

- the units each ``PoolUnitsMoved`` moves were held by its sender (no balance goes negative);
- per pool, the unit supply the log implies equals the tonnes the pool's token address holds
  ``Held`` in the replayed holdings, and equals the contract's own ``pool(poolId).supply``;
  the ranges it holds are as many as the contract's order list has (``pool(poolId).ranges``);
- every balance the log implies equals the contract's ``poolUnitBalance``.

In the store (besides the row-by-row diff against a re-derivation, which covers the pool tables
like every other): per pool, ``pools.supply`` equals the sum of its ``pool_balances`` and the
tonnes its token holds ``Held`` in ``serial_ranges``. A tampered balance or supply is so named
twice: by the diff (table, key, column) and by the invariant it breaks.

Findings are ``Discrepancy`` rows of kind ``pool``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chain.domain import RangeState
from chain.events import LedgerEvent
from chain.replay import ZERO_ADDRESS, BatchHoldings
from chain.store import schema as s


@dataclass(frozen=True)
class PoolFinding:
    """One broken pool invariant: where (block, event) and what (field, message)."""

    block: int | None
    event: str
    field: str
    message: str


@dataclass
class ReplayedPool:
    pool_id: int
    token: str
    block: int
    supply: int = 0
    balances: dict[str, int] = field(default_factory=dict)


def replay_pools(trail: Iterable[LedgerEvent]) -> tuple[dict[int, ReplayedPool], list[PoolFinding]]:
    """Every pool's supply and balances from the log, and the moves that spent units their
    sender did not hold."""
    pools: dict[int, ReplayedPool] = {}
    found: list[PoolFinding] = []
    for e in trail:
        f = e.fields
        if e.name == "PoolCreated":
            pool_id = int(f["poolId"])
            pools[pool_id] = ReplayedPool(pool_id, str(f["token"]).lower(), e.block_number)
        elif e.name == "PoolUnitsMoved":
            pool_id, amount = int(f["poolId"]), int(f["amount"])
            pool = pools.get(pool_id)
            if pool is None:
                found.append(
                    PoolFinding(
                        e.block_number,
                        e.name,
                        "poolId",
                        f"seq {e.seq}: units of unknown pool {pool_id}",
                    )
                )
                continue
            sender, to = str(f["from"]).lower(), str(f["to"]).lower()
            if sender == ZERO_ADDRESS:
                pool.supply += amount
            else:
                held = pool.balances.get(sender, 0)
                if held < amount:
                    found.append(
                        PoolFinding(
                            e.block_number,
                            e.name,
                            "amount",
                            f"seq {e.seq}: {sender} moves {amount} units of pool {pool_id}, "
                            f"holding {held}",
                        )
                    )
                pool.balances[sender] = held - amount
            if to == ZERO_ADDRESS:
                pool.supply -= amount
            else:
                pool.balances[to] = pool.balances.get(to, 0) + amount
    return pools, found


def held_by(batches: Iterable[BatchHoldings], accounts: set[str]) -> dict[str, int]:
    """Tonnes each of ``accounts`` holds Held across ``batches``."""
    out = dict.fromkeys(accounts, 0)
    for batch in batches:
        for r in batch.ranges:
            if r.state == RangeState.HELD and r.holder in out:
                out[r.holder] += r.last - r.first + 1
    return out


def ranges_held(batches: Iterable[BatchHoldings], accounts: set[str]) -> dict[str, int]:
    """Held ranges each of ``accounts`` has across ``batches``."""
    out = dict.fromkeys(accounts, 0)
    for batch in batches:
        for r in batch.ranges:
            if r.state == RangeState.HELD and r.holder in out:
                out[r.holder] += 1
    return out


def check_chain_pools(
    pools: dict[int, ReplayedPool],
    batches: Iterable[BatchHoldings],
    contract: Any,
    block: int,
) -> list[PoolFinding]:
    """Each pool's replayed supply against the tonnes its token holds in the replayed
    holdings, and against the contract's views (``pool``, ``poolUnitBalance``) at ``block``."""
    found: list[PoolFinding] = []
    batches = list(batches)
    held = held_by(batches, {p.token for p in pools.values()})
    counts = ranges_held(batches, {p.token for p in pools.values()})
    for pool_id, pool in sorted(pools.items()):
        tonnes = held[pool.token]
        if pool.supply != tonnes:
            found.append(
                PoolFinding(
                    block,
                    "pool",
                    "supply",
                    f"pool {pool_id}: the log gives a unit supply of {pool.supply}, its token "
                    f"{pool.token} holds {tonnes} t",
                )
            )
        view = contract.functions.pool(pool_id).call(block_identifier=block)
        on_chain = int(_member(view, "supply", 2))
        listed = int(_member(view, "ranges", 3))
        if listed != counts[pool.token]:
            found.append(
                PoolFinding(
                    block,
                    "pool",
                    "ranges",
                    f"pool {pool_id}: its token holds {counts[pool.token]} ranges by the log, "
                    f"the contract's order list has {listed}",
                )
            )
        if on_chain != pool.supply:
            found.append(
                PoolFinding(
                    block,
                    "pool",
                    "supply",
                    f"pool {pool_id}: log gives supply {pool.supply}, contract {on_chain}",
                )
            )
        for account, units in sorted(pool.balances.items()):
            have = int(
                contract.functions.poolUnitBalance(pool_id, _checksum(account)).call(
                    block_identifier=block
                )
            )
            if have != units:
                found.append(
                    PoolFinding(
                        block,
                        "pool",
                        "balance",
                        f"pool {pool_id}: {account} holds {units} units by the log, contract "
                        f"says {have}",
                    )
                )
    return found


def check_store_pools(conn: Connection) -> list[PoolFinding]:
    """In the store: per pool, ``supply`` = sum of its balances = tonnes its token holds."""
    found: list[PoolFinding] = []
    p, b, r = s.pools, s.pool_balances, s.serial_ranges
    balances: dict[int, Any] = {
        int(k): v
        for k, v in conn.execute(
            sa.select(b.c.pool_id, sa.func.sum(b.c.units)).group_by(b.c.pool_id)
        )
    }
    held: dict[int, Any] = {
        int(k): v
        for k, v in conn.execute(
            sa.select(p.c.id, sa.func.sum(r.c.last_serial - r.c.first_serial + 1))
            .join(r, sa.and_(r.c.holder == p.c.token, r.c.state == int(RangeState.HELD)))
            .group_by(p.c.id)
        )
    }
    for pool_id, supply, block in conn.execute(
        sa.select(p.c.id, p.c.supply, p.c.block_number).order_by(p.c.id)
    ):
        total = int(balances.get(pool_id) or 0)
        tonnes = int(held.get(pool_id) or 0)
        if total != supply:
            found.append(
                PoolFinding(
                    int(block),
                    "pools",
                    "supply",
                    f"pool {pool_id}: the store's supply is {supply}, its pool_balances sum "
                    f"to {total}",
                )
            )
        if tonnes != supply:
            found.append(
                PoolFinding(
                    int(block),
                    "pools",
                    "supply",
                    f"pool {pool_id}: the store's supply is {supply}, its token holds {tonnes} t "
                    "in serial_ranges",
                )
            )
    return found


def _member(view: Any, name: str, index: int) -> Any:
    return getattr(view, name) if hasattr(view, name) else view[index]


def _checksum(address: str) -> str:
    from web3 import Web3

    return Web3.to_checksum_address(address)
