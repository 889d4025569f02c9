"""The pool tables derived from the ledger's pool events (issue 15), for the writer and the
rollback alike.

``PoolMirror`` keeps the state of the pools a sync touched (each pool's row, the unit balances
and allowances it read or changed, the tokens that are pool accounts) and turns each event
into row changes: ``PoolCreated``, ``PoolRulesTightened`` and ``PoolListUpdated`` shape a
pool's row and its list entries; ``PoolUnitsMoved`` its supply, balances and (for a spender's
``transferFrom``) the allowance spent; ``PoolUnitsApproved`` an allowance (a programme's unit is the
programmes table's, ``chain.indexer.writer``). A ``SerialsMoved`` into or out of a pool's token address is recorded with its
exact serials (``pool_serial_moves``); the holdings themselves are the ordinary
``serial_ranges`` (a pool retirement moves serials from the pool to the retirer, Retired, so
the retired range's holder is the retirer).

Like the batches' holdings cache, the state lives between chunks and is dropped with
``forget`` when a transaction fails; each chunk carries a snapshot of the rows it changed
(``PoolRows``), so deriving the next chunk never changes what is being written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from eth_utils.crypto import keccak
from sqlalchemy.engine import Connection

from chain.domain import RangeState
from chain.errors import IndexerError
from chain.events import LedgerEvent
from chain.indexer._bulk import upsert
from chain.indexer._fields_json import MAX_SQL_INT
from chain.store import schema as s

ZERO = "0x" + "0" * 40
MAX_UINT256 = 2**256 - 1

POOL_EVENTS = frozenset(
    {"PoolCreated", "PoolRulesTightened", "PoolListUpdated", "PoolUnitsMoved", "PoolUnitsApproved"}
)
"""The events that carry a ``poolId`` and shape a pool's state."""

LIST_KINDS = {0: "country", 1: "project_type", 2: "methodology"}
"""``PoolListUpdated.kind`` (and ``pool_list_entries.kind``) as words."""

DEPOSIT, REDEEM, RETIRE, TRANSFER = "deposit", "redeem", "retire", "transfer"


def list_tag(value: str) -> str:
    """A rule-list value's tag as the contract keys it: the first 8 bytes of keccak256 of
    its UTF-8, as 0x + 16 hex digits."""
    return "0x" + keccak(value.encode("utf-8"))[:8].hex()


def programmes_hex(bitmap: int) -> str:
    """The rules' programme bitmap (a uint256) as 0x + 64 hex digits."""
    return f"0x{int(bitmap):064x}"


def _units(value: Any, what: str) -> int:
    number = int(value)
    if number > MAX_SQL_INT:
        raise IndexerError(f"{what} {number} is beyond what the store can hold (2^63 - 1)")
    return number


def _rules(rules: dict[str, Any]) -> dict[str, Any]:
    return {
        "programmes": programmes_hex(rules["programmes"]),
        "vintage_from": int(rules["vintageFrom"]),
        "vintage_to": int(rules["vintageTo"]),
        "labels_required": int(rules["labelsRequired"]),
        "country_mode": int(rules["countryMode"]),
        "type_mode": int(rules["typeMode"]),
        "methodology_mode": int(rules["methodologyMode"]),
    }


