"""Gas per ledger operation, read from receipts and checked against the design budgets.

    python bench/gas.py [--json] [--rpc URL | --anvil] [--namespace-bridgings N] [--pool-batches N]

Deploys CarbonLedger, registers VCS with the identity policy ``carbon-ledger deploy`` gives it
(its one registry-wide namespace ``VCS-VCU`` fixed, numeric project ids: ``chain.programmes``),
sets up an issuer and holders, and runs each operation once on real Verra blocks
(tests/data/registries/verra/transactions.csv, a copy of the shared registry export). Every
bridging pays the canonical-identity checks (``CanonicalText.sol``); the ``*_text`` keys show
what text a person writes costs on top (non-ASCII text is decoded on-chain).
The default backend is the embedded py-evm chain. ``--anvil`` runs a temporary anvil (pinned to
py-evm's hardfork and chain id, with the same accounts, so every byte sent is the same) and
``--rpc`` a node whose anvil dev accounts are funded; both also run py-evm and compare. (On a
node with another chain id the signatures differ, and so may the signed figures, by 12 gas for
each zero byte.)

Exit status 1 if a budget is exceeded or the backends disagree on any figure.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.providers.rpc import HTTPProvider

from chain import registries
from chain.artifacts import ledger_abi
from chain.client import LedgerClient, TxResult
from chain.deployment import deploy_ledger
from chain.domain import (
    Issuance,
    PoolMode,
    PoolRules,
    Project,
    RetirementRequest,
    namespace_id,
    part_key,
    pool_key,
)
from chain.embedded import embedded_chain
from chain.programmes import register_programme
from chain.registries import ParsedSerial
from chain.transactions import NonceManager, TxSender

VERRA_CSV = Path(__file__).resolve().parents[1] / "tests/data/registries/verra/transactions.csv"

# Rows of the Verra export, by serial number (block id - first - last - namespace - flag).
BALE = "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"  # 425 t
ONE_TONNE = "19298-935996546-935996546-VCS-VCU-1491-VER-BR-1-513-01012018-31122018-0"
LARGE = "19310-937603490-937614362-VCS-VCU-1491-VER-RW-3-4150-01012025-30092025-1"  # → 10 Mt
# All VCUs share Verra's one namespace: the 10 Mt block is moved far above the real serials.
TEN_MT_FIRST = 9_000_000_000
FIRST_EVER = 1_000  # below every real block: the first part after the head sentinel
GS_SERIAL = "GS1-1-UG-GS11236-16-2024-30307-1-19149"  # an open programme's fresh namespace
CDM_PROJECT = Project("1234", "Landfill gas recovery", "BR", "ACM0001", "Waste handling")
CDM_NAMESPACE = "BR"  # a CDM originating registry: the Party's code
CJK_BENEFICIARY = "中国石油化工集团有限公司上海石油化工股份有限公司"  # 24 characters, 72 bytes
LONG_NOTE = "Retirement on behalf of the buyer for its 2025 emissions. " * 17  # 986 bytes
TONGXU = (  # two blocks of one namespace, bridged on the registry's signature
    "19380-941382555-941382741-VCS-VCU-1310-VER-CN-13-3005-01012022-31102022-0",
    "19381-941412555-941441125-VCS-VCU-1310-VER-CN-13-3005-01012022-31102022-0",
)
BENEFICIARY_ROW = TONGXU[1]  # retired for "Lindblad Expeditions Family of Companies"
CONSUMPTION = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))  # "... 2025 emissions"

MNEMONIC = "test test test test test test test test test test test junk"  # anvil's dev accounts
ROLES = ("admin", "issuer", "alice", "bob", "carol", "relayer")
EMBEDDED_CHAIN_ID = 131277322940537  # eth-tester's; anvil runs with it so signatures match
EMBEDDED_HARDFORK = "prague"  # py-evm's fork in eth-tester 0.14
DEADLINE = 4_102_444_800  # 2100-01-01: fixed, so signed calldata is the same on every run
FILLER_GAS = 250_000  # explicit gas for the pipelined namespace bridgings
PIPELINE = 100  # transactions in flight at once

T = TypeVar("T")

BRIDGE_BUDGET = 150_000
BUDGETS = {
    "bridge_1t": BRIDGE_BUDGET,
    "bridge_10Mt": BRIDGE_BUDGET,
    "bridge_linked": BRIDGE_BUDGET,
    "bridge_linked_claimed": BRIDGE_BUDGET,
    "transfer_split": 110_000,
    "retire_partial": 120_000,
    "void": 120_000,
    "recover": 110_000,
    "pool_deposit": 120_000,
    "pool_redeem": 130_000,
    "pool_retire": 150_000,
}
SAME_AS = {
    "bridge_1000th": "bridge_1st",
    "pool_deposit_1000th": "pool_deposit",
    "pool_redeem_10000_batches": "pool_redeem",
    "pool_retire_10000_batches": "pool_retire",
}
"""Keys that must cost what another does (within SAME_COST_TOLERANCE): flat in history and size."""
SAME_COST_TOLERANCE = 0.02  # bridge_1000th vs bridge_1st: the list insert must not grow
ERC721_MINT_PER_TONNE = 50_000
ERC3643_TRANSFER = 155_742

# key → (what it measures, tonnes bridged for the ERC-721 comparison or None)
OPERATIONS: dict[str, tuple[str, int | None]] = {
    "bridge_first_ever": ("the ledger's first bridging (after the head sentinel)", 1),
    "bridge_1t": ("bridge a 1 t block (VCS: fixed namespace VCS-VCU)", 1),
    "bridge_10Mt": ("bridge a 10,000,000 t block (VCS-VCU)", 10_000_000),
    "bridge_1st": ("bridge the Bale block (425 t) into VCS-VCU", 425),
    "bridge_1000th": ("Nth bridging after it, after N-1 others", 425),
    "bridge_open_namespace": ("bridge into a fresh namespace of an open programme (GS)", 19_149),
    "transfer_split": ("transfer from the middle of a range (splits it in 3)", None),
    "transfer_whole": ("transfer a whole range", None),
    "retire_partial": ("retire the lowest serials of a larger range (amount-based)", None),
    "retire_whole": ("retire a whole range", None),
    "bridge_signed": ("relayed EIP-712 bridge (signer's nonce already used)", 28_571),
    "retire_signed": ("relayed EIP-712 retire (signer's nonce already used)", None),
    "retire_partial_middle": ("retire from the middle of a range (splits it in 3)", None),
    "transfer_split_start": ("transfer the lowest serials of a range (amount-based)", None),
    "bridge_signed_first": ("relayed EIP-712 bridge, signer's first (nonce slot 0 → 1)", 187),
    "retire_signed_first": ("relayed EIP-712 retire, signer's first (nonce slot 0 → 1)", None),
    "detokenise": ("return the lowest serials of a range to the registry", None),
    "cancel": ("programme admin cancels the lowest serials of a holder's range", None),
    "void": ("programme admin voids an untouched batch (unlinks its part)", None),
    "recover": ("compliance moves a frozen holder's one range to its new account", None),
    "register_project": ("register a registry project", None),
    "buffer_set": ("programme admin names the programme's buffer account", None),
    "buffer_reverse": (
        "programme admin cancels the buffer's lowest serials of a range for a reversal",
        None,
    ),
    "link_propose": ("a programme admin proposes linking its project to another's", None),
    "link_accept": ("the other programme's admin accepts: both join a new link group", None),
    "link_projects": ("link_propose + link_accept", None),
    "bridge_linked": ("bridge a linked project's block, a new vintage (its claim grows)", 425),
    "bridge_linked_claimed": ("bridge a linked project's block, a vintage it claimed", 425),
    "retire_cjk_text": (
        f"retire_partial_middle, {len(CJK_BENEFICIARY)}-character Chinese beneficiary",
        None,
    ),
    "retire_long_text": (f"retire_partial_middle with a {len(LONG_NOTE)}-byte note", None),
    "deploy": ("deploy CarbonLedger and its three modules", None),
    "pool_create": (
        "create a pool (VCS, a vintage window, one country excluded) and its token",
        None,
    ),
    "pool_deposit": (
        "deposit a whole range into a pool; the depositor already holds its units",
        None,
    ),
    "pool_deposit_1000th": ("the same, the depositor's 1000th deposit into the pool", None),
    "pool_redeem": ("burn 10 units for the lowest serials of the pool's one range", None),
    "pool_retire": ("burn 10 units, retiring the lowest serials of the pool's one range", None),
    "pool_redeem_10000_batches": ("pool_redeem, the pool holding ranges of N batches", None),
    "pool_retire_10000_batches": ("pool_retire, the pool holding ranges of N batches", None),
    "pool_transfer": ("transfer units through the pool's ERC-20 (both already hold units)", None),
}
REQUIRED_KEYS = (
    *("bridge_1t", "bridge_10Mt", "bridge_1st", "bridge_1000th", "transfer_split"),
    *("transfer_whole", "retire_partial", "retire_whole", "bridge_signed", "retire_signed"),
    *("retire_partial_middle", "transfer_split_start", "detokenise", "cancel"),
    *("register_project", "deploy", "void", "recover"),
    *("link_projects", "link_propose", "link_accept", "bridge_linked", "bridge_linked_claimed"),
    *("pool_deposit", "pool_deposit_1000th", "pool_redeem", "pool_retire"),
    *("pool_redeem_10000_batches", "pool_retire_10000_batches"),
)
"""The keys the JSON output always has (all integers); the rest of OPERATIONS are extras."""


# ---------------------------------------------------------------- registry data


@dataclass(frozen=True)
class Block:
    """One issuance block of the Verra export."""

    reference: str  # the registry's block id
    first: int
    last: int
    namespace: str  # canonical: VCS-VCU for every block
    serial: ParsedSerial
    row: dict[str, str]

    @property
    def serial_number(self) -> str:
        """The registry's serial of this block (re-rendered for a synthetic one)."""
        values: dict[str, str | int] = dict(self.serial.fields)
        values.update(block=self.reference, first=self.first, last=self.last)
        return registries.compose("vcs", values).text()

    def project(self) -> Project:
        r = self.row
        country = self.serial.part("country")
        return Project(
            self.serial.project or "", r["Name"], country, r["Methodology"], r["Project Type"]
        )

    def metadata_hash(self) -> bytes:
        row = dict(self.row, **{"Serial Number": self.serial_number})
        canonical = json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return keccak(canonical.encode())

    def issuance(self, program_id: int, recipient: str) -> Issuance:
        return Issuance(
            program_id=program_id,
            project_key=b"",  # filled in once the project is registered
            namespace=self.namespace,
            first_serial=self.first,
            last_serial=self.last,
            recipient=recipient,
            vintage_start=dt.date.fromisoformat(self.row["Vintage Start"]),
            vintage_end=dt.date.fromisoformat(self.row["Vintage End"]),
            metadata_hash=self.metadata_hash(),
            registry_reference=self.reference,
        )

    def following(self, k: int) -> Block:
        """The k-th block after this one in its namespace, of the same size (synthetic)."""
        size = self.last - self.first + 1
        first = self.first + k * size
        return replace(
            self, reference=str(int(self.reference) + k), first=first, last=first + size - 1
        )


