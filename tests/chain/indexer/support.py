"""Helpers for the indexer and store tests: a ledger on anvil, workloads, store copies.

Fixtures live in ``tests/chain/conftest.py``; everything here is plain functions and classes
so that tests can call them with their own arguments.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy.engine import Engine
from web3 import Web3
from web3.types import RPCEndpoint

from chain.artifacts import ledger_abi
from chain.client import LedgerClient
from chain.deployment import Deployment, deploy_ledger
from chain.domain import (
    HoldingRange,
    Issuance,
    Label,
    Project,
    Purpose,
    RangeState,
    RetirementRequest,
)
from chain.events import LedgerEvent, decode_logs, event_specs
from chain.store import schema as s
from chain.transactions import FeePolicy, NonceManager, TxSender
from chain.transactions.calldata import calldata
from chain.transactions.rpc import JsonRpc
from chain.transactions.signer import RawSigner

MNEMONIC = "test test test test test test test test test test test junk"
VCS_NAMESPACE = "VCS-VCU-1507-VER-ET-14-1340-01012020-31122020"
GS_NAMESPACE = "GS1-1-UG-GS11236-16-2024"
BALE = Project("1340", "Bale Mountains Eco-region REDD+ project", "ET", "VM0015", "AFOLU")
UGANDA = Project("GS11236", "Uganda cookstoves", "UG", "GS TPDDTEC", "Energy efficiency")

TRANSFER_GAS = 250_000
"""Explicit gas for pipelined holder operations (a split in three costs about 97,000)."""

Account.enable_unaudited_hdwallet_features()


def dev_account(i: int) -> LocalAccount:
    account: LocalAccount = Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
    return account


class FixedFees(FeePolicy):
    """Fee caps without a ``get_block`` per transaction (anvil's base fee starts at 1 gwei and
    stays far below 100 gwei under test load), so pipelining is limited by signing only."""

    def fees(self, w3: Web3) -> dict[str, int]:
        return {"maxFeePerGas": 100 * 10**9, "maxPriorityFeePerGas": 0}


def rpc(w3: Web3, method: str, *params: Any) -> Any:
    """A raw JSON-RPC call (anvil's ``evm_*``); fails the test on an error reply."""
    response = w3.provider.make_request(RPCEndpoint(method), list(params))
    assert "error" not in response, response
    return response.get("result")


def set_automine(w3: Web3, on: bool) -> None:
    rpc(w3, "evm_setAutomine", on)


def mine(w3: Web3, blocks: int = 1) -> None:
    for _ in range(blocks):
        rpc(w3, "evm_mine")


def snapshot(w3: Web3) -> str:
    return str(rpc(w3, "evm_snapshot"))


def revert(w3: Web3, snapshot_id: str) -> None:
    assert rpc(w3, "evm_revert", snapshot_id) is True


@dataclass
class AnvilLedger:
    """A freshly deployed ledger on the module's anvil, with one client per actor.

    - ``admin`` (dev 0): default admin, COMPLIANCE_ROLE and PAUSER_ROLE;
    - ``issuer`` (dev 1): VCS issuer; ``gs_issuer`` (dev 2): GS issuer;
    - ``alice``, ``bob``, ``carol``, ``dave`` (dev 3-6): allowlisted holders;
    - ``outsider`` (dev 7): not allowlisted.
    Issuers are allowlisted too, so they can hold credits for mirrored retirements.
    """

    w3: Web3
    deployment: Deployment
    admin: LedgerClient
    issuer: LedgerClient
    gs_issuer: LedgerClient
    alice: LedgerClient
    bob: LedgerClient
    carol: LedgerClient
    dave: LedgerClient
    outsider: LedgerClient
    vcs: int
    gs: int
    project_key: bytes
    gs_project_key: bytes
    nonces: NonceManager
    next_serial: dict[str, int] = field(default_factory=dict)

    @property
    def holders(self) -> list[LedgerClient]:
        return [self.alice, self.bob, self.carol, self.dave]

    def client_for(self, address: str) -> LedgerClient | None:
        for c in (self.issuer, self.gs_issuer, *self.holders):
            if c.account.lower() == address.lower():
                return c
        return None

    def issuance(
        self,
        quantity: int,
        recipient: str,
        *,
        gs: bool = False,
        labels: Label = Label.NONE,
        reference: str = "19385",
    ) -> Issuance:
        namespace = GS_NAMESPACE if gs else VCS_NAMESPACE
        first = self.next_serial.get(namespace, 1)
        self.next_serial[namespace] = first + quantity + 7  # leave gaps between parts
        return Issuance(
            program_id=self.gs if gs else self.vcs,
            project_key=self.gs_project_key if gs else self.project_key,
            namespace=namespace,
            first_serial=first,
            last_serial=first + quantity - 1,
            recipient=recipient,
            vintage_start=dt.date(2020, 1, 1),
            vintage_end=dt.date(2020, 12, 31),
            labels=labels,
            metadata_hash=bytes([len(self.next_serial)]) * 32,
            registry_reference=reference,
        )

    def reset_caches(self) -> None:
        """After ``evm_revert``: nonces and the bridged-part list are stale."""
        self.nonces.reset()
        self.admin._parts.refresh()


def deploy_anvil_ledger(w3: Web3, nonces: NonceManager) -> AnvilLedger:
    """Deploy and configure a new ledger on ``w3`` (about 20 transactions)."""
    abi = ledger_abi()
    senders = [TxSender(w3, dev_account(i), abi, nonces=nonces, fees=FixedFees()) for i in range(8)]
    admin_s, issuer_s, gs_s, alice_s, bob_s, carol_s, dave_s, outsider_s = senders
    deployment = deploy_ledger(admin_s, admin_delay=3600)
    admin = LedgerClient.for_deployment(w3, deployment, admin_s)
    vcs = admin.register_program("VCS")
    gs = admin.register_program("GS")
    admin.grant_issuer(vcs, issuer_s.address)
    admin.grant_issuer(gs, gs_s.address)
    admin.grant_role(admin.role("COMPLIANCE_ROLE"), admin_s.address)
    admin.grant_role(admin.role("PAUSER_ROLE"), admin_s.address)
    for sender in (issuer_s, gs_s, alice_s, bob_s, carol_s, dave_s):
        admin.set_account(sender.address)
    issuer = admin.as_account(issuer_s)
    gs_issuer = admin.as_account(gs_s)
    key = issuer.register_project(vcs, BALE)
    gs_key = gs_issuer.register_project(gs, UGANDA)
    return AnvilLedger(
        w3=w3,
        deployment=deployment,
        admin=admin,
        issuer=issuer,
        gs_issuer=gs_issuer,
        alice=admin.as_account(alice_s),
        bob=admin.as_account(bob_s),
        carol=admin.as_account(carol_s),
        dave=admin.as_account(dave_s),
        outsider=admin.as_account(outsider_s),
        vcs=vcs,
        gs=gs,
        project_key=key,
        gs_project_key=gs_key,
        nonces=nonces,
    )


# ---------------------------------------------------------------- workloads


@dataclass
class WorkloadState:
    """What the workload left frozen (it only acts where the contract allows), and what it did."""

    frozen_batches: set[int] = field(default_factory=set)
    frozen_accounts: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)


