"""Driving anvil fast for benchmarks: raw signing, batched JSON-RPC, and a ledger event generator.

``generate_events`` deploys CarbonLedger on an anvil node and fills it with at least N audited
events: bridgings (2 events each), transfers (1), retirements (2), a few detokenisations (2) and
label updates (1), spread over many batches and holders, so the store ends up with many ranges.

The Python sender is the limit, not anvil (which mines 2,000 transactions in about 0.1 s), so:

- mining is paused (``evm_setAutomine false``); each round's transactions are sent with explicit
  gas and consecutive nonces (the setup's ``NonceManager``) from several accounts, then mined
  with one ``evm_mine``;
- the project's one transaction path (``chain.transactions``) does the rest: calldata is
  ABI-encoded with eth_abi against selectors computed once, transactions are signed by
  ``RawSigner`` (coincurve, byte-identical to eth-account's, which ``RawSigner.check``
  asserts, about 10x faster), and raw transactions go to the node in ``JsonRpc`` batches.

Holdings are simulated with ``chain.replay.BatchHoldings`` (the contract's own tiling rules), so
every range hint is right by construction. Within a round an account only spends ranges it held
when the round began or that its own earlier transactions of the round left it: transactions of
different accounts never depend on each other, whatever order the node mines them in. After each
round the contract's ``auditSeq`` must equal the events the simulation expects, so a reverted
transaction stops the generator at once.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import random
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3
from web3.providers.rpc import HTTPProvider

from bench.gas import VERRA_CSV, Block, dev_accounts, load_blocks, synthetic_block
from chain._revert import decode_revert
from chain.anvil import (
    HOST,
    PRUNE_HISTORY,
    NodeOptions,
    _check_port,
    _stop_proc,
    _wait_ready,
    find_anvil,
)
from chain.artifacts import ledger_abi
from chain.client import LedgerClient
from chain.deployment import Deployment, deploy_ledger
from chain.domain import (
    Issuance,
    Label,
    Purpose,
    RangeState,
    RetirementRequest,
    namespace_id,
    part_key,
)
from chain.replay import BatchHoldings
from chain.transactions import FeePolicy, NonceManager, TxSender
from chain.transactions.calldata import ledger_function
from chain.transactions.rpc import JsonRpc
from chain.transactions.signer import RawSigner

GAS_LIMIT = 1_000_000_000  # per block: a round of 2,000 transactions at their explicit gas fits
MAX_FEE = 10**9  # wei; the base fee is pinned near zero (NodeOptions(base_fee=0))
ROUND = 2_000  # transactions mined per block
BRIDGES_PER_ROUND = 200
RPC_BATCH = 250  # raw transactions per JSON-RPC batch request
GAS = {"bridge": 400_000, "transfer": 150_000, "retire": 250_000, "detokenise": 200_000}
GAS["labels"] = 100_000
EVENTS = {"bridge": 2, "transfer": 1, "retire": 2, "detokenise": 2, "labels": 1}
HOLDERS = 7  # dev accounts 3..9; 0 is the admin, 1 and 2 issue VCS and GS
CONSUMPTION: tuple[tuple[dt.date | None, dt.date | None], ...] = (
    (None, None),
    (dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    (dt.date(2024, 1, 1), dt.date(2024, 6, 30)),
)
NOTES = ("", "", "Offsets 2025 business travel", "Retired on behalf of our customers")
BENEFICIARIES = (
    "Lindblad Expeditions Family of Companies",
    "Hilti Corporation",
    "Swiss Re Ltd",
    "Delta Air Lines, Inc.",
    "Microsoft Corporation",
)


def node_options() -> NodeOptions:
    """anvil for bulk loads: big blocks, FIFO ordering, no request size limit, no base fee."""
    return NodeOptions(
        gas_limit=GAS_LIMIT,
        base_fee=0,
        extra_args=("--order", "fifo", "--no-request-size-limit"),
    )


BRIDGE = ledger_function("bridge")
TRANSFER = ledger_function("transfer")
RETIRE = ledger_function("retire")
DETOKENISE = ledger_function("detokenise")
SET_LABELS = ledger_function("setLabels")
AUDIT_SEQ = ledger_function("auditSeq")
FEES = FeePolicy(floor=MAX_FEE)  # at a base fee near zero, the floor is the cap


# ---------------------------------------------------------------- the generator


@dataclass
class _Namespace:
    program_id: int
    namespace: str
    project_key: bytes
    template: Issuance
    next_first: int  # the next unbridged serial
    last_key: int  # part key of the namespace's highest bridged part: the next bridging's hint


@dataclass
class Generated:
    """What ``generate_events`` made."""

    url: str
    deployment: Deployment
    events: int  # auditSeq at the end
    transactions: int
    first_block: int
    last_block: int
    seconds: float
    setup_seconds: float
    batches: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def blocks(self) -> int:
        return self.last_block - self.first_block + 1


@dataclass
class _Sim:
    """The simulated ledger: holdings per batch, and which ranges each holder may spend."""

    rng: random.Random
    holders: list[str]
    batches: dict[int, BatchHoldings] = field(default_factory=dict)
    available: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    incoming: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for h in self.holders:
            self.available[h] = []
            self.incoming[h] = []

    def next_round(self) -> None:
        for h in self.holders:
            self.available[h].extend(self.incoming[h])
            self.incoming[h].clear()

    def take(self, holder: str) -> tuple[int, int] | None:
        """A random spendable range ``(batch, first)`` of ``holder``, removed from its list."""
        ranges = self.available[holder]
        if not ranges:
            return None
        i = self.rng.randrange(len(ranges))
        ranges[i], ranges[-1] = ranges[-1], ranges[i]
        return ranges.pop()

    def move(
        self, batch_id: int, first: int, last: int, sender: str, to: str, state: RangeState
    ) -> None:
        _, written = self.batches[batch_id].move(first, last, sender, to, state)
        for r in written:
            if r.state != RangeState.HELD:
                continue
            if r.holder == sender:
                self.available[sender].append((batch_id, r.first))  # its own: usable at once
            else:
                self.incoming[r.holder].append((batch_id, r.first))  # another's: next round


def _setup(
    w3: Web3,
    accounts: list[LocalAccount],
    nonces: NonceManager,
    rng: random.Random,
    namespaces: int,
) -> tuple[Deployment, LedgerClient, list[LedgerClient], list[_Namespace]]:
    """Deploy, register VCS and GS, their issuers, holders and projects, and bridge each
    namespace's first block (with hints from the client): automined, one block per transaction."""
    abi = ledger_abi()
    senders = [TxSender(w3, a, abi, nonces=nonces) for a in accounts]
    deployment = deploy_ledger(senders[0], admin_delay=24 * 3600)
    admin = LedgerClient.for_deployment(w3, deployment, senders[0])
    issuers = [admin.as_account(senders[1]), admin.as_account(senders[2])]
    admin.grant_role(admin.role("COMPLIANCE_ROLE"), admin.account)
    programs = []
    for code, issuer in zip(("VCS", "GS"), issuers, strict=True):
        # Each issuer is its programme's admin too, so it may relabel (setLabels is the
        # programme admin's) as well as bridge.
        program_id = admin.register_program(code, issuer.account)
        issuer.grant_issuer(program_id, issuer.account)
        programs.append(program_id)
    for s in senders[1:]:
        admin.set_account(s.address)

    blocks = _namespace_blocks(namespaces)
    spaces = []
    for k, block in enumerate(blocks):
        program_id, issuer = programs[k % 2], issuers[k % 2]
        # Namespaces of their own (the programmes are open here), one per block, as a
        # per-issuance registry (GS) has them: the bridged-part list spans many namespaces.
        namespace = f"VCS-BENCH-{k}" if k % 2 == 0 else f"GS1-1-BENCH-{k}"
        key = issuer.ensure_project(program_id, block.project())
        recipient = senders[3 + rng.randrange(HOLDERS)].address
        issuance = replace(
            block.issuance(program_id, recipient), project_key=key, namespace=namespace
        )
        issuer.bridge(issuance)
        ns = namespace_id(program_id, namespace)
        spaces.append(
            _Namespace(
                program_id,
                namespace,
                key,
                issuance,
                next_first=issuance.last_serial + 1,
                last_key=part_key(ns, issuance.first_serial),
            )
        )
    return deployment, admin, issuers, spaces