def synthetic_block(reference: int, first: int, last: int, row: dict[str, str]) -> Block:
    """A made-up Verra block of project ``row["ID"]`` (a 2020 vintage in Brazil)."""
    parts: dict[str, str | int] = {
        "block": reference,
        "first": first,
        "last": last,
        "ref": 1000,
        "country": "BR",
        "scope": 14,
        "project": row["ID"],
        "vintage_start": "01012020",
        "vintage_end": "31122020",
        "flag": 0,
    }
    serial = registries.compose("vcs", parts)
    return Block(str(reference), first, last, serial.namespace, serial, row)


def load_blocks(path: Path) -> dict[str, Block]:
    """Every block of the export, by serial number."""
    if not path.is_file():
        raise SystemExit(f"Verra export not found at {path} (use --verra-csv)")
    blocks = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            parsed = registries.parse("vcs", row["Serial Number"], row)
            block = Block(
                parsed.reference or "", parsed.first, parsed.last, parsed.namespace, parsed, row
            )
            blocks[row["Serial Number"]] = block
    return blocks


# ---------------------------------------------------------------- backends


def dev_accounts(count: int = len(ROLES)) -> list[LocalAccount]:
    Account.enable_unaudited_hdwallet_features()
    return [
        Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(count)
    ]


@contextmanager
def embedded_backend() -> Iterator[Web3]:
    """The embedded chain, with anvil's dev accounts funded so both backends use one set."""
    chain = embedded_chain()
    funder = TxSender(chain.w3, chain.accounts[0], ledger_abi())
    for account in dev_accounts():
        funder.wait(funder.send_eth(account.address, Web3.to_wei(1000, "ether")))
    yield chain.w3