def _live_ranges(ledger: AnvilLedger, batch_id: int) -> list[HoldingRange]:
    return [r for r in ledger.admin.ranges(batch_id) if r.state == RangeState.HELD]


def _sub_range(rng: random.Random, r: HoldingRange) -> tuple[int, int]:
    first = rng.randint(r.first, r.last)
    last = rng.randint(first, min(r.last, first + rng.choice((0, 3, 40, 500))))
    return first, last


def workload(
    ledger: AnvilLedger,
    rng: random.Random,
    steps: int,
    state: WorkloadState | None = None,
) -> WorkloadState:
    """``steps`` random but valid operations of every kind through ``LedgerClient``.

    Bridges (VCS and GS, to holders and to the issuer itself), transfers, retirements
    (voluntary, CORSIA where labelled, registry-mirrored), detokenisations, cancellations,
    labels, batch and account freezes (undone later), role grants and revokes, and a pause.
    The first steps always bridge, so every kind has something to act on.
    """
    st = state or WorkloadState()
    pauser = ledger.admin.role("PAUSER_ROLE")
    kinds = [
        "bridge",
        "transfer",
        "transfer",
        "transfer",
        "retire",
        "retire",
        "mirror",
        "detokenise",
        "cancel",
        "labels",
        "freeze_batch",
        "freeze_account",
        "role",
        "pause",
        "account",
    ]

    def count(kind: str) -> None:
        st.counts[kind] = st.counts.get(kind, 0) + 1

    def active(address: str) -> bool:
        return address.lower() not in st.frozen_accounts

    def pick_held(
        allow_frozen_batch: bool = False, allow_frozen_holder: bool = False
    ) -> tuple[int, HoldingRange, LedgerClient] | None:
        batches = list(range(1, ledger.admin.batch_count() + 1))
        rng.shuffle(batches)
        for b in batches[:6]:
            if b in st.frozen_batches and not allow_frozen_batch:
                continue
            ranges = _live_ranges(ledger, b)
            rng.shuffle(ranges)
            for r in ranges:
                client = ledger.client_for(r.holder)
                if client is None or not (allow_frozen_holder or active(r.holder)):
                    continue
                return b, r, client
        return None

    for step in range(steps):
        kind = "bridge" if step < 3 else rng.choice(kinds)
        if kind == "bridge":
            gs = rng.random() < 0.3
            recipient = rng.choice(
                [c for c in ledger.holders if active(c.account)] or [ledger.alice]
            )
            if not active(recipient.account):
                continue
            issuer = ledger.gs_issuer if gs else ledger.issuer
            labels = Label(rng.randrange(16))
            issuer.bridge(
                ledger.issuance(
                    rng.choice((1, 10, 1000, 10_000_000)),
                    recipient.account,
                    gs=gs,
                    labels=labels,
                    reference=f"REF-{step}",
                )
            )
            count("bridge")
        elif kind == "transfer":
            found = pick_held()
            if found is None:
                continue
            b, r, client = found
            targets = [c for c in ledger.holders if active(c.account) and c is not client]
            if not targets:
                continue
            first, last = _sub_range(rng, r)
            client.transfer(b, first, last, rng.choice(targets).account)
            count("transfer")
        elif kind == "retire":
            found = pick_held()
            if found is None:
                continue
            b, r, client = found
            first, last = _sub_range(rng, r)
            labels = ledger.admin.batch(b).labels
            purpose = Purpose.CORSIA if labels & Label.CORSIA_ELIGIBLE else Purpose.VOLUNTARY
            client.retire(
                RetirementRequest(
                    b,
                    first,
                    last,
                    f"Beneficiary {step} — Ünïcode GmbH",
                    purpose,
                    jurisdiction=rng.choice(("", "CH", "SG")),
                    consumption_start=dt.date(2023, 1, 1),
                    consumption_end=dt.date(2023, 12, 31),
                )
            )
            count("retire")
        elif kind == "mirror":
            gs = rng.random() < 0.5
            issuer = ledger.gs_issuer if gs else ledger.issuer
            if not active(issuer.account):
                continue
            result = issuer.bridge(
                ledger.issuance(100, issuer.account, gs=gs, reference=f"M-{step}")
            )
            b = result.batch_id
            first = ledger.admin.batch(b).first_serial
            issuer.record_registry_retirement(
                RetirementRequest(b, first, first + rng.randint(0, 99), "Registry retiree"),
                retired_on=20240131,
            )
            count("mirror")
        elif kind == "detokenise":
            found = pick_held()
            if found is None:
                continue
            b, r, client = found
            first, last = _sub_range(rng, r)
            client.detokenise(b, first, last, f"registry-return-{step}")
            count("detokenise")
        elif kind == "cancel":
            found = pick_held(allow_frozen_batch=True, allow_frozen_holder=True)
            if found is None:
                continue
            b, r, _ = found
            first, last = _sub_range(rng, r)
            # The fixture's admin is every programme's admin: it may cancel anyone's credits.
            ledger.admin.cancel(b, r.holder, first, last, f"reversal {step}")
            count("cancel")
        elif kind == "labels":
            n = ledger.admin.batch_count()
            b = rng.randint(1, n)
            if ledger.admin.batch(b).retired:  # retirements relied on its labels: fixed
                continue
            ledger.admin.set_labels(b, Label(rng.randrange(16)))
            count("labels")
        elif kind == "freeze_batch":
            if st.frozen_batches and rng.random() < 0.6:
                b = st.frozen_batches.pop()
                ledger.admin.set_batch_frozen(b, False)
            else:
                b = rng.randint(1, ledger.admin.batch_count())
                ledger.admin.set_batch_frozen(b, True)
                st.frozen_batches.add(b)
            count("freeze_batch")
        elif kind == "freeze_account":
            if st.frozen_accounts and rng.random() < 0.6:
                address = st.frozen_accounts.pop()
                ledger.admin.set_account(address, allowed=True, frozen=False)
            else:
                who = rng.choice(ledger.holders).account
                ledger.admin.set_account(who, allowed=True, frozen=True)
                st.frozen_accounts.add(who.lower())
            count("freeze_account")
        elif kind == "account":
            # A new account allowlisted, and sometimes dropped from the allowlist again.
            address = Web3.to_checksum_address(f"0x{rng.getrandbits(160):040x}")
            ledger.admin.set_account(address, allowed=True)
            if rng.random() < 0.5:
                ledger.admin.set_account(address, allowed=False)
            count("account")
        elif kind == "role":
            who = rng.choice(ledger.holders).account
            if ledger.admin.has_role(pauser, who):
                ledger.admin.revoke_role(pauser, who)
            else:
                ledger.admin.grant_role(pauser, who)
            count("role")
        elif kind == "pause":
            ledger.admin.pause()
            ledger.admin.unpause()
            count("pause")
    return st