def _namespace_blocks(count: int) -> list[Block]:
    """One Verra block per project (the export's first of each), or synthetic ones."""
    seen: dict[str, Block] = {}
    if VERRA_CSV.is_file():
        for block in load_blocks(VERRA_CSV).values():
            project = block.serial.project or ""
            if project not in seen and block.last - block.first < 10**6:
                seen[project] = block
    out = list(seen.values())[:count]
    while len(out) < count:  # no export here (or too few namespaces): make some up
        n = len(out)
        row = {
            "ID": str(5000 + n),
            "Name": f"Synthetic project {n}",
            "Methodology": "VM0015",
            "Project Type": "Agriculture Forestry and Other Land Use",
            "Vintage Start": "2020-01-01",
            "Vintage End": "2020-12-31",
        }
        first = 10**9 + n * 10**6
        out.append(synthetic_block(20000 + n, first, first + 999, row))
    return out


def generate_events(
    url: str,
    target_events: int,
    *,
    seed: int = 1,
    namespaces: int = 24,
    say: Callable[[str], None] = lambda _: None,
) -> Generated:
    """Deploy a ledger on the anvil at ``url`` and make at least ``target_events`` events."""
    started = time.monotonic()
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 300}))
    rng = random.Random(seed)
    accounts = dev_accounts(3 + HOLDERS)
    nonces = NonceManager(w3)
    deployment, admin, issuers, spaces = _setup(w3, accounts, nonces, rng, namespaces)
    setup_seconds = time.monotonic() - started
    say(f"  set up in {setup_seconds:.1f} s: {len(spaces)} namespaces, {HOLDERS} holders")

    chain_id = w3.eth.chain_id
    signers = {a.address.lower(): RawSigner(a, chain_id) for a in accounts[1:]}
    rpc = JsonRpc.of(w3)
    assert rpc is not None  # an HTTP provider
    gen = _Generator(
        rpc=rpc,
        nonces=nonces,
        max_fee=FEES.max_fee(int(w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)),
        deployment=deployment,
        rng=rng,
        signers=signers,
        issuers={1: issuers[0].account.lower(), 2: issuers[1].account.lower()},
        spaces=spaces,
        sim=_Sim(rng, [a.address.lower() for a in accounts[3:]]),
    )
    gen.load(admin)
    signers[gen.issuers[1]].check(
        nonce=0, to=gen.contract, data=AUDIT_SEQ.calldata(), gas=50_000, max_fee=gen.max_fee
    )
    first_block = w3.eth.block_number + 1
    gen.rpc.request("evm_setAutomine", [False])
    try:
        while gen.seq < target_events:
            gen.round()
            say(f"  {gen.seq:,} events, {gen.transactions:,} transactions")
    finally:
        with contextlib.suppress(Exception):
            gen.rpc.request("evm_setAutomine", [True])
    return Generated(
        url=url,
        deployment=deployment,
        events=gen.seq,
        transactions=gen.transactions,
        first_block=first_block,
        last_block=w3.eth.block_number,
        seconds=time.monotonic() - started,
        setup_seconds=setup_seconds,
        batches=len(gen.sim.batches),
        counts=gen.counts,
    )