@contextmanager
def anvil_backend() -> Iterator[Web3]:
    from chain.anvil import LocalNode, NodeOptions

    options = NodeOptions(chain_id=EMBEDDED_CHAIN_ID, extra_args=("--hardfork", EMBEDDED_HARDFORK))
    with (
        tempfile.TemporaryDirectory(prefix="carbon-ledger-gas-") as tmp,
        LocalNode(Path(tmp), options) as node,
    ):
        yield Web3(HTTPProvider(node.url))


@contextmanager
def rpc_backend(url: str) -> Iterator[Web3]:
    yield Web3(HTTPProvider(url))


# ---------------------------------------------------------------- the measurements


def _creation_gas(w3: Web3, address: str, before: int) -> int:
    """Gas of the transaction that created ``address``, at or before block ``before``."""
    for number in range(before, -1, -1):
        for tx in w3.eth.get_block(number)["transactions"]:
            receipt = w3.eth.get_transaction_receipt(tx)  # type: ignore[arg-type]
            if str(receipt["contractAddress"]).lower() == address.lower():
                return int(receipt["gasUsed"])
    raise RuntimeError(f"no transaction created {address}")


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def measure(
    w3: Web3,
    *,
    namespace_bridgings: int = 1000,
    pool_batches: int = 10_000,
    verra_csv: Path = VERRA_CSV,
    say: Callable[[str], None] = lambda _: None,
) -> dict[str, int]:
    """Run every operation once on a fresh ledger; returns gasUsed per operation key."""
    if namespace_bridgings < 2:
        raise ValueError("namespace_bridgings must be at least 2")
    if pool_batches < 2:
        raise ValueError("pool_batches must be at least 2 (pool_deposit is the 2nd deposit)")
    blocks = load_blocks(verra_csv)
    gas: dict[str, int] = {}
    abi = ledger_abi()
    nonces = NonceManager(w3)
    senders = {
        role: TxSender(w3, account, abi, nonces=nonces)
        for role, account in zip(ROLES, dev_accounts(), strict=True)
    }

    deployment = deploy_ledger(senders["admin"], admin_delay=24 * 3600)
    gas["deploy"] = w3.eth.get_transaction_receipt(deployment.deploy_tx)["gasUsed"]  # type: ignore[arg-type]
    admin = LedgerClient.for_deployment(w3, deployment, senders["admin"])
    modules = (
        deployment.governance,
        admin.contract.functions.pools().call(),
        admin.contract.functions.poolRules().call(),
    )
    for module in modules:
        gas["deploy"] += _creation_gas(w3, module, deployment.deploy_block)
    issuer, alice, bob, carol, relayer = (
        admin.as_account(senders[r]) for r in ("issuer", "alice", "bob", "carol", "relayer")
    )
    vcs = register_programme(admin, "VCS")  # fixed namespace VCS-VCU, numeric project ids
    gs = admin.register_program("GS")  # open: a namespace per issuance
    admin.grant_issuer(vcs, issuer.account)
    admin.grant_issuer(gs, issuer.account)
    admin.grant_role(admin.role("COMPLIANCE_ROLE"), admin.account)
    for client in (issuer, alice, bob, carol):
        admin.set_account(client.account)

    project_keys: dict[str, bytes] = {}

    def issuance(block: Block, recipient: LedgerClient = alice) -> Issuance:
        project = block.project()
        if project.project_id not in project_keys:
            project_keys[project.project_id] = issuer.ensure_project(vcs, project)
        key = project_keys[project.project_id]
        return replace(block.issuance(vcs, recipient.account), project_key=key)

    bale = blocks[BALE]
    receipt = issuer.sender.transact(  # type: ignore[union-attr]
        issuer.contract.functions.registerProject(vcs, bale.project().as_abi())
    )
    gas["register_project"] = receipt["gasUsed"]

    # The ledger's very first bridging sits right after the head sentinel, which names no batch
    # to read its end from: it costs one cold read less than every later one, so it is its own
    # key and the figures below compare bridgings of the same shape.
    gas["bridge_first_ever"] = issuer.bridge(
        replace(issuance(blocks[ONE_TONNE]), first_serial=FIRST_EVER, last_serial=FIRST_EVER)
    ).gas_used
    # Bridging: quantity does not matter, and neither does how full the namespace is.
    gas["bridge_1t"] = issuer.bridge(issuance(blocks[ONE_TONNE])).gas_used
    large = blocks[LARGE]
    gas["bridge_10Mt"] = issuer.bridge(
        replace(
            issuance(large), first_serial=TEN_MT_FIRST, last_serial=TEN_MT_FIRST + 10_000_000 - 1
        )
    ).gas_used
    first = issuer.bridge(issuance(bale))
    gas["bridge_1st"] = first.gas_used
    batch = first.batch_id

    say(f"bridging {namespace_bridgings - 2:,} more blocks into {bale.namespace}")
    ns = namespace_id(vcs, bale.namespace)
    fillers = [
        (
            issuer.contract.functions.bridge(
                issuance(bale.following(k)).as_abi(), part_key(ns, bale.following(k - 1).first)
            ),
            FILLER_GAS,
        )
        for k in range(1, namespace_bridgings - 1)
    ]
    for chunk in _chunks(fillers, PIPELINE):
        issuer.sender.wait_all(issuer.sender.send_many(chunk))  # type: ignore[union-attr]
    nth = bale.following(namespace_bridgings - 1)
    gas["bridge_1000th"] = issuer.bridge(issuance(nth)).gas_used
    below = part_key(ns, bale.following(namespace_bridgings - 2).first)
    next_key, _ = issuer.contract.functions.part(below).call()
    if next_key != part_key(ns, nth.first) or issuer.batch_count() != namespace_bridgings + 3:
        raise RuntimeError("the namespace's bridgings did not each insert after the previous one")

    # Holdings: each operation on the Bale batch, checking how many ranges it creates.
    def op(key: str, new_ranges: int, run: Callable[[], TxResult | Sequence[TxResult]]) -> None:
        before = len(admin.ranges(batch))
        result = run()
        results = [result] if isinstance(result, TxResult) else result
        if len(results) != 1:
            raise RuntimeError(f"{key}: expected one transaction, got {len(results)}")
        after = len(admin.ranges(batch))
        if after - before != new_ranges:
            raise RuntimeError(f"{key}: expected {new_ranges} new ranges, got {after - before}")
        gas[key] = results[0].gas_used

    s = bale.first  # alice holds s .. s+424
    beneficiary = blocks[BENEFICIARY_ROW].row["Retirement Beneficiary"]
    since, until = CONSUMPTION

    def retirement(lo: int, hi: int) -> RetirementRequest:
        return RetirementRequest(
            batch, s + lo, s + hi, beneficiary, consumption_start=since, consumption_end=until
        )

    def signed_retire(lo: int, hi: int) -> TxResult:
        request = retirement(lo, hi)
        return relayer.retire_signed(request, bob.sign_retirement(request, deadline=DEADLINE))

    op("transfer_split", 2, lambda: alice.transfer(batch, s + 100, s + 199, bob.account))
    op("transfer_split_start", 1, lambda: alice.transfer_quantity(batch, 7, carol.account))
    op("transfer_whole", 0, lambda: alice.transfer(batch, s + 200, bale.last, bob.account))
    op(
        "retire_partial",
        1,
        lambda: bob.retire_quantity(
            batch, 10, beneficiary, consumption_start=since, consumption_end=until
        ),
    )
    op("retire_partial_middle", 2, lambda: bob.retire(retirement(150, 159)))
    op("retire_whole", 0, lambda: bob.retire(retirement(160, 199)))
    op("retire_signed_first", 1, lambda: signed_retire(110, 119))
    op("retire_signed", 1, lambda: signed_retire(120, 129))

    # Text a person writes, on retire_partial_middle's shape (the middle of a range).
    def retire_text(lo: int, beneficiary: str, note: str = "") -> TxResult:
        request = replace(retirement(lo, lo + 9), beneficiary=beneficiary, note=note)
        return bob.retire(request)

    op("retire_cjk_text", 2, lambda: retire_text(300, CJK_BENEFICIARY))
    op("retire_long_text", 2, lambda: retire_text(320, beneficiary, LONG_NOTE))
    op("detokenise", 1, lambda: bob.detokenise(batch, s + 200, s + 204, "19386"))
    op("cancel", 1, lambda: admin.cancel(batch, alice.account, s + 7, s + 11, "reversal"))

    # Correction: void a wrong bridging (a block after the namespace's last), recover a holder.
    wrong = issuer.bridge(issuance(bale.following(namespace_bridgings)))
    gas["void"] = admin.void_batch(wrong.batch_id, bale.namespace, "wrong recipient").gas_used
    (carols,) = admin.holdings(batch, carol.account)
    admin.set_account(carol.account, allowed=True, frozen=True)
    gas["recover"] = admin.recover(carol.account, bob.account, [(batch, carols.first)]).gas_used

    # Buffer pools (issue 16 item 3): bob stands for the programme's buffer account, and a
    # reversal of the voided batch cancels the lowest serials of one of his ranges.
    gas["buffer_set"] = admin.set_program_buffer(
        admin.batch(batch).program_id, bob.account
    ).gas_used
    op(
        "buffer_reverse",
        1,
        lambda: admin.reverse_from_buffer(batch, s + 205, s + 209, wrong.batch_id, "reversal"),
    )

    # Project links: CDM 1234 ⇄ VCS 1340 (Bale); CDM bridged 2008-2012 under the link, then
    # Bale's next blocks: the first claims its vintage for VCS (the group's word grows), the
    # second falls in the period VCS already claimed (read only).
    cdm = admin.register_program("CDM")  # admin of both programmes here: gas only
    admin.grant_issuer(cdm, issuer.account)
    cdm_key = issuer.ensure_project(cdm, CDM_PROJECT)
    bale_key = project_keys[bale.project().project_id]
    proposed = admin.propose_project_link(bale_key, cdm_key)
    accepted = admin.accept_project_link(cdm_key, bale_key)
    gas["link_propose"], gas["link_accept"] = proposed.gas_used, accepted.gas_used
    gas["link_projects"] = proposed.gas_used + accepted.gas_used
    issuer.bridge(
        Issuance(
            cdm,
            cdm_key,
            CDM_NAMESPACE,
            1,
            500,
            alice.account,
            dt.date(2008, 1, 1),
            dt.date(2012, 12, 31),
            registry_reference="BR-1234-2008",
        )
    )
    gas["bridge_linked"] = issuer.bridge(issuance(bale.following(namespace_bridgings + 1))).gas_used
    gas["bridge_linked_claimed"] = issuer.bridge(
        issuance(bale.following(namespace_bridgings + 2))
    ).gas_used

    parsed = registries.parse("gs", GS_SERIAL)
    gs_key = issuer.ensure_project(gs, Project(parsed.project or "", "Cookstoves", "UG", "", ""))
    gas["bridge_open_namespace"] = issuer.bridge(
        Issuance(
            gs,
            gs_key,
            parsed.namespace,
            parsed.first,
            parsed.last,
            alice.account,
            dt.date(2024, 1, 1),
            dt.date(2024, 12, 31),
            registry_reference=parsed.reference or "",
        )
    ).gas_used

    for key, serial in zip(("bridge_signed_first", "bridge_signed"), TONGXU, strict=True):
        request = issuance(blocks[serial])
        signed = issuer.sign_bridge(request, deadline=DEADLINE)
        gas[key] = relayer.bridge_signed(request, signed).gas_used

    def bridge_many(ks: Sequence[int]) -> list[int]:
        """Bridge Bale's synthetic blocks ``following(k)`` to alice, pipelined; their batch ids."""
        first_id = admin.batch_count() + 1
        calls = []
        for n, k in enumerate(ks):
            block = bale.following(k)
            if n == 0:
                fn = admin.contract.functions.findPartHint(vcs, bale.namespace, block.first, 0)
                hint = int(fn.call())
            else:
                hint = part_key(ns, bale.following(k - 1).first)
            calls.append(
                (issuer.contract.functions.bridge(issuance(block).as_abi(), hint), FILLER_GAS)
            )
        for chunk in _chunks(calls, PIPELINE):
            issuer.sender.wait_all(issuer.sender.send_many(chunk))  # type: ignore[union-attr]
        if admin.batch_count() != first_id + len(ks) - 1:
            raise RuntimeError("the pool's batches were not all bridged")
        return list(range(first_id, first_id + len(ks)))

    gas.update(
        _measure_pools(admin, alice, bob, bridge_many, namespace_bridgings, pool_batches, say)
    )
    return {key: gas[key] for key in OPERATIONS}