def settle(ledger: AnvilLedger, state: WorkloadState) -> None:
    """Undo the workload's freezes, so later workloads may act anywhere."""
    for b in sorted(state.frozen_batches):
        ledger.admin.set_batch_frozen(b, False)
    for address in sorted(state.frozen_accounts):
        ledger.admin.set_account(address, allowed=True, frozen=False)
    state.frozen_batches.clear()
    state.frozen_accounts.clear()


def pipelined_transfers(
    ledger: AnvilLedger,
    *,
    blocks: int,
    per_block: int,
    quantity: int = 100_000,
) -> int:
    """Many holder operations fast: with mining paused, ``per_block`` raw-signed transactions
    (explicit gas, consecutive nonces: ``chain.transactions``) go to the node in one JSON-RPC
    batch, then one ``evm_mine`` makes them a block.

    Each holder gets a batch and gives away (or retires, or detokenises) its lowest serial one
    at a time, so each operation's range hint is that serial. Returns the number of txs sent.
    """
    holders = ledger.holders
    batches: dict[str, int] = {}
    for h in holders:
        batches[h.account] = ledger.issuer.bridge(ledger.issuance(quantity, h.account)).batch_id
    cursor = {h.account: ledger.admin.batch(batches[h.account]).first_serial for h in holders}
    w3 = ledger.w3
    rpc = JsonRpc.of(w3)
    assert rpc is not None
    chain_id = w3.eth.chain_id
    signers = {h.account: RawSigner(h.sender.account, chain_id) for h in holders if h.sender}
    max_fee = FixedFees().fees(w3)["maxFeePerGas"]
    sent = 0
    set_automine(w3, False)
    try:
        for block in range(blocks):
            raw: list[list[str]] = []
            for i in range(per_block):
                h = holders[(block + i) % len(holders)]
                assert h.sender is not None
                b, k = batches[h.account], cursor[h.account]
                cursor[h.account] = k + 1
                to = holders[(block + i + 1) % len(holders)].account
                match (block * per_block + i) % 5:
                    case 0 | 1 | 2:
                        data = calldata("transfer", b, k, k, to, k)
                    case 3:
                        req = RetirementRequest(b, k, k, f"Bulk beneficiary {block}")
                        data = calldata("retire", req.as_abi(), k)
                    case _:
                        data = calldata("detokenise", b, k, k, k, f"bulk-{block}")
                signed = signers[h.account].sign(
                    nonce=h.sender.nonces.reserve(h.account),
                    to=ledger.admin.address,
                    data=data,
                    gas=TRANSFER_GAS,
                    max_fee=max_fee,
                )
                raw.append(["0x" + signed.raw.hex()])
                sent += 1
            hashes = rpc.batch_results("eth_sendRawTransaction", raw)
            mine(w3)
            last = w3.eth.get_transaction_receipt(hashes[-1])
            assert (
                last["status"] == 1
                and len(w3.eth.get_block(last["blockNumber"])["transactions"]) == per_block
            )
    finally:
        set_automine(w3, True)
    return sent