@dataclass
class PoolRows:
    """One chunk's pool row changes: final values of the mutable rows it touched (``None``
    deletes the row) and the insert-only activity rows."""

    pools: dict[int, dict[str, Any]] = field(default_factory=dict)
    lists: dict[tuple[int, int, str], dict[str, Any]] = field(default_factory=dict)
    balances: dict[tuple[int, str], dict[str, Any] | None] = field(default_factory=dict)
    approvals: dict[tuple[int, str, str], dict[str, Any] | None] = field(default_factory=dict)
    unit_moves: list[dict[str, Any]] = field(default_factory=list)
    serial_moves: list[dict[str, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(
            (
                self.pools,
                self.lists,
                self.balances,
                self.approvals,
                self.unit_moves,
                self.serial_moves,
            )
        )


class PoolMirror:
    """The pools' state as the events left it; reads the store for what it has not seen."""

    def __init__(self, *, activity: bool = True) -> None:
        self._activity = activity  # False: the rollback's rebuild (activity rows are kept)
        self._tokens: dict[str, int] | None = None
        self._pools: dict[int, dict[str, Any]] = {}
        self._balances: dict[tuple[int, str], int] = {}
        self._approvals: dict[tuple[int, str, str], int] = {}
        self._last_out: tuple[str, int, str] | None = None  # (tx, pool, kind) of serials out

    def forget(self) -> None:
        self._tokens = None
        self._pools.clear()
        self._balances.clear()
        self._approvals.clear()
        self._last_out = None

    # ------------------------------------------------------------ lookups

    def tokens(self, conn: Connection) -> dict[str, int]:
        """Pool token address -> pool id, for every pool the store and the events hold."""
        if self._tokens is None:
            self._tokens = {
                str(token): int(pool_id)
                for pool_id, token in conn.execute(sa.select(s.pools.c.id, s.pools.c.token))
            }
        return self._tokens

    def _pool(self, conn: Connection, pool_id: int, e: LedgerEvent) -> dict[str, Any]:
        row = self._pools.get(pool_id)
        if row is None:
            found = conn.execute(sa.select(s.pools).where(s.pools.c.id == pool_id)).one_or_none()
            if found is None:
                raise IndexerError(
                    f"block {e.block_number}, seq {e.seq}, {e.name}: pool {pool_id}, "
                    "which the store does not have"
                )
            row = self._pools[pool_id] = dict(found._mapping)
        return row

    def _balance(self, conn: Connection, pool_id: int, account: str) -> int:
        key = (pool_id, account)
        units = self._balances.get(key)
        if units is None:
            units = self._balances[key] = int(
                conn.execute(
                    sa.select(s.pool_balances.c.units).where(
                        s.pool_balances.c.pool_id == pool_id,
                        s.pool_balances.c.account == account,
                    )
                ).scalar_one_or_none()
                or 0
            )
        return units

    def _allowance(self, conn: Connection, pool_id: int, owner: str, spender: str) -> int:
        key = (pool_id, owner, spender)
        amount = self._approvals.get(key)
        if amount is None:
            stored = conn.execute(
                sa.select(s.pool_approvals.c.amount).where(
                    s.pool_approvals.c.pool_id == pool_id,
                    s.pool_approvals.c.owner == owner,
                    s.pool_approvals.c.spender == spender,
                )
            ).scalar_one_or_none()
            amount = self._approvals[key] = int(stored) if stored is not None else 0
        return amount

    # ------------------------------------------------------------ deriving

    def serials_moved(self, conn: Connection, rows: PoolRows, e: LedgerEvent) -> None:
        """Record a ``SerialsMoved`` into or out of a pool's token address."""
        f = e.fields
        tokens = self.tokens(conn)
        into, out_of = tokens.get(f["to"]), tokens.get(f["from"])
        if into is None and out_of is None:
            return
        if into is not None:
            pool_id, kind, account = into, DEPOSIT, f["from"]
        else:
            assert out_of is not None
            pool_id, account = out_of, f["to"]
            kind = REDEEM if f["state"] == RangeState.HELD else RETIRE
            self._last_out = (e.tx_hash, pool_id, kind)
        if not self._activity:
            return
        first, last = int(f["firstSerial"]), int(f["lastSerial"])
        rows.serial_moves.append(
            {
                "seq": e.seq,
                "pool_id": pool_id,
                "kind": kind,
                "account": account,
                "batch_id": int(f["batchId"]),
                "first_serial": first,
                "last_serial": last,
                "quantity": last - first + 1,
                "block_number": e.block_number,
                "tx_hash": e.tx_hash,
            }
        )

    def apply(self, conn: Connection, rows: PoolRows, e: LedgerEvent) -> None:
        """Derive the rows of one pool event (``POOL_EVENTS``)."""
        f = e.fields
        match e.name:
            case "PoolCreated":
                pool_id, token = int(f["poolId"]), str(f["token"])
                row = {
                    "id": pool_id,
                    "token": token,
                    "name": f["name"],
                    "symbol": f["symbol"],
                    **_rules(f["rules"]),
                    "supply": 0,
                    "rules_seq": e.seq,
                    "actor": f["actor"],
                    "seq": e.seq,
                    "block_number": e.block_number,
                    "tx_hash": e.tx_hash,
                }
                self._pools[pool_id] = row
                self.tokens(conn)[token] = pool_id
                rows.pools[pool_id] = dict(row)
            case "PoolRulesTightened":
                pool_id = int(f["poolId"])
                row = self._pool(conn, pool_id, e)
                row.update(_rules(f["rules"]), rules_seq=e.seq)
                rows.pools[pool_id] = dict(row)
            case "PoolListUpdated":
                pool_id, kind, value = int(f["poolId"]), int(f["kind"]), str(f["value"])
                tag = list_tag(value)
                rows.lists[(pool_id, kind, tag)] = {
                    "pool_id": pool_id,
                    "kind": kind,
                    "tag": tag,
                    "value": value,
                    "listed": bool(f["listed"]),
                    "seq": e.seq,
                }
            case "PoolUnitsMoved":
                self._units_moved(conn, rows, e)
            case "PoolUnitsApproved":
                pool_id = int(f["poolId"])
                owner, spender = str(f["owner"]), str(f["spender"])
                self._approvals[(pool_id, owner, spender)] = int(f["amount"])
                rows.approvals[(pool_id, owner, spender)] = self._approval_row(
                    pool_id, owner, spender, e.seq
                )
            case _:
                pass

    def _units_moved(self, conn: Connection, rows: PoolRows, e: LedgerEvent) -> None:
        f = e.fields
        pool_id, sender, to = int(f["poolId"]), str(f["from"]), str(f["to"])
        amount, actor = _units(f["amount"], "pool units"), str(f["actor"])
        pool = self._pool(conn, pool_id, e)
        where = f"block {e.block_number}, seq {e.seq}, PoolUnitsMoved"
        if sender == ZERO:
            kind = DEPOSIT
            pool["supply"] = _units(pool["supply"] + amount, "pool supply")
        else:
            held = self._balance(conn, pool_id, sender)
            if held < amount:
                raise IndexerError(
                    f"{where}: {sender} moves {amount} units of pool {pool_id}, holding {held}"
                )
            self._set_balance(rows, pool_id, sender, held - amount, e.seq)
            if to == ZERO:
                last = self._last_out
                same_tx = last is not None and last[0] == e.tx_hash and last[1] == pool_id
                kind = last[2] if same_tx and last is not None else REDEEM
                pool["supply"] -= amount
            else:
                kind = TRANSFER
                if actor != sender:  # a spender's transferFrom spends the owner's allowance
                    allowed = self._allowance(conn, pool_id, sender, actor)
                    if allowed != MAX_UINT256:
                        if allowed < amount:
                            raise IndexerError(
                                f"{where}: {actor} moves {amount} units of {sender}'s in pool "
                                f"{pool_id}, allowed {allowed}"
                            )
                        self._approvals[(pool_id, sender, actor)] = allowed - amount
                        rows.approvals[(pool_id, sender, actor)] = self._approval_row(
                            pool_id, sender, actor, e.seq
                        )
        if to != ZERO:
            balance = _units(self._balance(conn, pool_id, to) + amount, "pool units")
            self._set_balance(rows, pool_id, to, balance, e.seq)
        rows.pools[pool_id] = dict(pool)
        if self._activity:
            rows.unit_moves.append(
                {
                    "seq": e.seq,
                    "pool_id": pool_id,
                    "kind": kind,
                    "from_account": sender,
                    "to_account": to,
                    "amount": amount,
                    "actor": actor,
                    "block_number": e.block_number,
                    "tx_hash": e.tx_hash,
                }
            )

    def _set_balance(
        self, rows: PoolRows, pool_id: int, account: str, units: int, seq: int
    ) -> None:
        self._balances[(pool_id, account)] = units
        rows.balances[(pool_id, account)] = (
            {"pool_id": pool_id, "account": account, "units": units, "seq": seq} if units else None
        )

    def _approval_row(
        self, pool_id: int, owner: str, spender: str, seq: int
    ) -> dict[str, Any] | None:
        amount = self._approvals[(pool_id, owner, spender)]
        if not amount:
            return None
        return {
            "pool_id": pool_id,
            "owner": owner,
            "spender": spender,
            "amount": str(amount),
            "seq": seq,
        }


def write_pool_rows(conn: Connection, rows: PoolRows) -> None:
    """Write one chunk's pool rows (in the caller's transaction): upserts of the mutable rows
    it changed (deleting those that became zero), inserts of the activity rows."""
    upsert(conn, s.pools, list(rows.pools.values()))
    upsert(conn, s.pool_list_entries, list(rows.lists.values()))
    _upsert_or_delete(conn, s.pool_balances, rows.balances, ("pool_id", "account"))
    _upsert_or_delete(conn, s.pool_approvals, rows.approvals, ("pool_id", "owner", "spender"))
    if rows.unit_moves:
        conn.execute(s.pool_unit_moves.insert(), rows.unit_moves)
    if rows.serial_moves:
        conn.execute(s.pool_serial_moves.insert(), rows.serial_moves)


def _upsert_or_delete(
    conn: Connection,
    table: sa.Table,
    changes: dict[Any, dict[str, Any] | None],
    keys: tuple[str, ...],
) -> None:
    gone = [dict(zip(keys, key, strict=True)) for key, row in changes.items() if row is None]
    if gone:
        conn.execute(
            table.delete().where(*(table.c[k] == sa.bindparam(f"k_{k}") for k in keys)),
            [{f"k_{k}": v for k, v in g.items()} for g in gone],
        )
    upsert(conn, table, [row for row in changes.values() if row is not None])