ZERO = "0x" + "0" * 40


@dataclass
class _Generator:
    rpc: JsonRpc
    nonces: NonceManager
    deployment: Deployment
    rng: random.Random
    signers: dict[str, RawSigner]
    issuers: dict[int, str]  # program id → its issuer
    spaces: list[_Namespace]
    sim: _Sim
    max_fee: int
    seq: int = 0
    transactions: int = 0
    rounds: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EVENTS, 0))
    program: dict[int, int] = field(default_factory=dict)  # batch id → program id
    contract: str = ""
    _raws: list[bytes] = field(default_factory=list)
    _kinds: list[str] = field(default_factory=list)
    _expected: int = 0

    def __post_init__(self) -> None:
        self.contract = self.deployment.address

    def audit_seq(self) -> int:
        call = {"to": self.deployment.address, "data": "0x" + AUDIT_SEQ.calldata().hex()}
        return int(self.rpc.request("eth_call", [call, "latest"]), 16)

    def load(self, admin: LedgerClient) -> None:
        """Mirror the setup's batches (one range each) into the simulation."""
        self.seq = self.audit_seq()
        for batch_id in range(1, admin.batch_count() + 1):
            b = admin.batch(batch_id)
            (r,) = admin.ranges(batch_id)
            holder = r.holder.lower()
            self.sim.batches[batch_id] = BatchHoldings(batch_id, b.first_serial, b.last_serial)
            self.sim.move(batch_id, r.first, r.last, ZERO, holder, RangeState.HELD)
            self.sim.available[holder].extend(self.sim.incoming[holder])
            self.sim.incoming[holder].clear()
            self.program[batch_id] = b.program_id

    def _send(self, kind: str, sender: str, data: bytes) -> None:
        signed = self.signers[sender].sign(
            nonce=self.nonces.reserve(sender),
            to=self.contract,
            data=data,
            gas=GAS[kind],
            max_fee=self.max_fee,
        )
        self._raws.append(signed.raw)
        self._kinds.append(kind)
        self._expected += EVENTS[kind]
        self.counts[kind] += 1

    def round(self) -> None:
        """Sign one round of transactions, send them, mine one block and check it."""
        self._raws, self._kinds, self._expected = [], [], self.seq
        # One issuer bridges per round: batch ids follow its nonces whatever the mining order.
        self.rounds += 1
        program = 1 + self.rounds % 2
        spaces = [ns for ns in self.spaces if ns.program_id == program]
        for _ in range(BRIDGES_PER_ROUND):
            self._bridge(spaces)
        if self.rng.random() < 0.5:
            self._relabel()
        holders = self.sim.holders
        per_holder = (ROUND - len(self._raws)) // len(holders)
        for holder in holders:
            for _ in range(per_holder):
                picked = self.sim.take(holder)
                if picked is None:
                    break
                self._spend(holder, *picked)
        for chunk in _chunks(self._raws, RPC_BATCH):
            self.rpc.batch_results("eth_sendRawTransaction", [["0x" + raw.hex()] for raw in chunk])
        self.rpc.request("evm_mine", [])
        self.transactions += len(self._raws)
        block = self.rpc.request("eth_getBlockByNumber", ["latest", False])
        self.seq = self.audit_seq()
        if len(block["transactions"]) != len(self._raws) or self.seq != self._expected:
            raise RuntimeError(
                f"block {int(block['number'], 16)}: {len(block['transactions'])} of "
                f"{len(self._raws)} transactions mined, auditSeq {self.seq}, expected "
                f"{self._expected}; failed: {self._failures(block)}"
            )
        self.sim.next_round()

    def _failures(self, block: dict[str, Any]) -> list[str]:
        """The first reverted transactions of ``block``: what they were, and why they failed."""
        kinds = {
            "0x" + keccak(raw).hex(): kind
            for raw, kind in zip(self._raws, self._kinds, strict=True)
        }
        receipts = self.rpc.request("eth_getBlockReceipts", [block["number"]]) or []
        abi = ledger_abi()
        out = []
        for r in receipts:
            if r.get("status") == "0x1":
                continue
            trace = self.rpc.request(
                "debug_traceTransaction", [r["transactionHash"], {"tracer": "callTracer"}]
            )
            output = bytes.fromhex(str(trace.get("output", "0x"))[2:])
            out.append(f"{kinds.get(r['transactionHash'])}: {decode_revert(output, abi)!r}")
            if len(out) == 5:
                break
        return out

    def _bridge(self, spaces: list[_Namespace]) -> None:
        rng = self.rng
        ns = spaces[rng.randrange(len(spaces))]
        size = rng.choice((100, 500, 1_000, 2_500, 10_000))
        first = ns.next_first + rng.choice((0, 0, 0, 1_000))  # now and then a gap
        last = first + size - 1
        recipient = rng.choice(self.sim.holders)
        batch_id = len(self.sim.batches) + 1
        issuance = replace(
            ns.template,
            first_serial=first,
            last_serial=last,
            recipient=recipient,
            labels=Label(rng.choice((0, 0, 0, 1, 2))),
            registry_reference=str(int(ns.template.registry_reference) + batch_id),
        )
        self._send(
            "bridge", self.issuers[ns.program_id], BRIDGE.calldata(issuance.as_abi(), ns.last_key)
        )
        ns.last_key = part_key(namespace_id(ns.program_id, ns.namespace), first)
        ns.next_first = last + 1
        self.sim.batches[batch_id] = BatchHoldings(batch_id, first, last)
        self.sim.move(batch_id, first, last, ZERO, recipient, RangeState.HELD)
        self.program[batch_id] = ns.program_id

    def _relabel(self) -> None:
        batch_id = self.rng.randrange(1, len(self.sim.batches) + 1)
        if any(r.state is RangeState.RETIRED for r in self.sim.batches[batch_id].ranges):
            return  # labels a retirement relied on are locked (LabelsLocked)
        labels = self.rng.choice((1, 2, 3))
        self._send(
            "labels", self.issuers[self.program[batch_id]], SET_LABELS.calldata(batch_id, labels)
        )

    def _spend(self, holder: str, batch_id: int, start: int) -> None:
        """Transfer, retire or detokenise part of ``holder``'s range at ``start``."""
        rng = self.rng
        holdings = self.sim.batches[batch_id]
        r = holdings.ranges[bisect.bisect_left(holdings.starts, start)]
        size = r.last - r.first + 1
        quantity = min(size, rng.choice((1, 5, 10, 25, 40)))
        offset = 0 if rng.random() < 0.8 else rng.randrange(size - quantity + 1)
        first, last = r.first + offset, r.first + offset + quantity - 1
        roll = rng.random()
        if roll < 0.55:
            to = rng.choice([h for h in self.sim.holders if h != holder])
            self._send("transfer", holder, TRANSFER.calldata(batch_id, first, last, to, start))
            self.sim.move(batch_id, first, last, holder, to, RangeState.HELD)
        elif roll < 0.97:
            since, until = rng.choice(CONSUMPTION)
            request = RetirementRequest(
                batch_id,
                first,
                last,
                rng.choice(BENEFICIARIES),
                Purpose.VOLUNTARY,  # needs no label
                jurisdiction=rng.choice(("", "", "CH", "SE", "US-CA")),
                consumption_start=since,
                consumption_end=until,
                note=rng.choice(NOTES),
            )
            self._send("retire", holder, RETIRE.calldata(request.as_abi(), start))
            self.sim.move(batch_id, first, last, holder, holder, RangeState.RETIRED)
        else:
            reference = f"VCS-return-{batch_id}-{first}"
            data = DETOKENISE.calldata(batch_id, first, last, start, reference)
            self._send("detokenise", holder, data)
            self.sim.move(batch_id, first, last, holder, holder, RangeState.DETOKENISED)