# ---------------------------------------------------------------- chain and store reading


def chain_events(ledger: AnvilLedger) -> list[LedgerEvent]:
    """Every audited event of the ledger, read straight from the node."""
    w3 = ledger.w3
    logs = w3.eth.get_logs(
        {
            "address": Web3.to_checksum_address(ledger.deployment.address),
            "fromBlock": ledger.deployment.deploy_block,
            "toBlock": w3.eth.block_number,
        }
    )
    audited = set(event_specs("ICarbonLedgerEvents"))
    return [e for e in decode_logs(logs) if e.topics[0] in audited]


def rows(engine: Engine, table: sa.Table) -> list[dict[str, Any]]:
    keys = list(table.primary_key.columns)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(table).order_by(*keys)).mappings()]


def checkpoint(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(s.checkpoint)).mappings().one())


def position(engine: Engine) -> tuple[int, int]:
    """(audit seq, block) of the store's checkpoint; (-1, -1) before the indexer created it."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(s.checkpoint.c.audit_seq, s.checkpoint.c.block_number)
        ).one_or_none()
    return (-1, -1) if row is None else (int(row[0]), int(row[1]))


ALL_TABLES = (
    s.chain_info,
    s.checkpoint,
    s.blocks,
    s.events,
    s.programs,
    s.projects,
    s.project_links,
    s.batches,
    s.serial_ranges,
    s.retirements,
    s.detokenisations,
    s.cancellations,
    s.accounts,
    s.roles,
    s.pools,
    s.pool_list_entries,
    s.pool_balances,
    s.pool_approvals,
    s.pool_unit_moves,
    s.pool_serial_moves,
)
"""Every table, parents before children (for inserts)."""


def copy_store(source: Engine, target: Engine) -> None:
    """Copy every row of ``source`` into the migrated, empty ``target``."""
    with target.begin() as conn:
        for table in ALL_TABLES:
            data = rows(source, table)
            if data:
                conn.execute(table.insert(), data)


def snapshot_store(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table except the checkpoint's wall-clock ``updated_at``."""
    out = {}
    for table in ALL_TABLES:
        data = rows(engine, table)
        if table is s.checkpoint:
            for row in data:
                row.pop("updated_at")
        out[table.name] = data
    return out


