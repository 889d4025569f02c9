"""The test's own mirror of the ledger, built from every accepted event as ``raw`` decoded it:
what the next operations can draw on (programmes, roles, projects, batches and their holding
ranges, the bridged-part list for hints), and every row each store must then hold, exactly.

It is a second, deliberately plain implementation of what ``chain.indexer`` derives, written
from the contract's events alone; the pipeline test holds the two together.
"""

from __future__ import annotations

import bisect
import copy
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from tests.integration.raw import RawEvent, Text

ZERO = "0x" + "00" * 20
DEFAULT_ADMIN_ROLE = b"\0" * 32
COMPLIANCE_ROLE = keccak(text="COMPLIANCE_ROLE")
PAUSER_ROLE = keccak(text="PAUSER_ROLE")
POOL_ADMIN_ROLE = keccak(text="POOL_ADMIN_ROLE")
HELD, RETIRED, DETOKENISED, CANCELLED = 1, 2, 3, 4
STATE_COLUMN = {RETIRED: "retired", DETOKENISED: "detokenised", CANCELLED: "cancelled"}


def issuer_role(program: int) -> bytes:
    return keccak(encode(["bytes32", "uint16"], [keccak(text="ISSUER_ROLE"), program]))


def program_admin_role(program: int) -> bytes:
    return keccak(encode(["bytes32", "uint16"], [keccak(text="PROGRAM_ADMIN_ROLE"), program]))


def namespace_id(program: int, namespace: bytes) -> int:
    return int.from_bytes(keccak(encode(["uint16", "bytes"], [program, namespace]))) >> 96


def project_key(program: int, project_id: bytes) -> bytes:
    return keccak(encode(["uint16", "bytes"], [program, project_id]))


def text(value: bytes) -> str:
    """Accepted text as the stores must hold it: the very bytes, read as UTF-8 (strictly: the
    contract accepting anything else would be a bug this raises on)."""
    return bytes(value).decode("utf-8")


def hexed(value: bytes) -> str:
    return "0x" + bytes(value).hex()


@dataclass
class Range:
    last: int
    holder: str
    state: int
    seq: int


@dataclass
class Programme:
    code: bytes
    seq: int
    fixed: bool = False
    numeric: bool = False
    namespaces: dict[int, bytes] = field(default_factory=dict)  # allowed, by namespace id
    unit_grams: int = 1_000_000  # grams per serial (``ProgramUnitSet``; 0 on chain: a tonne)