def _chunks(items: Sequence[bytes], size: int) -> Iterator[Sequence[bytes]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@contextlib.contextmanager
def anvil_node(log_dir: Path) -> Iterator[str]:
    """A throw-away anvil for bulk loads; yields its URL.

    Not ``chain.anvil.LocalNode``: that one persists its state with ``--state``, and anvil
    dumps every block and transaction to it every 5 s (hundreds of MB after 200,000 events),
    which takes a whole core. This node keeps nothing on disk; its few options are
    ``node_options``'s, and ``--prune-history`` as LocalNode's (logs and blocks stay).
    """
    options = node_options()
    with throwaway_anvil(
        log_dir,
        "--chain-id", str(options.chain_id),
        "--gas-limit", str(options.gas_limit),
        "--base-fee", str(options.base_fee),
        "--prune-history", str(PRUNE_HISTORY),
        *options.extra_args,
    ) as url:  # fmt: skip
        yield url


@contextlib.contextmanager
def throwaway_anvil(log_dir: Path, *options: str) -> Iterator[str]:
    """anvil with ``options`` on a free local port, no state file, its output in
    ``log_dir/anvil.log``; yields its URL and stops it afterwards."""
    port = _check_port(0)
    cmd = [str(find_anvil()), "--host", HOST, "--port", str(port), "--silent", *options]
    log_file = log_dir / "anvil.log"
    with log_file.open("wb") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_ready(proc, port, log_file, 30)
        yield f"http://{HOST}:{port}"
    finally:
        _stop_proc(proc, 5)