def _measure_pools(
    admin: LedgerClient,
    alice: LedgerClient,
    bob: LedgerClient,
    bridge_many: Callable[[Sequence[int]], list[int]],
    after: int,
    pool_batches: int,
    say: Callable[[str], None],
) -> dict[str, int]:
    """Pools (issue 15): two pools of the same rules, one holding one batch's range, one holding
    ranges of ``pool_batches`` batches, each filled by alice (whole 425 t ranges in order, so
    each deposit's hint is the previous range); bob holds units of both. Redeeming and retiring
    take the lowest 10 serials of the head range: the same work whatever the pool holds."""
    gas: dict[str, int] = {}
    admin.grant_role(admin.role("POOL_ADMIN_ROLE"), admin.account)
    rules = PoolRules(
        frozenset({1}), vintage_from=dt.date(2016, 1, 1), country_mode=PoolMode.EXCEPT
    )
    fn = admin.contract.functions.createPool("Nature", "NAT", rules.as_abi(), ["CN"], [], [])
    gas["pool_create"] = admin.sender.transact(fn)["gasUsed"]  # type: ignore[union-attr]
    small = 1
    large, _ = admin.create_pool("Nature large", "NATL", rules, countries=["CN"])
    (single,) = bridge_many([after + 100])
    alice.pool_deposit(small, single, *_whole(admin, single))
    say(f"bridging {pool_batches:,} blocks and depositing each into a pool")
    ids = bridge_many(range(after + 101, after + 101 + pool_batches))
    calls: list[tuple[ContractFunction, int]] = []
    previous = 0
    for n, batch_id in enumerate(ids, start=1):
        first, last = _whole(admin, batch_id)
        key = pool_key(dt.date(2020, 1, 1), batch_id, last)
        fn = alice.contract.functions.poolDeposit(large, batch_id, first, last, first, previous)
        previous = key
        # The 1000th deposit, or with fewer batches (the tests' quick run) the last one.
        if n in (2, min(1000, pool_batches)):
            # Everything before it mined, so this deposit sees the pool as it is.
            for chunk in _chunks(calls, PIPELINE):
                alice.sender.wait_all(alice.sender.send_many(chunk))  # type: ignore[union-attr]
            calls = []
            used = alice.sender.transact(fn)["gasUsed"]  # type: ignore[union-attr]
            gas["pool_deposit" if n == 2 else "pool_deposit_1000th"] = used
            if n == 2 == pool_batches:
                gas["pool_deposit_1000th"] = used
        else:
            calls.append((fn, FILLER_GAS))
    for chunk in _chunks(calls, PIPELINE):
        alice.sender.wait_all(alice.sender.send_many(chunk))  # type: ignore[union-attr]
    if admin.pool(large).ranges != pool_batches:
        raise RuntimeError("the large pool does not hold a range of every batch")
    alice.pool_transfer(small, bob.account, 100)
    gas["pool_transfer"] = alice.pool_transfer(small, bob.account, 100).gas_used
    alice.pool_transfer(large, bob.account, 200)
    since, until = CONSUMPTION
    for pool_id, suffix in ((small, ""), (large, "_10000_batches")):
        gas[f"pool_redeem{suffix}"] = bob.pool_redeem(pool_id, 10).gas_used
        gas[f"pool_retire{suffix}"] = bob.pool_retire(
            pool_id,
            10,
            "Lindblad Expeditions Family of Companies",
            consumption_start=since,
            consumption_end=until,
        ).gas_used
    return gas