@dataclass
class Mirror:
    seq: int = 0
    genesis: bytes = b"\0" * 32
    """The ledger's genesis audit head (``Deployment.audit_genesis``); ``head`` starts there."""
    head: bytes = b"\0" * 32
    paused: bool = False
    pending_admin: str | None = None
    events: list[RawEvent] = field(default_factory=list)
    roles: dict[tuple[bytes, str], int] = field(default_factory=dict)
    programmes: dict[int, Programme] = field(default_factory=dict)
    projects: dict[bytes, dict[str, Any]] = field(default_factory=dict)
    batches: dict[int, dict[str, Any]] = field(default_factory=dict)
    namespaces: dict[int, bytes] = field(default_factory=dict)  # batch id → namespace bytes
    ranges: dict[int, dict[int, Range]] = field(default_factory=dict)
    retirements: dict[int, dict[str, Any]] = field(default_factory=dict)
    detokenisations: dict[int, dict[str, Any]] = field(default_factory=dict)
    cancellations: dict[int, dict[str, Any]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    parts: list[int] = field(default_factory=list)  # every bridged part's key, sorted
    bridged: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # by namespace id
    nonces: dict[str, int] = field(default_factory=dict)  # signers' EIP-712 nonces used
    pools: dict[int, dict[str, Any]] = field(default_factory=dict)  # the pools rows
    pool_tokens: dict[str, int] = field(default_factory=dict)  # token address → pool id
    pool_lists: dict[tuple[int, int, str], dict[str, Any]] = field(default_factory=dict)
    pool_balances: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    pool_approvals: dict[tuple[int, str, str], dict[str, Any]] = field(default_factory=dict)
    pool_unit_moves: dict[int, dict[str, Any]] = field(default_factory=dict)
    pool_serial_moves: dict[int, dict[str, Any]] = field(default_factory=dict)
    pool_order: dict[int, dict[int, int]] = field(default_factory=dict)  # pool → key → start
    last_out: tuple[str, int, str] | None = None  # (tx, pool, kind) of serials leaving a pool

    def copy(self) -> Mirror:
        return copy.deepcopy(self)

    # ------------------------------------------------------------ what operations draw on

    def has_role(self, role: bytes, account: str) -> bool:
        return (role, account.lower()) in self.roles

    def members(self, role: bytes) -> list[str]:
        return sorted(a for r, a in self.roles if r == role)

    @property
    def admin(self) -> str:
        admins = [a for a in self.members(DEFAULT_ADMIN_ROLE) if a != ZERO]
        return admins[0] if admins else ZERO

    def active(self, account: str) -> bool:
        status = self.accounts.get(account.lower())
        return status is not None and status["allowed"] and not status["frozen"]

    def held(self, batch: int) -> list[tuple[int, Range]]:
        return [(start, r) for start, r in sorted(self.ranges[batch].items()) if r.state == HELD]

    def free_start(self, ns_id: int, quantity: int, limit: int) -> int | None:
        """The lowest serial from which ``quantity`` serials of a namespace, ending at most at
        ``limit``, overlap nothing bridged there (``None`` if there is no such room)."""
        spans = self.bridged.get(ns_id, [])
        for start in [0, *(last + 1 for _, last in spans)]:
            end = start + quantity - 1
            if end <= limit and not any(f <= end and start <= last for f, last in spans):
                return start
        return None

    def part_hint(self, key: int) -> int:
        """The key of the bridged part right below ``key`` (0, the list's head, if none)."""
        i = bisect.bisect_left(self.parts, key)
        return self.parts[i - 1] if i else 0

    # ------------------------------------------------------------ applying events

    def apply(self, e: RawEvent) -> None:
        assert e.seq == self.seq + 1, f"{e.name}: seq {e.seq} after {self.seq}"
        self.seq = e.seq
        self.head = keccak(self.head + b"".join(e.topics) + e.data)
        self.events.append(e)
        f = e.fields
        where = {"seq": e.seq, "block_number": e.block_number, "tx_hash": e.tx_hash}
        match e.name:
            case "RoleUpdated":
                key = (bytes(f["role"]), f["account"])
                if f["granted"]:
                    self.roles[key] = e.seq
                else:
                    self.roles.pop(key, None)
            case "AdminChangeRecorded":
                action = f["action"]  # AdminAction: 0 begun, 1 cancelled, 2 accepted, 3-4 delay
                if action == 0:
                    self.pending_admin = f["newAdmin"]
                elif action in (1, 2):
                    self.pending_admin = None
            case "ProgramRegistered":
                self.programmes[f["programId"]] = Programme(bytes(f["code"]), e.seq)
            case "ProgramPolicyUpdated":
                p = self.programmes[f["programId"]]
                p.fixed, p.numeric = f["fixedNamespaces"], f["numericProjectIds"]
            case "NamespaceUpdated":
                p = self.programmes[f["programId"]]
                ns_id = namespace_id(f["programId"], f["namespace"])
                if f["allowed"]:
                    p.namespaces[ns_id] = bytes(f["namespace"])
                else:
                    p.namespaces.pop(ns_id, None)
            case "ProjectRegistered":
                p = f["project"]
                self.projects[bytes(f["projectKey"])] = {
                    "key": hexed(f["projectKey"]),
                    "program_id": f["programId"],
                    "project_id": text(p["projectId"]),
                    "name": text(p["name"]),
                    "country": text(p["country"]),
                    "methodology": text(p["methodology"]),
                    "project_type": text(p["projectType"]),
                    "seq": e.seq,
                }
            case "AccountUpdated":
                self.accounts[f["account"]] = {
                    "address": f["account"],
                    "allowed": f["allowed"],
                    "frozen": f["frozen"],
                    "seq": e.seq,
                }
            case "PauseChanged":
                self.paused = f["paused"]
            case "BatchBridged":
                self._bridged(e, where)
            case "SerialsMoved":
                self._moved(e)
            case "LabelsUpdated":
                self.batches[f["batchId"]]["labels"] = f["labels"]
            case "BatchFreezeChanged":
                self.batches[f["batchId"]]["frozen"] = f["frozen"]
            case "CreditsRetired":
                r = f["retirement"]
                self.retirements[f["retirementId"]] = {
                    "id": f["retirementId"],
                    "batch_id": r["batchId"],
                    "holder": f["holder"],
                    "first_serial": r["firstSerial"],
                    "last_serial": r["lastSerial"],
                    "quantity": r["lastSerial"] - r["firstSerial"] + 1,
                    "beneficiary": text(r["beneficiary"]),
                    "purpose": r["purpose"],
                    "jurisdiction": text(r["jurisdiction"]),
                    "consumption_start": r["consumptionStart"],
                    "consumption_end": r["consumptionEnd"],
                    "note": text(r["note"]),
                    "retired_on": f["retiredOn"],
                    "mirrored": f["mirrored"],
                    "actor": f["actor"],
                    "labels": f["labels"],
                    **where,
                }
            case "CreditsDetokenised" | "CreditsCancelled":
                row = {
                    "seq": e.seq,
                    "batch_id": f["batchId"],
                    "holder": f["holder"],
                    "first_serial": f["firstSerial"],
                    "last_serial": f["lastSerial"],
                    "quantity": f["lastSerial"] - f["firstSerial"] + 1,
                }
                tail = {"block_number": e.block_number, "tx_hash": e.tx_hash}
                if e.name == "CreditsDetokenised":
                    reference = text(f["registryReference"])
                    self.detokenisations[e.seq] = {
                        **row,
                        "registry_reference": reference,
                        **tail,
                    }
                else:
                    self.cancellations[e.seq] = {
                        **row,
                        "reason": text(f["reason"]),
                        "actor": f["actor"],
                        "reversed_batch_id": None,
                        **tail,
                    }
            case "ProgramUnitSet":
                self.programmes[f["programId"]].unit_grams = f["unitGrams"] or 1_000_000
            case "PoolCreated" | "PoolRulesTightened" | "PoolListUpdated":
                self._pool_governed(e, where)
            case "PoolUnitsMoved":
                self._units_moved(e)
            case "PoolUnitsApproved":
                key = (f["poolId"], f["owner"], f["spender"])
                self._approval(key, f["amount"], e.seq)
            case _:
                raise AssertionError(f"an event the mirror does not know: {e.name}")

    def _bridged(self, e: RawEvent, where: dict[str, Any]) -> None:
        i, batch = e.fields["issuance"], e.fields["batchId"]
        first, last = i["firstSerial"], i["lastSerial"]
        self.batches[batch] = {
            "id": batch,
            "program_id": i["programId"],
            "project_key": hexed(i["projectKey"]),
            "namespace": text(i["namespace"]),
            "first_serial": first,
            "last_serial": last,
            "quantity": last - first + 1,
            "recipient": i["recipient"],
            "vintage_start": i["vintageStart"],
            "vintage_end": i["vintageEnd"],
            "labels": i["labels"],
            "metadata_hash": hexed(i["metadataHash"]),
            "registry_reference": text(i["registryReference"]),
            "frozen": False,
            "retired": 0,
            "detokenised": 0,
            "cancelled": 0,
            "bridged_by": e.fields["actor"],
            **where,
        }
        self.namespaces[batch] = bytes(i["namespace"])
        self.ranges[batch] = {}
        ns_id = namespace_id(i["programId"], i["namespace"])
        bisect.insort(self.parts, ns_id << 64 | first)
        bisect.insort(self.bridged.setdefault(ns_id, []), (first, last))

    def _moved(self, e: RawEvent) -> None:
        """Split the ranges ``first..last`` overlaps: the left and right remainders stay
        their holder's, the moved piece becomes ``to``'s in ``state``; all three are shaped
        by this event. Serials into or out of a pool's token also move in its order list."""
        f = e.fields
        self._pool_serials(e)
        batch, first, last = f["batchId"], f["firstSerial"], f["lastSerial"]
        ranges = self.ranges[batch]
        for start in sorted(ranges):
            r = ranges[start]
            if r.last < first or start > last:
                continue
            assert r.holder == f["from"] and r.state == HELD, f"seq {e.seq} moves unheld serials"
            del ranges[start]
            if start < first:
                ranges[start] = Range(first - 1, r.holder, HELD, e.seq)
            if r.last > last:
                ranges[last + 1] = Range(r.last, r.holder, HELD, e.seq)
        ranges[first] = Range(last, f["to"], f["state"], e.seq)
        if f["state"] != HELD:
            self.batches[batch][STATE_COLUMN[f["state"]]] += last - first + 1

    # ------------------------------------------------------------ pools

    def pool_key(self, batch: int, last: int) -> int:
        """The contract's order key: packed vintage start, batch id, last serial."""
        ymd = int(self.batches[batch]["vintage_start"])
        packed = (ymd // 10000) << 9 | (ymd // 100 % 100) << 5 | ymd % 100
        return packed << 128 | batch << 64 | last

    def pool_hint(self, pool: int, key: int) -> int:
        """The key of the pool's range right below ``key`` (0, the head, if none)."""
        below = [k for k in self.pool_order.get(pool, {}) if k < key]
        return max(below, default=0)

    def units(self, pool: int, account: str) -> int:
        row = self.pool_balances.get((pool, account.lower()))
        return int(row["units"]) if row else 0

    def _pool_governed(self, e: RawEvent, where: dict[str, Any]) -> None:
        f = e.fields
        pool = f["poolId"]
        if e.name == "PoolListUpdated":
            value = text(f["value"])
            tag = hexed(keccak(value.encode())[:8])
            self.pool_lists[pool, f["kind"], tag] = {
                "pool_id": pool,
                "kind": f["kind"],
                "tag": tag,
                "value": value,
                "listed": f["listed"],
                "seq": e.seq,
            }
            return
        r = f["rules"]
        rules = {
            "programmes": f"0x{r['programmes']:064x}",
            "vintage_from": r["vintageFrom"],
            "vintage_to": r["vintageTo"],
            "labels_required": r["labelsRequired"],
            "country_mode": r["countryMode"],
            "type_mode": r["typeMode"],
            "methodology_mode": r["methodologyMode"],
            "rules_seq": e.seq,
        }
        if e.name == "PoolRulesTightened":
            self.pools[pool].update(rules)
            return
        self.pools[pool] = {
            "id": pool,
            "token": f["token"],
            "name": text(f["name"]),
            "symbol": text(f["symbol"]),
            **rules,
            "supply": 0,
            "actor": f["actor"],
            **where,
        }
        self.pool_tokens[f["token"]] = pool
        self.pool_order[pool] = {}

    def _pool_serials(self, e: RawEvent) -> None:
        f = e.fields
        into, out = self.pool_tokens.get(f["to"]), self.pool_tokens.get(f["from"])
        if into is None and out is None:
            return
        batch, first, last = f["batchId"], f["firstSerial"], f["lastSerial"]
        if into is not None:
            pool, kind, account = into, "deposit", f["from"]
            self.pool_order[pool][self.pool_key(batch, last)] = first
        else:
            assert out is not None
            pool, account = out, f["to"]
            kind = "redeem" if f["state"] == HELD else "retire"
            self.last_out = (e.tx_hash, pool, kind)
            order = self.pool_order[pool]
            (key,) = [
                k for k, s in order.items() if s == first and (k >> 64) & (2**64 - 1) == batch
            ]
            if key & (2**64 - 1) == last:
                del order[key]
            else:
                order[key] = last + 1
        self.pool_serial_moves[e.seq] = {
            "seq": e.seq,
            "pool_id": pool,
            "kind": kind,
            "account": account,
            "batch_id": batch,
            "first_serial": first,
            "last_serial": last,
            "quantity": last - first + 1,
            "block_number": e.block_number,
            "tx_hash": e.tx_hash,
        }

    def _units_moved(self, e: RawEvent) -> None:
        f = e.fields
        pool, sender, to, amount = f["poolId"], f["from"], f["to"], f["amount"]
        row = self.pools[pool]
        if sender == ZERO:
            kind = "deposit"
            row["supply"] += amount
        else:
            self._balance(pool, sender, self.units(pool, sender) - amount, e.seq)
            if to == ZERO:
                assert self.last_out is not None and self.last_out[:2] == (e.tx_hash, pool)
                kind = self.last_out[2]
                row["supply"] -= amount
            else:
                kind = "transfer"
                spender = f["actor"]
                approval = self.pool_approvals.get((pool, sender, spender))
                if spender != sender and approval is not None:
                    allowed = int(approval["amount"])
                    if allowed != 2**256 - 1:
                        self._approval((pool, sender, spender), allowed - amount, e.seq)
        if to != ZERO:
            self._balance(pool, to, self.units(pool, to) + amount, e.seq)
        self.pool_unit_moves[e.seq] = {
            "seq": e.seq,
            "pool_id": pool,
            "kind": kind,
            "from_account": sender,
            "to_account": to,
            "amount": amount,
            "actor": f["actor"],
            "block_number": e.block_number,
            "tx_hash": e.tx_hash,
        }

    def _balance(self, pool: int, account: str, units: int, seq: int) -> None:
        assert units >= 0, f"seq {seq}: a negative balance"
        if units:
            row = {"pool_id": pool, "account": account, "units": units, "seq": seq}
            self.pool_balances[pool, account] = row
        else:
            self.pool_balances.pop((pool, account), None)

    def _approval(self, key: tuple[int, str, str], amount: int, seq: int) -> None:
        if amount:
            pool, owner, spender = key
            self.pool_approvals[key] = {
                "pool_id": pool,
                "owner": owner,
                "spender": spender,
                "amount": str(amount),
                "seq": seq,
            }
        else:
            self.pool_approvals.pop(key, None)

    # ------------------------------------------------------------ what every store must hold

    def rows(self) -> dict[str, list[dict[str, Any]]]:
        """Every derived table's rows, in primary-key order, as the store must return them."""
        return {
            "programs": [
                {
                    "id": pid,
                    "code": p.code.rstrip(b"\0").decode("ascii"),
                    "seq": p.seq,
                    "unit_grams": p.unit_grams,
                    "buffer_account": None,
                }
                for pid, p in sorted(self.programmes.items())
            ],
            "projects": sorted(self.projects.values(), key=lambda r: r["key"]),
            "batches": [self.batches[b] for b in sorted(self.batches)],
            "serial_ranges": [
                {
                    "batch_id": batch,
                    "first_serial": start,
                    "last_serial": r.last,
                    "holder": r.holder,
                    "state": r.state,
                    "seq": r.seq,
                }
                for batch in sorted(self.ranges)
                for start, r in sorted(self.ranges[batch].items())
            ],
            "retirements": [self.retirements[i] for i in sorted(self.retirements)],
            "detokenisations": [self.detokenisations[s] for s in sorted(self.detokenisations)],
            "cancellations": [self.cancellations[s] for s in sorted(self.cancellations)],
            "accounts": [self.accounts[a] for a in sorted(self.accounts)],
            "roles": [
                {"role": hexed(role), "account": account, "seq": seq}
                for (role, account), seq in sorted(
                    self.roles.items(), key=lambda kv: (hexed(kv[0][0]), kv[0][1])
                )
            ],
            "pools": list(self.pools.values()),
            "pool_list_entries": list(self.pool_lists.values()),
            "pool_balances": list(self.pool_balances.values()),
            "pool_approvals": list(self.pool_approvals.values()),
            "pool_unit_moves": list(self.pool_unit_moves.values()),
            "pool_serial_moves": list(self.pool_serial_moves.values()),
        }


def json_fields(value: Any) -> Any:
    """An event's fields as ``events.fields`` must hold them: text as the string its bytes
    spell, other bytes as 0x hex, structs as objects, integers beyond 2^63 - 1 as decimal
    strings."""
    if isinstance(value, Text):
        return text(value)
    if isinstance(value, bytes):
        return hexed(value)
    if isinstance(value, dict):
        return {k: json_fields(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_fields(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and value > 2**63 - 1:
        return str(value)  # beyond a portable JSON number (an allowance of 2^256 - 1)
    return value


def event_batch(e: RawEvent) -> int | None:
    """The batch an event belongs to (``events.batch_id``), if any."""
    f = e.fields
    if "batchId" in f:
        return int(f["batchId"])
    if "retirement" in f:
        return int(f["retirement"]["batchId"])
    return None