def assert_store_matches_chain(ledger: AnvilLedger, engine: Engine) -> None:
    """The store against the contract's own views: every batch's totals, labels and freeze
    flag, every holding range, every retirement, detokenisation and cancellation."""
    admin = ledger.admin
    events = chain_events(ledger)
    count = admin.batch_count()
    batches = {r["id"]: r for r in rows(engine, s.batches)}
    assert sorted(batches) == list(range(1, count + 1))
    ranges: dict[int, list[tuple[int, int, str, int]]] = {}
    for r in rows(engine, s.serial_ranges):
        ranges.setdefault(r["batch_id"], []).append(
            (r["first_serial"], r["last_serial"], r["holder"], r["state"])
        )
    for b in range(1, count + 1):
        on_chain = admin.batch(b)
        row = batches[b]
        assert (row["first_serial"], row["quantity"]) == (on_chain.first_serial, on_chain.quantity)
        assert row["last_serial"] == on_chain.last_serial
        assert (row["retired"], row["detokenised"], row["cancelled"]) == (
            on_chain.retired,
            on_chain.detokenised,
            on_chain.cancelled,
        ), f"batch {b}"
        assert row["labels"] == int(on_chain.labels), f"batch {b} labels"
        assert row["frozen"] == on_chain.frozen, f"batch {b} frozen"
        assert row["program_id"] == on_chain.program_id
        expected = [(r.first, r.last, r.holder.lower(), int(r.state)) for r in admin.ranges(b)]
        assert ranges.get(b) == expected, f"batch {b} ranges"

    retired = {e.fields["retirementId"]: e for e in events if e.name == "CreditsRetired"}
    stored = {r["id"]: r for r in rows(engine, s.retirements)}
    assert sorted(stored) == sorted(retired)
    for rid, e in retired.items():
        r, f = stored[rid], e.fields["retirement"]
        assert (r["batch_id"], r["first_serial"], r["last_serial"]) == (
            f["batchId"],
            f["firstSerial"],
            f["lastSerial"],
        )
        assert (r["holder"], r["beneficiary"], r["purpose"], r["mirrored"]) == (
            e.fields["holder"],
            f["beneficiary"],
            f["purpose"],
            e.fields["mirrored"],
        )
        assert (r["seq"], r["block_number"], r["tx_hash"]) == (
            e.seq,
            e.block_number,
            e.tx_hash,
        )
    for name, table in (
        ("CreditsDetokenised", s.detokenisations),
        ("CreditsCancelled", s.cancellations),
    ):
        want = [
            (
                e.seq,
                e.fields["batchId"],
                e.fields["holder"],
                e.fields["firstSerial"],
                e.fields["lastSerial"],
            )
            for e in events
            if e.name == name
        ]
        have = [
            (r["seq"], r["batch_id"], r["holder"], r["first_serial"], r["last_serial"])
            for r in rows(engine, table)
        ]
        assert have == want, table.name
    seqs = [r["seq"] for r in rows(engine, s.events)]
    assert seqs == [e.seq for e in events]
    audit = admin.audit_state()
    cp = checkpoint(engine)
    assert cp["audit_seq"] == audit.seq
    assert cp["audit_head"] == "0x" + audit.head.hex()