def _whole(admin: LedgerClient, batch_id: int) -> tuple[int, int]:
    b = admin.batch(batch_id)
    return b.first_serial, b.last_serial


# ---------------------------------------------------------------- budgets and report


def budget_text(key: str, gas: dict[str, int]) -> str:
    if key in BUDGETS:
        return f"≤ {BUDGETS[key]:,}"
    if key in SAME_AS:
        return f"{SAME_AS[key]} ± {SAME_COST_TOLERANCE:.0%}"
    return ""


def within_budget(key: str, gas: dict[str, int]) -> bool | None:
    """Whether ``key`` keeps its budget; None if it has none."""
    if key in BUDGETS:
        return gas[key] <= BUDGETS[key]
    if key in SAME_AS:
        same = gas[SAME_AS[key]]
        return abs(gas[key] - same) <= SAME_COST_TOLERANCE * same
    return None


def budget_failures(gas: dict[str, int]) -> list[str]:
    return [
        f"{key} = {gas[key]:,} exceeds its budget ({budget_text(key, gas)})"
        for key in OPERATIONS
        if within_budget(key, gas) is False
    ]


def peer_text(key: str) -> str:
    tonnes = OPERATIONS[key][1]
    if tonnes is not None:
        return f"ERC-721 mint per tonne: {tonnes * ERC721_MINT_PER_TONNE:,}"
    if key.startswith("transfer"):
        return f"ERC-3643 transfer: {ERC3643_TRANSFER:,}"
    return ""