def kinds_present(engine: Engine, tables: Iterable[sa.Table]) -> dict[str, int]:
    out = {}
    with engine.connect() as conn:
        for t in tables:
            out[t.name] = conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
    return out


Waiter = Callable[[], bool]


def wait_until(predicate: Waiter, timeout: float = 20.0, interval: float = 0.05) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(interval)


def differences(found: Sequence[Any]) -> list[str]:
    return [d.describe() for d in found]


# ---------------------------------------------------------------- tampering


@contextlib.contextmanager
def tampering(engine: Engine) -> Iterator[sa.Connection]:
    """A connection with foreign-key checks off (as a tamperer with database access would
    have), committed at the end."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # SQLite ignores this PRAGMA inside a transaction, and the store's engine begins
            # one on first use: set it on the driver connection before that.
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        else:
            conn.exec_driver_sql("SET session_replication_role = replica")
        yield conn
        conn.commit()
        if sqlite:
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
        else:
            conn.exec_driver_sql("SET session_replication_role = DEFAULT")
            conn.commit()


def key_of(table: sa.Table, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c.name] for c in table.primary_key.columns)


def _where(table: sa.Table, row: dict[str, Any]) -> Any:
    return sa.and_(*(c == row[c.name] for c in table.primary_key.columns))


def pick_row(engine: Engine, table: sa.Table, index: int | None = None) -> dict[str, Any]:
    data = rows(engine, table)
    assert data, f"{table.name} is empty: the workload should have filled it"
    return data[len(data) // 2 if index is None else index]


def other_value(engine: Engine, table: sa.Table, column: str, value: Any) -> Any:
    """A different value for ``column`` that the database accepts (foreign keys point to
    another existing parent; unique columns stay unique)."""
    col = table.c[column]
    for fk in col.foreign_keys:
        parent = fk.column
        with engine.connect() as conn:
            candidates = conn.execute(sa.select(parent).where(parent != value)).scalars().all()
        assert candidates, f"no other {parent} to point {table.name}.{column} at"
        return candidates[0]
    if isinstance(value, bool):
        return not value
    if value is None:  # a NULL becomes a value of the column's own type
        if isinstance(col.type, sa.String):
            return "0x" + "ab" * 20 if col.type.length == 42 else "!"
        return 1
    if isinstance(value, int):
        return value + 1 if isinstance(col.type, sa.SmallInteger) else value + 100_003
    if isinstance(value, str):
        if value.startswith("0x") and len(value) > 2:
            return value[:-1] + ("1" if value[-1] != "1" else "2")
        return value[:-1] + "!" if value else "!"
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return raw[:-1] + bytes([raw[-1] ^ 0xFF]) if raw else b"\x01"
    if isinstance(value, dict):
        return {**value, "tampered": True}
    raise AssertionError(f"do not know how to change {table.name}.{column} = {value!r}")


def edit_row(engine: Engine, table: sa.Table, row: dict[str, Any], column: str) -> Any:
    """Set ``column`` of ``row`` to another value; returns it."""
    new = other_value(engine, table, column, row[column])
    with tampering(engine) as conn:
        conn.execute(table.update().where(_where(table, row)).values({column: new}))
    return new


def set_column(
    engine: Engine, table: sa.Table, row: dict[str, Any], column: str, value: Any
) -> None:
    with tampering(engine) as conn:
        conn.execute(table.update().where(_where(table, row)).values({column: value}))


def delete_row(engine: Engine, table: sa.Table, row: dict[str, Any]) -> None:
    with tampering(engine) as conn:
        assert conn.execute(table.delete().where(_where(table, row))).rowcount == 1


def insert_row(engine: Engine, table: sa.Table, row: dict[str, Any]) -> None:
    with tampering(engine) as conn:
        conn.execute(table.insert().values(row))


def bogus_row(engine: Engine, table: sa.Table) -> dict[str, Any]:
    """A copy of an existing row under a primary key no row has (parents stay valid)."""
    row = dict(pick_row(engine, table))
    for c in table.primary_key.columns:
        if c.name == "batch_id":
            continue  # serial_ranges.batch_id: keep the batch, move first_serial instead
        value = row[c.name]
        if isinstance(value, int):
            # A small integer column (pool_list_entries.kind) takes a small step.
            small = isinstance(c.type, sa.SmallInteger)
            row[c.name] = value + (7 if small else 1_000_003)
        else:
            row[c.name] = "0x" + "ab" * ((len(value) - 2) // 2)
    if "code" in row:  # programs.code is unique
        row["code"] = "BOGUS"
    if table is s.pools:  # pools.token is unique
        row["token"] = "0x" + "b0" * 20
    if "log_index" in row:  # events (block_number, log_index) is unique
        row["log_index"] += 1_000_003
    return row