def table(gas: dict[str, int]) -> str:
    header = ("operation", "gas", "budget", "within budget", "for scale", "what")
    rows = [header]
    for key, (what, _) in OPERATIONS.items():
        ok = within_budget(key, gas)
        verdict = "" if ok is None else ("yes" if ok else "NO")
        rows.append((key, f"{gas[key]:,}", budget_text(key, gas), verdict, peer_text(key), what))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(w) if i == 1 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def compare(gas: dict[str, int], reference: dict[str, int]) -> list[str]:
    return [
        f"{key}: {gas[key]:,} here, {reference[key]:,} on py-evm"
        for key in OPERATIONS
        if gas[key] != reference[key]
    ]


def report(
    gas: dict[str, int],
    backend: str,
    bridgings: int,
    mismatches: list[str],
    failures: list[str],
    compared: bool,
) -> str:
    lines = [f"Gas used per operation on {backend}, from the receipts", "", table(gas), ""]
    lines.append(
        f"bridge_1000th is bridging no. {bridgings:,} into one namespace. For scale: one ERC-721 "
        f"mint per tonne costs ≈ {ERC721_MINT_PER_TONNE:,} gas a tonne; an ERC-3643 transfer "
        f"{ERC3643_TRANSFER:,}."
    )
    if compared and not mismatches:
        lines.append(f"All {len(gas)} figures match the embedded py-evm chain exactly.")
    elif compared:
        lines.append("Figures that differ from the embedded py-evm chain:")
        lines += [f"  {m}" for m in mismatches]
    if failures:
        lines.append("Budgets exceeded:")
        lines += [f"  {f}" for f in failures]
    else:
        lines.append("All budgets kept.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object of gas figures")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--rpc", metavar="URL", help="a node with anvil's dev accounts funded")
    where.add_argument("--anvil", action="store_true", help="a temporary anvil (chain/anvil.py)")
    parser.add_argument(
        "--namespace-bridgings",
        type=int,
        default=1000,
        metavar="N",
        help="bridgings into one namespace before measuring the last (default 1000)",
    )
    parser.add_argument(
        "--pool-batches",
        type=int,
        default=10_000,
        metavar="N",
        help="batches whose ranges the large pool holds (default 10000; at least 2; below "
        "1000, pool_deposit_1000th is the last deposit: the tests' quick run)",
    )
    parser.add_argument("--verra-csv", type=Path, default=VERRA_CSV)
    args = parser.parse_args(argv)
    if args.namespace_bridgings < 2:
        parser.error("--namespace-bridgings must be at least 2")
    if args.pool_batches < 2:
        parser.error("--pool-batches must be at least 2")

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def run(backend: Callable[[], AbstractContextManager[Web3]], name: str) -> dict[str, int]:
        say(f"measuring on {name}")
        with backend() as w3:
            return measure(
                w3,
                namespace_bridgings=args.namespace_bridgings,
                pool_batches=args.pool_batches,
                verra_csv=args.verra_csv,
                say=say,
            )

    reference = run(embedded_backend, "the embedded chain (py-evm)")
    gas, mismatches, backend_name = reference, [], "the embedded chain (py-evm)"
    if args.anvil or args.rpc:
        backend_name = "a temporary anvil" if args.anvil else args.rpc
        gas = run(anvil_backend if args.anvil else lambda: rpc_backend(args.rpc), backend_name)
        mismatches = compare(gas, reference)
    failures = budget_failures(gas)
    if args.json:
        print(json.dumps(gas, sort_keys=True))
        for line in [*mismatches, *failures]:
            say(line)
    else:
        compared = args.anvil or args.rpc
        print(report(gas, backend_name, args.namespace_bridgings, mismatches, failures, compared))
    return 1 if failures or mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
