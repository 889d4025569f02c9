"""Stateful property test: random operation sequences against the contract AND the model.

Every step runs one operation on both the reference model (``tests/contracts/model.py``) and the
deployed ledger: either both accept it, or both refuse it with the same error name and the same
arguments. Requests are valid by default with one (sometimes several) faults injected, so both
the success paths and every refusal, in its precedence order, are exercised. Besides bridging,
moves, cancellation and governance, the rules correct in the open: ``voidBatch`` of a batch
(mostly an untouched one), the voided serials bridged again and linked (``correctBatch``), a
lost key's ranges recovered by compliance (``recover``, after a freeze), ``useNonce``, and the
programme admin's ``setLabels`` followed by a CORSIA, Article 6 or voluntary retirement, which
the labels and the vintage (CORSIA's first phase from 2021) gate.

After every step the chain must equal the model: every batch's holding ranges (``rangesFrom``,
so no overlap or gap) and record (totals, labels, freeze), per-batch conservation from both the
ranges and the totals, the balances and account flags the step involved, the pause flag, the
counters, and the audit head recomputed incrementally from the emitted logs
(``chain.audit.recompute``) equals ``auditHead``/``auditSeq``, whose count is the number of events
the model expects. All of it is read in ONE ``eth_call`` through the ledger's ``multicall``; at
the end of each sequence, every balance and flag, and the client's own ``ranges()``, too.

Knobs (environment):

- ``CARBON_LEDGER_STATEFUL_EXAMPLES``: number of sequences (default ``DEFAULT_EXAMPLES``);
- ``CARBON_LEDGER_STATEFUL_STEPS``: steps per sequence (default 15);
- ``CARBON_LEDGER_STATEFUL_FULL_CHECK=0``: after each step compare only the ranges of the
  batches the step touched (every batch still at the end of each sequence);
- ``CARBON_LEDGER_STATEFUL_RPC=anvil``: run the machine on a local anvil node instead of the
  embedded eth-tester chain (``test_ledger_matches_model_on_anvil``, marked ``anvil``).

The module also holds the scripted sequence ``test_scripted_sequence_matches_model`` (spanning
moves and refusals on purpose) and the regression tests for the contract bugs this model found.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import decode, encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.abi import function_signature_to_4byte_selector
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.types import RPCEndpoint, TxReceipt

import chain.client
from chain.abi import abi_type
from chain.artifacts import ledger_abi
from chain.audit import AuditState, genesis_state, recompute
from chain.client import LedgerClient
from chain.deployment import deploy_ledger
from chain.domain import HoldingRange, Label, Project, Purpose, RangeState, unpack_date
from chain.errors import ContractError, InsufficientCredits
from chain.events import LedgerEvent, decode_logs, event_specs
from chain.transactions import NonceManager, TxSender
from tests.conftest import Ledger
from tests.contracts.model import (
    COMPLIANCE_ROLE,
    PAUSER_ROLE,
    ZERO_ADDRESS,
    LedgerModel,
    ModelError,
    issuer_role,
    program_admin_role,
)

DEFAULT_EXAMPLES = 200
EXAMPLES = int(os.environ.get("CARBON_LEDGER_STATEFUL_EXAMPLES", str(DEFAULT_EXAMPLES)))
STEPS = int(os.environ.get("CARBON_LEDGER_STATEFUL_STEPS", "15"))
RPC = os.environ.get("CARBON_LEDGER_STATEFUL_RPC", "embedded").strip().lower()
FULL_CHECK = os.environ.get("CARBON_LEDGER_STATEFUL_FULL_CHECK", "1")
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"

# Every transaction carries this much gas instead of being estimated: eth-tester estimates by
# binary search (several executions per call), which made each step about 6x slower. A revert
# then shows up at send time or in a status-0 receipt, and TxSender decodes it either way.
GAS = 3_000_000

ACTORS = ("admin", "issuer", "gs_issuer", "alice", "bob", "carol", "outsider")
HOLDERS = ("alice", "bob", "carol", "issuer", "outsider")
VCS, GS, UNREGISTERED = 1, 2, 3
PROJECTS = {
    VCS: Project("1340", "Bale Mountains", "ET", "VM0015", "AFOLU"),
    GS: Project("GS11236", "Uganda cookstoves", "UG", "TPDDTEC", "Energy"),
}
NAMESPACES = ("NS-A", "NS-B")
# The spellings that once bridged the same serials twice (issue 12), and other non-canonical ones.
BAD_NAMESPACES = (
    "",
    "ns-a",
    "NS-A ",
    " NS-A",
    "NS\u2010A",
    "NS-A\u200b",
    "N\u0405-A",
    "NS--A",
    "-NS-A",
)
SERIAL_MAX = 200
METADATA = b"\x11" * 32
UNKNOWN_KEY = b"\x42" * 32
AUDITED = frozenset(event_specs("ICarbonLedgerEvents"))
GOOD_VINTAGES = (
    (20200101, 20201231),
    (20210101, 20211231),  # CORSIA's first phase: its retirements need the adjustment too
    (20150301, 20150301),
    (20201231, 20210101),  # starts the day before the first phase
    (19000101, 99991231),
    (20230601, 20231231),
)
BAD_VINTAGES = (
    (20201231, 20200101),
    (20201301, 20201231),
    (0, 0),
    (18991231, 20200101),
    (20200100, 20200101),
    (20200101, 20200132),
    (20200230, 20201231),
    (20190229, 20191231),
)
BAD_PERIODS = ((20240101, 0), (20241231, 20240101), (20241301, 20241231), (20240101, 20240132))
BAD_RANGES = ((5, 4), (1, 2**64 - 1), (0, 2**32 - 1), (150, 100), (2**63 - 1, 2**63 - 1))
BRIDGE_FAULTS = (
    "actor",
    "program",
    "project",
    "namespace",
    "range",
    "vintage",
    "labels",
    "recipient",
    "hint",
    "overlap",
    "paused",
)

STATS: Counter[str] = Counter()
"""Outcomes per operation (``"transfer:ok"``, ``"transfer:InsufficientCredits"``, …)."""
RUN: Counter[str] = Counter()
"""Sequences, steps (rules run), operations, and moves that spanned several ranges."""


# ---------------------------------------------------------------- a deployed ledger + its model


@dataclass
class Env:
    """One deployed, configured ledger on some node, with the model of that same state."""

    w3: Web3
    clients: dict[str, LedgerClient]
    address: dict[str, str]  # actor name → lower-case address
    nonces: NonceManager
    model: LedgerModel
    project_keys: dict[int, bytes]
    audit: AuditState
    block: int
    snapshot: Callable[[], Any]
    revert: Callable[[Any], None]

    @property
    def contract(self) -> Any:
        return self.clients["admin"].contract

    def name_of(self, account: str) -> str | None:
        return next((n for n, a in self.address.items() if a == account.lower()), None)

    def after_revert(self) -> None:
        # Clients cache nonces and the bridged-part list; the rollback invalidated both. The
        # machine bridges through the contract with the model's hints, so the (shared) part
        # index stays empty and is right for the fresh state as it is; re-read it only if
        # something did fill it (a refresh costs ~0.2 s on py-evm: partsFrom(0, 500)).
        self.nonces.reset()
        parts = self.clients["admin"]._parts
        if len(parts):
            parts.refresh()


def build_env(
    w3: Web3,
    accounts: Sequence[LocalAccount],
    snapshot: Callable[[], Any],
    revert: Callable[[Any], None],
) -> Env:
    """Deploy and configure a ledger, doing every setup step on the model too."""
    abi = ledger_abi()
    nonces = NonceManager(w3)
    senders = {
        n: TxSender(w3, a, abi, nonces=nonces) for n, a in zip(ACTORS, accounts, strict=False)
    }
    deployment = deploy_ledger(senders["admin"], admin_delay=3600)
    admin = LedgerClient.for_deployment(w3, deployment, senders["admin"])
    clients = {n: admin if n == "admin" else admin.as_account(s) for n, s in senders.items()}
    address = {n: s.address.lower() for n, s in senders.items()}
    model = LedgerModel(address["admin"])

    assert admin.register_program("VCS") == model.register_program(address["admin"], b"VCS") == VCS
    assert admin.register_program("GS") == model.register_program(address["admin"], b"GS") == GS
    grants = [
        (issuer_role(VCS), "issuer"),
        (issuer_role(GS), "gs_issuer"),
        (COMPLIANCE_ROLE, "admin"),
        (PAUSER_ROLE, "admin"),
    ]
    for role, who in grants:
        admin.grant_role(role, address[who])
        model.grant_role(address["admin"], role, address[who])
    for who in ("issuer", "gs_issuer", "alice", "bob", "carol"):
        admin.set_account(address[who])
        model.set_account(address["admin"], address[who], True, False)
    keys = {}
    for program, issuer in ((VCS, "issuer"), (GS, "gs_issuer")):
        keys[program] = clients[issuer].register_project(program, PROJECTS[program])
        assert keys[program] == model.register_project(
            address[issuer], program, PROJECTS[program].project_id
        )

    logs = w3.eth.get_logs({"address": deployment.address, "fromBlock": deployment.deploy_block})
    audit = recompute(
        ((e.topics, e.data) for e in decode_logs(logs) if e.topics[0] in AUDITED),
        genesis_state(deployment.chain_id, deployment.address),
    )
    assert audit == admin.audit_state()
    assert audit.seq == model.audit_seq
    return Env(
        w3=w3,
        clients=clients,
        address=address,
        nonces=nonces,
        model=model,
        project_keys=keys,
        audit=audit,
        block=w3.eth.block_number,
        snapshot=snapshot,
        revert=revert,
    )


def embedded_env() -> Env:
    from chain.embedded import embedded_chain

    chain = embedded_chain()
    return build_env(chain.w3, chain.accounts, chain.snapshot, chain.revert)


def anvil_env(data_dir: Path) -> tuple[Env, Callable[[], None]]:
    """A ledger on a fresh anvil node in ``data_dir``, and how to stop that node."""
    try:
        from chain.anvil import LocalNode, NodeOptions
    except ImportError as exc:  # pragma: no cover - depends on the checkout
        pytest.skip(f"chain.anvil is not available ({exc})")
    from chain.errors import AnvilNotFound

    node = LocalNode(data_dir, NodeOptions())
    try:
        url = node.start()
    except AnvilNotFound as exc:
        pytest.skip(str(exc))
    w3 = Web3(Web3.HTTPProvider(url))
    Account.enable_unaudited_hdwallet_features()
    accounts = [
        Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
        for i in range(len(ACTORS))
    ]

    def snapshot() -> Any:
        return w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"]

    def revert(snapshot_id: Any) -> None:
        response = w3.provider.make_request(RPCEndpoint("evm_revert"), [snapshot_id])
        assert response.get("result") is True, response

    try:
        return build_env(w3, accounts, snapshot, revert), node.stop
    except BaseException:
        node.stop()
        raise


# ---------------------------------------------------------------- reading the chain cheaply


@dataclass(frozen=True)
class _View:
    selector: bytes
    inputs: list[str]
    outputs: list[str]


def _views() -> dict[str, _View]:
    views = {}
    for e in ledger_abi():
        if e.get("type") == "function":
            inputs = [abi_type(i) for i in e["inputs"]]
            selector = function_signature_to_4byte_selector(f"{e['name']}({','.join(inputs)})")
            views[str(e["name"])] = _View(selector, inputs, [abi_type(o) for o in e["outputs"]])
    return views


VIEWS = _views()


def read_many(w3: Web3, contract: str, calls: list[tuple[str, list[Any]]]) -> list[tuple[Any, ...]]:
    """Many view calls in ONE ``eth_call``, through the ledger's own ``multicall``, encoded with
    eth_abi directly (web3's per-call ABI validation cost more than the EVM work here)."""
    payload = [VIEWS[n].selector + encode(VIEWS[n].inputs, args) for n, args in calls]
    multicall = VIEWS["multicall"]
    data = multicall.selector + encode(multicall.inputs, [payload])
    raw = w3.eth.call({"to": Web3.to_checksum_address(contract), "data": data})
    (results,) = decode(multicall.outputs, raw)
    return [decode(VIEWS[n].outputs, r) for (n, _), r in zip(calls, results, strict=True)]


def _norm(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    if isinstance(value, tuple | list):
        return tuple(_norm(v) for v in value)
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def _events(receipt: TxReceipt, name: str) -> list[LedgerEvent]:
    return [e for e in decode_logs(receipt["logs"]) if e.name == name]


def _retire_fields() -> list[tuple[str, str]]:
    retire = next(e for e in ledger_abi() if e.get("name") == "retire")
    return [(str(c["name"]), str(c["type"])) for c in retire["inputs"][0]["components"]]


RETIREMENT_FIELDS = _retire_fields()


def retirement(**fields: Any) -> tuple[Any, ...]:
    """A ``Retirement`` struct for the ABI, from field values by name (strings default to "",
    numbers to 0), so the test follows the struct's layout as the contract declares it."""
    return tuple(fields.get(n, "" if t == "string" else 0) for n, t in RETIREMENT_FIELDS)


def _checksum(address: str) -> str:
    return Web3.to_checksum_address(address)


def _held_groups(ranges: list[tuple[int, int, str, RangeState]]) -> list[list[tuple[int, int]]]:
    """Runs of two or more adjacent live ranges of one holder (a move may span them)."""
    groups: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    owner = None
    for first, last, holder, state in ranges:
        if state == RangeState.HELD and holder == owner and current:
            current.append((first, last))
            continue
        if len(current) > 1:
            groups.append(current)
        current, owner = ([(first, last)], holder) if state == RangeState.HELD else ([], None)
    if len(current) > 1:
        groups.append(current)
    return groups


# ---------------------------------------------------------------- the state machine

# Hypothesis favours the first and the last of a list of choices: the common ones sit there.
MOVE_MODES = ("within", "span", "edge", "within", "reversed", "span", "within")
MOVE_MODES_WITH_GROUPS = (
    "run",
    "within",
    "run",
    "span",
    "edge",
    "run",
    "reversed",
    "within",
    "run",
)
PURPOSES = (
    Purpose.VOLUNTARY,
    Purpose.CORSIA,
    Purpose.VOLUNTARY,
    Purpose.ARTICLE6,
    Purpose.COMPLIANCE,
    Purpose.VOLUNTARY,
)
GOVERNANCE = (
    "set_account",
    "set_labels",
    "set_batch_frozen",
    "issuer_role",
    "set_account",
    "pause",
    "set_labels",
    "unpause",
    "set_account",
    "set_batch_frozen",
    "issuer_role",
    "set_labels",
    "set_account",
)
ACCOUNT_TARGETS = ("alice", "bob", "carol", "nobody", "issuer", "outsider", "gs_issuer", "bob")
ACCOUNT_FLAGS = (
    (True, False),
    (True, True),
    (True, False),
    (False, False),
    (True, False),
    (False, True),
    (True, False),
)  # (allowed, frozen)


def mostly(common: Any, rare: Sequence[Any], weight: int) -> st.SearchStrategy[Any]:
    """``common`` ``weight`` times as often as each of ``rare``, at both ends of the list."""
    half = weight // 2
    return st.sampled_from([common] * half + list(rare) + [common] * (weight - half))


class LedgerMachine(RuleBasedStateMachine):
    """Drives the model and the chain in lock step; see the module docstring."""

    def __init__(self, env: Env) -> None:
        super().__init__()
        self.env = env
        self.snapshot_id = env.snapshot()
        self.model: LedgerModel = copy.deepcopy(env.model)
        self.audit = env.audit
        self.block = env.block
        self.touched: set[int] = set()  # batches the current step worked on
        self.accounts: set[str] = set()  # accounts whose balance or flags it may have changed
        self.clean = True  # no rule or check failed: the final full check is meaningful
        self.last_error: str | None = None  # the error both sides agreed on, last step
        RUN["sequences"] += 1

    def teardown(self) -> None:
        try:
            if self.clean:
                self.check_chain(full=True, client_view=True)
        finally:
            self.env.revert(self.snapshot_id)
            self.env.after_revert()

    # ------------------------------------------------------------ plumbing

    def _addr(self, name: str) -> str:
        return ZERO_ADDRESS if name == "nobody" else self.env.address[name]

    def _active(self, name: str) -> bool:
        return self.model.account_status(self._addr(name)) == (True, False)

    def _send(self, actor: str, fn: ContractFunction) -> TxReceipt:
        sender = self.env.clients[actor].sender
        assert sender is not None
        return sender.transact(fn, gas=GAS)

    def _both(
        self, op: str, model_call: Callable[[], Any], chain_call: Callable[[], TxReceipt]
    ) -> tuple[Any, TxReceipt | None]:
        """Run one operation on both sides; they must agree on success or on the error."""
        self.clean = False
        model_error: ModelError | None = None
        chain_error: ContractError | None = None
        expected: Any = None
        receipt: TxReceipt | None = None
        try:
            expected = model_call()
        except ModelError as exc:
            model_error = exc
        try:
            receipt = chain_call()
        except ContractError as exc:
            chain_error = exc
        self.last_error = model_error.error_name if model_error else None
        STATS[f"{op}:{self.last_error or 'ok'}"] += 1
        RUN["operations"] += 1
        if model_error is None and chain_error is None:
            return expected, receipt
        assert chain_error is not None, f"{op}: the contract accepted it; model: {model_error}"
        assert model_error is not None, f"{op}: the contract refused ({chain_error}); model ok"
        assert chain_error.error_name == model_error.error_name, (
            f"{op}: contract {chain_error}, model {model_error}"
        )
        assert _norm(chain_error.arguments) == _norm(model_error.arguments), (
            f"{op}: contract {chain_error}, model {model_error}"
        )
        return None, None

    def _expect_moved(
        self,
        receipt: TxReceipt | None,
        batch: int,
        owner: str,
        to: str,
        first: int,
        last: int,
        state: RangeState,
        actor: str,
    ) -> None:
        """The step's one SerialsMoved event names the range, the parties and the actor."""
        if receipt is None:
            return
        (moved,) = _events(receipt, "SerialsMoved")
        f = moved.fields
        got = (f["batchId"], f["from"], f["to"], f["firstSerial"], f["lastSerial"], f["state"])
        assert _norm(got) == (batch, owner, to, first, last, state), got
        assert f["actor"] == actor

    def _note_span(self, op: str, batch: int, first: int, last: int) -> Callable[[Any], None]:
        """Counts successful moves that absorb several ranges (called before the move, the
        result is called with the receipt)."""
        ranges = self.model.ranges(batch) if batch in self.model.batches else []
        span = sum(1 for a, z, _, _ in ranges if a <= last and first <= z)

        def done(receipt: Any) -> None:
            if receipt is not None and span > 1:
                RUN[f"{op} spanning {span if span < 4 else '4+'} ranges"] += 1

        return done

    # ------------------------------------------------------------ drawing requests

    def _draw_batch(self, data: st.DataObject) -> int:
        ids = self.model.batch_ids()
        if not ids or data.draw(mostly(False, [True], 9), label="unknown batch?"):
            return data.draw(st.sampled_from([0, len(ids) + 1]), label="batch")
        return data.draw(st.sampled_from(ids), label="batch")

    def _draw_serials(self, data: st.DataObject, batch: int) -> tuple[int, int, int]:
        """(first, last, rangeStart hint): mostly serials that exist, often spanning several
        ranges, sometimes reversed, running outside the batch, or with a wrong hint."""
        m = self.model
        if batch not in m.batches:
            first = data.draw(st.integers(0, SERIAL_MAX), label="first")
            return first, first + data.draw(st.integers(0, 10), label="len"), first
        ranges = m.ranges(batch)
        b = m.batch(batch)
        lo, hi = b.first_serial, b.first_serial + b.quantity - 1
        groups = _held_groups(ranges)
        modes = MOVE_MODES_WITH_GROUPS if groups else MOVE_MODES
        mode = data.draw(st.sampled_from(modes), label="serials")
        if mode == "run" and groups:  # across one holder's adjacent ranges: a spanning move
            group = data.draw(st.sampled_from(groups), label="adjacent ranges")
            i = data.draw(st.integers(0, len(group) - 2), label="from range")
            j = data.draw(st.integers(i + 1, len(group) - 1), label="to range")
            first = data.draw(st.integers(group[i][0], group[i][1]), label="first")
            last = data.draw(st.integers(group[j][0], group[j][1]), label="last")
        elif mode == "edge":
            first = data.draw(st.integers(max(0, lo - 3), hi), label="first")
            last = data.draw(st.integers(max(first, hi - 2), hi + 3), label="last")
        elif mode == "reversed":
            last = data.draw(st.integers(lo, hi), label="last")
            first = last + data.draw(st.integers(1, 5), label="by")
        else:  # "within" or "span"
            i = data.draw(st.integers(0, len(ranges) - 1), label="range")
            j = i if mode != "span" else min(len(ranges) - 1, i + data.draw(st.integers(1, 3)))
            first = data.draw(st.integers(ranges[i][0], ranges[i][1]), label="first")
            last = data.draw(st.integers(max(first, ranges[j][0]), ranges[j][1]), label="last")
        start = m.range_start(batch, first)
        hint = first if start is None else start
        if data.draw(mostly(False, [True], 9), label="wrong hint?"):
            starts = [r[0] for r in ranges]
            hint = data.draw(
                st.sampled_from(sorted({hint, max(0, first - 1), first, lo, *starts})),
                label="hint",
            )
        return first, last, hint

    def _draw_holder_of(self, data: st.DataObject, batch: int, serial: int) -> str:
        """Usually whoever holds ``serial`` (so that the operation can succeed), else anyone."""
        m = self.model
        start = m.range_start(batch, serial) if batch in m.batches else None
        if start is not None and data.draw(mostly(True, [False], 3), label="holder?"):
            holder = next(h for f, _, h, _ in m.ranges(batch) if f == start)
            name = self.env.name_of(holder)
            if name is not None:
                return name
        return data.draw(st.sampled_from(ACTORS), label="actor")

    def _draw_issuer(self, data: st.DataObject, program: int) -> str:
        """Usually an issuer of ``program`` (as the model knows it), else anyone."""
        role = issuer_role(program)
        issuers = [a for a in ACTORS if self.model.has_role(role, self._addr(a))]
        if issuers and data.draw(mostly(True, [False], 4), label="issuer?"):
            return data.draw(st.sampled_from(issuers), label="actor")
        return data.draw(st.sampled_from(ACTORS), label="actor")

    # ------------------------------------------------------------ operations on both sides

    def do_bridge(
        self,
        actor: str,
        program: int,
        key: bytes,
        namespace: str,
        first: int,
        last: int,
        recipient: str,
        vintage: tuple[int, int] = (20200101, 20201231),
        labels: int = 0,
        hint: int | None = None,
    ) -> int | None:
        """Bridge on both sides (``hint``: the model's, unless given); the new batch id."""
        m = self.model
        if hint is None:
            hint = m.part_hint(program, namespace, first)
        to = self._addr(recipient)
        issuance = (
            program,
            key,
            namespace,
            first,
            last,
            _checksum(to),
            vintage[0],
            vintage[1],
            labels,
            METADATA,
            f"REF-{first}",
        )
        batch_id, receipt = self._both(
            "bridge",
            lambda: m.bridge(
                self._addr(actor),
                program_id=program,
                project_key=key,
                namespace=namespace,
                first=first,
                last=last,
                recipient=to,
                vintage_start=vintage[0],
                vintage_end=vintage[1],
                labels=labels,
                part_hint=hint,
            ),
            lambda: self._send(actor, self.env.contract.functions.bridge(issuance, hint)),
        )
        if receipt is not None:
            (bridged,) = _events(receipt, "BatchBridged")
            assert bridged.fields["batchId"] == batch_id
            assert bridged.fields["actor"] == self._addr(actor)
            self._expect_moved(
                receipt, batch_id, ZERO_ADDRESS, to, first, last, RangeState.HELD, self._addr(actor)
            )
            self.touched.add(batch_id)
            self.accounts.add(to)
        return None if batch_id is None else int(batch_id)

    def _hint(self, batch: int, first: int, hint: int | None) -> int:
        """The model's rangeStart hint for ``first`` unless one is given."""
        if hint is not None:
            return hint
        start = self.model.range_start(batch, first) if batch in self.model.batches else None
        return first if start is None else start

    def do_transfer(
        self, actor: str, batch: int, first: int, last: int, to: str, hint: int | None = None
    ) -> bool:
        hint = self._hint(batch, first, hint)
        sender, receiver = self._addr(actor), self._addr(to)
        fn = self.env.contract.functions.transfer(batch, first, last, _checksum(receiver), hint)
        noted = self._note_span("transfer", batch, first, last)
        _, receipt = self._both(
            "transfer",
            lambda: self.model.transfer(sender, batch, first, last, receiver, range_start=hint),
            lambda: self._send(actor, fn),
        )
        noted(receipt)
        self._expect_moved(receipt, batch, sender, receiver, first, last, RangeState.HELD, sender)
        self.touched.add(batch)
        self.accounts |= {sender, receiver}
        return receipt is not None

    def do_retire(
        self,
        actor: str,
        batch: int,
        first: int,
        last: int,
        purpose: Purpose = Purpose.VOLUNTARY,
        hint: int | None = None,
        consumption: tuple[int, int] = (0, 0),
    ) -> bool:
        hint = self._hint(batch, first, hint)
        holder = self._addr(actor)
        request = retirement(
            batchId=batch,
            firstSerial=first,
            lastSerial=last,
            beneficiary="Hilti Corporation",
            purpose=int(purpose),
            jurisdiction="CH",
            consumptionStart=consumption[0],
            consumptionEnd=consumption[1],
            note="offsetting 2024 business travel",
        )
        noted = self._note_span("retire", batch, first, last)
        retirement_id, receipt = self._both(
            "retire",
            lambda: self.model.retire(
                holder, batch, first, last, purpose, range_start=hint, consumption=consumption
            ),
            lambda: self._send(actor, self.env.contract.functions.retire(request, hint)),
        )
        noted(receipt)
        self._expect_moved(receipt, batch, holder, holder, first, last, RangeState.RETIRED, holder)
        if receipt is not None:
            (retired,) = _events(receipt, "CreditsRetired")
            assert retired.fields["retirementId"] == retirement_id
            assert retired.fields["retirement"]["purpose"] == purpose
        self.touched.add(batch)
        self.accounts.add(holder)
        return receipt is not None

    def do_detokenise(
        self, actor: str, batch: int, first: int, last: int, hint: int | None = None
    ) -> bool:
        hint = self._hint(batch, first, hint)
        holder = self._addr(actor)
        fn = self.env.contract.functions.detokenise(batch, first, last, hint, "VCS-DETOK-1")
        noted = self._note_span("detokenise", batch, first, last)
        _, receipt = self._both(
            "detokenise",
            lambda: self.model.detokenise(holder, batch, first, last, range_start=hint),
            lambda: self._send(actor, fn),
        )
        noted(receipt)
        self._expect_moved(
            receipt, batch, holder, holder, first, last, RangeState.DETOKENISED, holder
        )
        self.touched.add(batch)
        self.accounts.add(holder)
        return receipt is not None

    def do_cancel(
        self, actor: str, batch: int, holder: str, first: int, last: int, hint: int | None = None
    ) -> bool:
        hint = self._hint(batch, first, hint)
        owner = self._addr(holder)
        fn = self.env.contract.functions.cancel(batch, _checksum(owner), first, last, hint, "rev")
        noted = self._note_span("cancel", batch, first, last)
        _, receipt = self._both(
            "cancel",
            lambda: self.model.cancel(self._addr(actor), batch, owner, first, last, hint),
            lambda: self._send(actor, fn),
        )
        noted(receipt)
        self._expect_moved(
            receipt, batch, owner, owner, first, last, RangeState.CANCELLED, self._addr(actor)
        )
        self.touched.add(batch)
        self.accounts.add(owner)
        return receipt is not None

    def do_set_account(self, actor: str, who: str, allowed: bool, frozen: bool) -> bool:
        target = self._addr(who)
        fn = self.env.contract.functions.setAccount(_checksum(target), allowed, frozen)
        _, receipt = self._both(
            "set_account",
            lambda: self.model.set_account(self._addr(actor), target, allowed, frozen),
            lambda: self._send(actor, fn),
        )
        self.accounts.add(target)
        return receipt is not None

    def do_set_batch_frozen(self, actor: str, batch: int, frozen: bool) -> bool:
        fn = self.env.contract.functions.setBatchFrozen(batch, frozen)
        _, receipt = self._both(
            "set_batch_frozen",
            lambda: self.model.set_batch_frozen(self._addr(actor), batch, frozen),
            lambda: self._send(actor, fn),
        )
        self.touched.add(batch)
        return receipt is not None

    def do_set_labels(self, actor: str, batch: int, labels: int) -> bool:
        _, receipt = self._both(
            "set_labels",
            lambda: self.model.set_labels(self._addr(actor), batch, labels),
            lambda: self._send(actor, self.env.contract.functions.setLabels(batch, labels)),
        )
        self.touched.add(batch)
        return receipt is not None

    def do_role(self, actor: str, verb: str, role: bytes, who: str) -> None:
        target = self._addr(who)
        fn = getattr(self.env.contract.functions, f"{verb}Role")(role, _checksum(target))
        self._both(
            f"{verb}_role",
            lambda: getattr(self.model, f"{verb}_role")(self._addr(actor), role, target),
            lambda: self._send(actor, fn),
        )

    def do_void(self, actor: str, batch: int, namespace: str, reason: str, hint: int) -> bool:
        m = self.model
        known = m.batches.get(batch)
        holder = known.holdings[0].holder if known and known.untouched else None
        fn = self.env.contract.functions.voidBatch(batch, namespace, hint, reason)
        _, receipt = self._both(
            "void",
            lambda: m.void_batch(
                self._addr(actor), batch, namespace, reason=reason, part_hint=hint
            ),
            lambda: self._send(actor, fn),
        )
        if receipt is not None:
            assert known is not None and holder is not None
            self._expect_moved(
                receipt,
                batch,
                holder,
                holder,
                known.first,
                known.last,
                RangeState.CANCELLED,
                self._addr(actor),
            )
            (voided,) = _events(receipt, "BatchVoided")
            assert (voided.fields["batchId"], voided.fields["reason"]) == (batch, reason)
            self.accounts.add(holder)
        self.touched.add(batch)
        return receipt is not None

    def do_correct(self, actor: str, voided: int, batch: int) -> bool:
        fn = self.env.contract.functions.correctBatch(voided, batch)
        _, receipt = self._both(
            "correct",
            lambda: self.model.correct_batch(self._addr(actor), voided, batch),
            lambda: self._send(actor, fn),
        )
        if receipt is not None:
            (linked,) = _events(receipt, "BatchCorrected")
            f = linked.fields
            assert (f["voidedBatchId"], f["batchId"]) == (voided, batch)
            assert f["actor"].lower() == self._addr(actor)
        return receipt is not None

    def do_recover(
        self, actor: str, lost: str, replacement: str, refs: list[tuple[int, int]]
    ) -> bool:
        m = self.model
        lost_address, new_address = self._addr(lost), self._addr(replacement)
        fn = self.env.contract.functions.recover(
            _checksum(lost_address), _checksum(new_address), refs
        )
        _, receipt = self._both(
            "recover",
            lambda: m.recover(self._addr(actor), lost_address, new_address, refs),
            lambda: self._send(actor, fn),
        )
        if receipt is not None:
            moved = _events(receipt, "SerialsMoved")
            assert [(e.fields["batchId"], e.fields["firstSerial"]) for e in moved] == refs
            for e in moved:
                assert _norm((e.fields["from"], e.fields["to"])) == (lost_address, new_address)
                assert e.fields["state"] == RangeState.HELD
            (recovered,) = _events(receipt, "AccountRecovered")
            assert _norm(recovered.fields["lost"]) == lost_address
        self.touched |= {b for b, _ in refs}
        self.accounts |= {lost_address, new_address}
        return receipt is not None

    def do_use_nonce(self, actor: str) -> int | None:
        nonce, receipt = self._both(
            "use_nonce",
            lambda: self.model.use_nonce(self._addr(actor)),
            lambda: self._send(actor, self.env.contract.functions.useNonce()),
        )
        if receipt is not None:
            (used,) = _events(receipt, "NonceInvalidated")
            assert (used.fields["nonce"], _norm(used.fields["holder"])) == (
                nonce,
                self._addr(actor),
            )
        return None if nonce is None else int(nonce)

    def do_pause(self, op: str, actor: str) -> None:
        fn = getattr(self.env.contract.functions, op)()
        self._both(
            op, lambda: getattr(self.model, op)(self._addr(actor)), lambda: self._send(actor, fn)
        )

    # ------------------------------------------------------------ rules: draw, then do

    @initialize(data=st.data())
    def first_batch(self, data: st.DataObject) -> None:
        RUN["steps"] += 1
        self._bridge(data, faults=())

    @rule(data=st.data())
    def bridge(self, data: st.DataObject) -> None:
        RUN["steps"] += 1
        fault = data.draw(mostly(None, [*BRIDGE_FAULTS, "several"], 10), label="fault")
        if fault == "several":
            faults = tuple(
                data.draw(st.lists(st.sampled_from(BRIDGE_FAULTS), min_size=2, max_size=4))
            )
        else:
            faults = () if fault is None else (fault,)
        self._bridge(data, faults)

    def _bridge(self, data: st.DataObject, faults: tuple[str, ...]) -> None:
        """A valid bridging, then the ``faults`` injected into it."""
        m = self.model
        program = data.draw(st.sampled_from([VCS, GS]), label="program")
        role = issuer_role(program)
        issuers = [a for a in ACTORS if m.has_role(role, self._addr(a))]
        actor = data.draw(st.sampled_from(issuers or list(ACTORS)), label="actor")
        key = self.env.project_keys[program]
        namespace = data.draw(st.sampled_from(NAMESPACES), label="namespace")
        parts = m.bridged.get((program, namespace), [])
        if parts and data.draw(st.booleans(), label="adjacent?"):
            a, z = data.draw(st.sampled_from(parts), label="next to")
            if data.draw(st.booleans(), label="after?") or a == 0:
                first = z + 1
                last = first + data.draw(st.integers(0, 30), label="len")
            else:
                last = a - 1
                first = max(0, last - data.draw(st.integers(0, 30), label="len"))
        else:
            first = data.draw(st.integers(0, SERIAL_MAX), label="first")
            last = first + data.draw(st.integers(0, 40), label="len")
        active = [h for h in HOLDERS if self._active(h)]
        recipient = data.draw(st.sampled_from(active or list(HOLDERS)), label="recipient")
        vintage = data.draw(st.sampled_from(GOOD_VINTAGES), label="vintage")
        labels = data.draw(st.integers(0, 15), label="labels")
        hint_fault = paused_here = False
        for fault in faults:
            if fault == "actor":
                actor = data.draw(st.sampled_from([a for a in ACTORS if a not in issuers]))
            elif fault == "program":
                program = UNREGISTERED
            elif fault == "project":
                other = self.env.project_keys[GS if program == VCS else VCS]
                key = data.draw(st.sampled_from([other, UNKNOWN_KEY]))
            elif fault == "namespace":
                namespace = data.draw(st.sampled_from(BAD_NAMESPACES))
            elif fault == "range":
                first, last = data.draw(st.sampled_from(BAD_RANGES))
            elif fault == "vintage":
                vintage = data.draw(st.sampled_from(BAD_VINTAGES))
            elif fault == "labels":
                labels = data.draw(st.sampled_from([16, 0x8000, 0xFFFF]))
            elif fault == "recipient":
                inactive = [h for h in HOLDERS if not self._active(h)]
                recipient = data.draw(st.sampled_from(inactive or ["outsider"]))
            elif fault == "overlap":
                taken = m.bridged.get((program, namespace), [])
                if taken:
                    a, z = data.draw(st.sampled_from(taken), label="overlapping")
                    first = data.draw(st.integers(max(0, a - 10), z), label="first")
                    last = data.draw(st.integers(max(first, a), z + 10), label="last")
            elif fault == "hint":
                hint_fault = True
            elif fault == "paused" and not m.paused:
                self.do_pause("pause", "admin")  # for this bridging only, see below
                paused_here = True
        hint = None
        if hint_fault:
            hint = data.draw(st.sampled_from([0, 1, *m.part_positions()]), label="hint")
        self.do_bridge(
            actor, program, key, namespace, first, last, recipient, vintage, labels, hint
        )
        if paused_here:
            self.do_pause("unpause", "admin")

    @precondition(lambda self: self.model.batches)
    @rule(data=st.data())
    def transfer(self, data: st.DataObject) -> None:
        RUN["steps"] += 1
        batch = self._draw_batch(data)
        first, last, hint = self._draw_serials(data, batch)
        actor = self._draw_holder_of(data, batch, first)
        to = data.draw(st.sampled_from([actor, *HOLDERS, actor]), label="to")  # self: refused
        self.do_transfer(actor, batch, first, last, to, hint)

    @precondition(lambda self: self.model.batches)
    @rule(data=st.data())
    def retire(self, data: st.DataObject) -> None:
        RUN["steps"] += 1
        batch = self._draw_batch(data)
        first, last, hint = self._draw_serials(data, batch)
        actor = self._draw_holder_of(data, batch, first)
        purpose = data.draw(st.sampled_from(PURPOSES), label="purpose")
        period = data.draw(mostly((0, 0), [(20240101, 20241231), (0, 20241231)], 4), label="period")
        if data.draw(mostly(False, [True], 9), label="bad period?"):
            period = data.draw(st.sampled_from(BAD_PERIODS), label="period")
        self.do_retire(actor, batch, first, last, purpose, hint, period)

    @precondition(lambda self: self.model.batches)
    @rule(data=st.data())
    def detokenise(self, data: st.DataObject) -> None:
        RUN["steps"] += 1
        batch = self._draw_batch(data)
        first, last, hint = self._draw_serials(data, batch)
        self.do_detokenise(self._draw_holder_of(data, batch, first), batch, first, last, hint)

    @precondition(lambda self: self.model.batches)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        RUN["steps"] += 1
        batch = self._draw_batch(data)
        first, last, hint = self._draw_serials(data, batch)
        holder = self._draw_holder_of(data, batch, first)
        if data.draw(mostly(False, [True], 9), label="nobody?"):  # see test_cancel_for_the_zero_*
            holder = "nobody"
        program = self.model.batches[batch].program_id if batch in self.model.batches else VCS
        self.do_cancel(self._draw_issuer(data, program), batch, holder, first, last, hint)

    @rule(data=st.data())
    def governance(self, data: st.DataObject) -> None:
        RUN["steps"] += 1
        op = data.draw(st.sampled_from(GOVERNANCE), label="op")
        m = self.model
        if op in ("pause", "unpause"):
            self.do_pause(op, data.draw(mostly("admin", ["alice"], 3), label="actor"))
        elif op == "set_account":
            actor = data.draw(mostly("admin", ["alice", "issuer"], 5), label="actor")
            who = data.draw(st.sampled_from(ACCOUNT_TARGETS), label="who")
            allowed, frozen = data.draw(st.sampled_from(ACCOUNT_FLAGS), label="allowed, frozen")
            self.do_set_account(actor, who, allowed, frozen)
        elif op == "set_batch_frozen":
            actor = data.draw(mostly("admin", ["issuer"], 5), label="actor")
            batch = self._draw_batch(data)
            self.do_set_batch_frozen(actor, batch, data.draw(st.booleans(), label="frozen"))
        elif op == "set_labels":
            batch = self._draw_batch(data)
            program = m.batches[batch].program_id if batch in m.batches else VCS
            actor = self._draw_issuer(data, program)
            labels = data.draw(
                st.one_of(st.integers(0, 15), st.sampled_from([16, 0x8000])), label="labels"
            )
            self.do_set_labels(actor, batch, labels)
        else:
            actor = data.draw(mostly("admin", ["issuer"], 4), label="actor")
            verb = data.draw(st.sampled_from(["grant", "revoke", "grant"]), label="verb")
            role = issuer_role(data.draw(st.sampled_from([VCS, GS]), label="programme"))
            who = data.draw(st.sampled_from(["issuer", "gs_issuer", "alice"]), label="who")
            self.do_role(actor, verb, role, who)

    @precondition(lambda self: self.model.paused)
    @rule()
    def unpause(self) -> None:
        """Pauses would otherwise last for most of a sequence."""
        RUN["steps"] += 1
        self.do_pause("unpause", "admin")

    # ------------------------------------------------------------ rules: correction, labels

    def _draw_admin(self, data: st.DataObject, program: int) -> str:
        """Usually an admin of ``program`` (as the model knows it), else anyone."""
        role = program_admin_role(program)
        admins = [a for a in ACTORS if self.model.has_role(role, self._addr(a))]
        if admins and data.draw(mostly(True, [False], 4), label="programme admin?"):
            return data.draw(st.sampled_from(admins), label="actor")
        return data.draw(st.sampled_from(ACTORS), label="actor")

    @precondition(lambda self: self.model.batches)
    @rule(data=st.data())
    def void(self, data: st.DataObject) -> None:
        """A programme admin voids a batch: mostly one still untouched (voidable), else any."""
        RUN["steps"] += 1
        m = self.model
        untouched = [b for b in m.batch_ids() if m.batches[b].untouched]
        if untouched and data.draw(mostly(True, [False], 3), label="untouched?"):
            batch = data.draw(st.sampled_from(untouched), label="batch")
        else:
            batch = self._draw_batch(data)
        known = m.batches.get(batch)
        program = known.program_id if known else VCS
        actor = self._draw_admin(data, program)
        namespace = known.namespace if known else NAMESPACES[0]
        if data.draw(mostly(False, [True], 9), label="other namespace?"):
            namespace = data.draw(st.sampled_from([*NAMESPACES, *BAD_NAMESPACES[:3]]), label="ns")
        reason = data.draw(mostly("bridged to the wrong recipient", [""], 12), label="reason")
        hint = m.part_hint(program, namespace, known.first) if known else 0
        if data.draw(mostly(False, [True], 9), label="wrong hint?"):
            hint = data.draw(st.sampled_from([0, 1, *m.part_positions()]), label="hint")
        self.do_void(actor, batch, namespace, reason, hint)

    @precondition(lambda self: any(b.voided for b in self.model.batches.values()))
    @rule(data=st.data())
    def correct(self, data: st.DataObject) -> None:
        """The voided serials bridged again (all of them, or a part), then the programme
        admin links the voided batch to its replacement; sometimes the wrong batches or
        actor."""
        RUN["steps"] += 1
        m = self.model
        voided = [b for b in m.batch_ids() if m.batches[b].voided]
        old = data.draw(st.sampled_from(voided), label="voided")
        v = m.batches[old]
        first = data.draw(st.integers(v.first, v.last), label="first")
        last = data.draw(st.integers(first, v.last), label="last")
        role = issuer_role(v.program_id)
        issuers = [a for a in ACTORS if m.has_role(role, self._addr(a))]
        active = [h for h in HOLDERS if self._active(h)]
        new = self.do_bridge(
            data.draw(st.sampled_from(issuers or list(ACTORS)), label="issuer"),
            v.program_id,
            self.env.project_keys[v.program_id],
            v.namespace,
            first,
            last,
            data.draw(st.sampled_from(active or list(HOLDERS)), label="recipient"),
            data.draw(st.sampled_from(GOOD_VINTAGES), label="vintage"),
        )
        if new is None or data.draw(mostly(False, [True], 6), label="wrong replacement?"):
            new = data.draw(st.sampled_from([*m.batch_ids(), len(m.batches) + 1]), label="new")
        if data.draw(mostly(False, [True], 9), label="not voided?"):
            old = data.draw(st.sampled_from(m.batch_ids()), label="old")
        self.do_correct(self._draw_admin(data, v.program_id), old, new)

    @precondition(lambda self: self.model.batches)
    @rule(data=st.data())
    def recover(self, data: st.DataObject) -> None:
        """Compliance freezes a holder that lost its key (mostly), then moves ranges of its,
        named by (batch, start), to an allowlisted replacement; sometimes a range that is not
        its, a start inside a range, an unknown batch, a range named twice."""
        RUN["steps"] += 1
        m = self.model
        holding = [h for h in HOLDERS if any(m.balance_of(self._addr(h), b) for b in m.batch_ids())]
        lost = data.draw(st.sampled_from(holding or list(HOLDERS)), label="lost")
        lost_address = self._addr(lost)
        if data.draw(mostly(True, [False], 6), label="freeze first?"):
            self.do_set_account("admin", lost, True, True)
        owned = [
            (b, first)
            for b in m.batch_ids()
            for first, _, holder, state in m.ranges(b)
            if holder == lost_address and state == RangeState.HELD
        ]
        refs: list[tuple[int, int]] = (
            data.draw(st.lists(st.sampled_from(owned), unique=True, max_size=4), label="refs")
            if owned
            else []
        )
        if not owned or data.draw(mostly(False, [True], 6), label="bad ref?"):
            anywhere = [(b, r[0]) for b in m.batch_ids() for r in m.ranges(b)]
            bad = data.draw(
                st.sampled_from(
                    [
                        *(refs[:1] * 2),  # named twice
                        *((b, s + 1) for b, s in anywhere[:3]),  # inside a range, or past it
                        *anywhere[:3],  # maybe another holder's, maybe spent
                        (len(m.batches) + 1, 0),  # an unknown batch
                        (m.batch_ids()[0], 0),
                    ]
                ),
                label="bad ref",
            )
            refs = [*refs, bad]
        others = [h for h in HOLDERS if h != lost and self._active(h)]
        replacement = data.draw(st.sampled_from(others or list(HOLDERS)), label="replacement")
        actor = data.draw(mostly("admin", ["alice", "issuer"], 6), label="actor")
        self.do_recover(actor, lost, replacement, refs)
        if data.draw(mostly(True, [False], 3), label="unfreeze after?"):
            self.do_set_account("admin", lost, True, False)

    @rule(data=st.data())
    def use_nonce(self, data: st.DataObject) -> None:
        """Anyone withdraws its next signature nonce, paused or not."""
        RUN["steps"] += 1
        self.do_use_nonce(data.draw(st.sampled_from(ACTORS), label="actor"))

    @precondition(lambda self: self.model.batches)
    @rule(data=st.data())
    def label_and_retire(self, data: st.DataObject) -> None:
        """The programme admin sets a batch's labels (the gated combinations, mostly), then a
        holder retires from it for CORSIA, Article 6 or voluntary use: the model decides
        whether the labels are enough for the purpose and the batch's vintage."""
        RUN["steps"] += 1
        m = self.model
        batch = self._draw_batch(data)
        program = m.batches[batch].program_id if batch in m.batches else VCS
        corsia, a6 = int(Label.CORSIA_ELIGIBLE), int(Label.ARTICLE6_AUTHORISED)
        adjustment = int(Label.CORRESPONDING_ADJUSTMENT)
        labels = data.draw(
            st.sampled_from([corsia | adjustment, corsia, a6, a6 | adjustment, 0, 15, adjustment]),
            label="labels",
        )
        self.do_set_labels(self._draw_admin(data, program), batch, labels)
        first, last, hint = self._draw_serials(data, batch)
        holder = self._draw_holder_of(data, batch, first)
        purpose = data.draw(
            st.sampled_from([Purpose.CORSIA, Purpose.ARTICLE6, Purpose.VOLUNTARY]),
            label="purpose",
        )
        self.do_retire(holder, batch, first, last, purpose, hint)

    # ------------------------------------------------------------ the chain equals the model

    @invariant()
    def chain_equals_model(self) -> None:
        self.clean = False
        self.check_chain(full=FULL_CHECK == "1")
        self.touched.clear()
        self.accounts.clear()
        self.clean = True

    def check_chain(self, *, full: bool, client_view: bool = False) -> None:
        m = self.model
        m.check_invariants()
        latest = self.env.w3.eth.block_number
        ids = m.batch_ids()
        touched = sorted(self.touched & set(ids))
        ranged = ids if full else touched
        if client_view:  # the end of a sequence: every flag and every balance too
            flagged = sorted(self.env.address.values())
            balances = [(a, b) for b in ids for a in flagged]
        else:
            flagged = sorted(self.accounts)
            balances = [(a, b) for b in touched for a in flagged]
        calls: list[tuple[str, list[Any]]] = [
            ("batchCount", []),
            ("retirementCount", []),
            ("paused", []),
            ("auditSeq", []),
            ("auditHead", []),
            *[("batch", [b]) for b in ids],
            *[("rangesFrom", [b, m.batch(b).first_serial, len(m.ranges(b)) + 1]) for b in ranged],
            *[("accountStatus", [a]) for a in flagged],
            *[("balanceOf", [a, b]) for a, b in balances],
            *[("batchVoided", [b]) for b in ids],
            *[("nonces", [a]) for a in self.env.address.values()],
        ]
        out = iter(read_many(self.env.w3, self.env.contract.address, calls))
        (count,), (retirements,), (paused,), (seq,), (head,) = (next(out) for _ in range(5))
        assert count == len(ids), f"batchCount {count}, model {len(ids)}"
        assert retirements == m.retirement_count
        assert paused == m.paused
        bridged = accounted = 0
        for b in ids:
            ((program, labels, frozen, first, quantity, retired, detok, cancelled, vintage),) = (
                next(out)
            )
            t = m.batch(b)
            assert (program, labels, frozen, first, quantity, retired, detok, cancelled) == (
                t.program_id,
                t.labels,
                t.frozen,
                t.first_serial,
                t.quantity,
                t.retired,
                t.detokenised,
                t.cancelled,
            ), f"batch {b} record differs"
            assert unpack_date(vintage) == t.vintage_start, f"batch {b} vintage differs"
            assert quantity == t.held + retired + detok + cancelled, f"batch {b} not conserved"
            bridged += quantity
            accounted += t.held + retired + detok + cancelled
        assert bridged == accounted
        for b in ranged:
            starts, rows = next(out)
            chain = [
                (s, last, holder.lower(), RangeState(state))
                for s, (holder, last, state) in zip(starts, rows, strict=True)
            ]
            assert chain == m.ranges(b), f"batch {b} holdings differ"
            per_state = Counter[RangeState]()
            for first, last, _, state in chain:
                assert first <= last
                per_state[state] += last - first + 1
            t = m.batch(b)
            assert sum(per_state.values()) == t.quantity, f"batch {b}: ranges do not tile it"
            assert (
                per_state[RangeState.HELD],
                per_state[RangeState.RETIRED],
                per_state[RangeState.DETOKENISED],
                per_state[RangeState.CANCELLED],
            ) == (t.held, t.retired, t.detokenised, t.cancelled)
        for a in flagged:
            ((allowed, frozen),) = next(out)
            assert (allowed, frozen) == m.account_status(a), f"account {a} flags differ"
        for a, b in balances:
            assert next(out) == (m.balance_of(a, b),), f"balance of {a} in batch {b}"
        for b in ids:
            assert next(out) == (m.batches[b].voided,), f"batch {b}: batchVoided differs"
        for a in self.env.address.values():
            assert next(out) == (m.nonce(a),), f"nonce of {a} differs"

        if latest > self.block:
            logs = self.env.w3.eth.get_logs(
                {
                    "address": self.env.contract.address,
                    "fromBlock": self.block + 1,
                    "toBlock": latest,
                }
            )
            self.audit = recompute(
                ((e.topics, e.data) for e in decode_logs(logs) if e.topics[0] in AUDITED),
                self.audit,
            )
            self.block = latest
        assert self.audit == AuditState(seq, bytes(head)), "audit head differs from the logs"
        assert seq == m.audit_seq, f"auditSeq {seq}, the model expects {m.audit_seq} events"

        if client_view:  # the client's own view of the holdings (pages through rangesFrom)
            for b in ids:
                client = self.env.clients["admin"]
                got = [(r.first, r.last, r.holder.lower(), r.state) for r in client.ranges(b)]
                assert got == m.ranges(b), f"batch {b}: client.ranges differs"


def _run(env: Env, examples: int) -> None:
    """Run the machine in a fresh thread: under pytest's deep call stack, py-evm's recursion
    crosses a CPython 3.11 frame-stack chunk boundary back and forth, and every crossing is an
    mmap/munmap pair (~850k per 50 steps measured: 4x the run time, mostly in the kernel).
    A new thread starts with a shallow stack of its own."""
    STATS.clear()
    RUN.clear()
    failure: list[BaseException] = []

    def target() -> None:
        try:
            run_state_machine_as_test(
                lambda: LedgerMachine(env),
                settings=settings(
                    max_examples=examples,
                    stateful_step_count=STEPS,
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow],
                    print_blob=True,
                ),
            )
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target, name="stateful-ledger")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    print(
        f"\nstateful: {RUN['sequences']} sequences, {RUN['steps']} steps, "
        f"{RUN['operations']} operations on both sides"
    )
    for key, n in sorted(STATS.items()) + sorted((k, v) for k, v in RUN.items() if "span" in k):
        print(f"  {key}: {n}")


# ---------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def embedded() -> Env:
    return embedded_env()


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """client.ranges() reads rangesFrom 1000 ranges a page: ~0.2 s a call on py-evm, and the
    paging loop never runs on batches this small. Pages of 3 make it cheap and exercised."""
    monkeypatch.setattr(chain.client, "_RANGE_PAGE", 3)


@pytest.mark.usefixtures("small_pages")
def test_ledger_matches_model(embedded: Env) -> None:
    if RPC == "anvil":
        pytest.skip("CARBON_LEDGER_STATEFUL_RPC=anvil: test_ledger_matches_model_on_anvil runs")
    _run(embedded, EXAMPLES)


@pytest.mark.usefixtures("small_pages")
def test_scripted_sequence_matches_model(embedded: Env) -> None:
    """Splits, moves spanning several ranges, and refusals, on purpose (random sequences find
    them less often), each checked in full against the model."""
    m = LedgerMachine(embedded)
    vcs, gs = embedded.project_keys[VCS], embedded.project_keys[GS]

    def check() -> None:
        m.check_chain(full=True, client_view=True)
        m.touched.clear()
        m.accounts.clear()
        m.clean = True

    def ok(done: bool | int | None) -> None:
        assert done, f"refused: {m.last_error}"
        check()

    def refused(done: bool | int | None, error: str) -> None:
        assert not done and m.last_error == error, m.last_error
        check()

    def holders(batch: int) -> list[tuple[int, int, str, RangeState]]:
        names = {a: n for n, a in embedded.address.items()}
        return [(f, z, names[h], state) for f, z, h, state in m.model.ranges(batch)]

    held, retired = RangeState.HELD, RangeState.RETIRED
    try:
        ok(m.do_bridge("issuer", VCS, vcs, "NS-A", 1, 100, "alice"))
        refused(m.do_transfer("alice", 1, 30, 40, "alice"), "SelfTransfer")
        ok(m.do_transfer("alice", 1, 30, 40, "carol"))
        ok(m.do_transfer("carol", 1, 30, 40, "alice"))  # back again: splits, never merges
        assert len(holders(1)) == 3
        ok(m.do_transfer("alice", 1, 20, 60, "bob"))  # spans all three of Alice's ranges
        assert holders(1) == [
            (1, 19, "alice", held),
            (20, 60, "bob", held),
            (61, 100, "alice", held),
        ]
        ok(m.do_transfer("bob", 1, 45, 50, "carol"))
        ok(m.do_transfer("carol", 1, 45, 50, "bob"))
        refused(m.do_retire("bob", 1, 40, 55, Purpose.CORSIA), "LabelRequired")
        ok(m.do_set_labels("admin", 1, int(Label.CORSIA_ELIGIBLE)))
        ok(m.do_retire("bob", 1, 40, 55, Purpose.CORSIA))  # spans three of Bob's ranges
        assert (40, 55, "bob", retired) in holders(1)
        refused(m.do_transfer("bob", 1, 30, 58, "carol"), "InsufficientCredits")  # retired 40-55
        ok(m.do_detokenise("bob", 1, 56, 60))
        ok(m.do_transfer("alice", 1, 70, 80, "carol"))
        ok(m.do_transfer("carol", 1, 70, 80, "alice"))
        ok(m.do_cancel("admin", 1, "alice", 65, 90))  # spans three of Alice's ranges
        refused(m.do_cancel("gs_issuer", 1, "alice", 91, 91), "AccessControlUnauthorizedAccount")
        refused(m.do_transfer("alice", 1, 95, 99, "bob", hint=92), "InvalidRangeHint")
        refused(m.do_transfer("alice", 1, 99, 101, "bob"), "InsufficientCredits")  # past the end
        refused(m.do_transfer("alice", 1, 99, 98, "bob", hint=77), "InvalidSerialRange")
        # An issuer cancels only what it holds; the programme's admin, what anyone holds.
        refused(m.do_cancel("issuer", 1, "nobody", 91, 91), "AccessControlUnauthorizedAccount")
        refused(m.do_cancel("admin", 1, "nobody", 91, 91), "InsufficientCredits")
        refused(m.do_set_account("admin", "nobody", True, False), "InvalidAccount")
        refused(
            m.do_retire("alice", 1, 91, 91, consumption=(20241231, 20240101)),
            "InvalidConsumptionPeriod",
        )
        ok(m.do_set_account("admin", "carol", True, True))
        refused(m.do_transfer("alice", 1, 95, 99, "carol"), "AccountFrozen")
        ok(m.do_set_batch_frozen("admin", 1, True))
        refused(m.do_transfer("alice", 1, 95, 99, "carol"), "BatchFrozen")
        ok(m.do_cancel("admin", 1, "alice", 95, 99))  # freezes do not block a cancellation
        ok(m.do_set_batch_frozen("admin", 1, False))
        ok(m.do_set_account("admin", "carol", True, False))
        ok(m.do_retire("alice", 1, 91, 91, consumption=(0, 20241231)))

        refused(m.do_bridge("issuer", VCS, vcs, "NS-A", 100, 120, "bob"), "SerialsAlreadyBridged")
        ok(m.do_bridge("issuer", VCS, vcs, "NS-A", 101, 120, "bob"))  # adjacent
        ok(m.do_bridge("issuer", VCS, vcs, "NS-B", 1, 100, "bob"))  # another namespace
        ok(m.do_bridge("gs_issuer", GS, gs, "NS-A", 1, 100, "carol"))  # another programme
        refused(m.do_bridge("issuer", VCS, vcs, "NS-A", 0, 200, "bob"), "SerialsAlreadyBridged")
        refused(
            m.do_bridge("issuer", VCS, vcs, "NS-A", 150, 160, "bob", hint=0), "InvalidBridgeHint"
        )
        refused(
            m.do_bridge("gs_issuer", VCS, vcs, "NS-A", 150, 160, "bob"),
            "AccessControlUnauthorizedAccount",
        )
        refused(m.do_bridge("issuer", VCS, gs, "NS-A", 150, 160, "bob"), "UnknownProject")
        ok(m.do_bridge("issuer", VCS, vcs, "NS-A", 121, 121, "carol"))
        assert m.model.batch_ids() == [1, 2, 3, 4, 5]
    finally:
        m.teardown()


@pytest.mark.usefixtures("small_pages")
def test_scripted_correction_matches_model(embedded: Env) -> None:
    """Void, re-bridge and correct; recover a lost key; withdraw a nonce; labels that gate a
    CORSIA first-phase and an Article 6 retirement: each step and refusal checked in full."""
    m = LedgerMachine(embedded)
    vcs = embedded.project_keys[VCS]
    corsia, a6 = int(Label.CORSIA_ELIGIBLE), int(Label.ARTICLE6_AUTHORISED)
    adjustment = int(Label.CORRESPONDING_ADJUSTMENT)
    first_phase = (20210101, 20211231)

    def check() -> None:
        m.check_chain(full=True, client_view=True)
        m.touched.clear()
        m.accounts.clear()
        m.clean = True

    def ok(done: bool | int | None) -> None:
        assert done is not None and done is not False, f"refused: {m.last_error}"
        check()

    def refused(done: bool | int | None, error: str) -> None:
        assert not done and m.last_error == error, m.last_error
        check()

    def hint(batch: int) -> int:
        b = m.model.batches[batch]
        return m.model.part_hint(b.program_id, b.namespace, b.first)

    try:
        ok(m.do_bridge("issuer", VCS, vcs, "NS-A", 1, 100, "alice", first_phase))
        ok(m.do_bridge("issuer", VCS, vcs, "NS-A", 101, 150, "bob", first_phase))
        # Void: only the programme's admin, with a reason, the batch's own namespace and part.
        refused(
            m.do_void("issuer", 1, "NS-A", "wrong recipient", hint(1)),
            "AccessControlUnauthorizedAccount",
        )
        refused(m.do_void("admin", 1, "NS-A", "", hint(1)), "TextBlank")
        refused(m.do_void("admin", 1, "NS-B", "wrong recipient", hint(1)), "InvalidNamespace")
        refused(m.do_void("admin", 2, "NS-A", "wrong recipient", 0), "InvalidBridgeHint")
        ok(m.do_transfer("bob", 2, 101, 101, "carol"))
        refused(m.do_void("admin", 2, "NS-A", "wrong recipient", hint(2)), "BatchNotVoidable")
        ok(m.do_void("admin", 1, "NS-A", "wrong recipient", hint(1)))
        refused(m.do_void("admin", 1, "NS-A", "again", 0), "BatchNotVoidable")
        # The serials are free again: bridged correctly, then linked.
        refused(m.do_correct("admin", 2, 1), "BatchNotVoided")
        ok(m.do_bridge("issuer", VCS, vcs, "NS-A", 1, 100, "carol", first_phase))
        refused(m.do_correct("admin", 1, 1), "BatchNotVoidable")
        refused(m.do_correct("issuer", 1, 3), "AccessControlUnauthorizedAccount")
        ok(m.do_correct("admin", 1, 3))
        # Labels gate: CORSIA first phase needs the adjustment, Article 6 both.
        ok(m.do_set_labels("admin", 3, corsia))
        refused(m.do_retire("carol", 3, 1, 10, Purpose.CORSIA), "LabelRequired")
        ok(m.do_set_labels("admin", 3, a6))
        refused(m.do_retire("carol", 3, 1, 10, Purpose.ARTICLE6), "LabelRequired")
        ok(m.do_set_labels("admin", 3, corsia | a6 | adjustment))
        ok(m.do_retire("carol", 3, 1, 10, Purpose.CORSIA))
        ok(m.do_retire("carol", 3, 11, 20, Purpose.ARTICLE6))
        refused(m.do_set_labels("admin", 3, 0), "LabelsLocked")
        # A lost key: compliance freezes it, then moves its ranges to the new account.
        refused(m.do_recover("admin", "carol", "alice", [(3, 21)]), "AccountNotFrozen")
        ok(m.do_set_account("admin", "carol", True, True))
        refused(
            m.do_recover("alice", "carol", "alice", [(3, 21)]), "AccessControlUnauthorizedAccount"
        )
        refused(m.do_recover("admin", "carol", "alice", [(3, 21), (3, 22)]), "InvalidSerialRange")
        refused(m.do_recover("admin", "carol", "alice", [(3, 21), (3, 21)]), "InsufficientCredits")
        refused(m.do_recover("admin", "carol", "alice", [(3, 1)]), "InsufficientCredits")
        refused(m.do_recover("admin", "carol", "outsider", [(3, 21)]), "AccountNotAllowed")
        ok(m.do_recover("admin", "carol", "alice", [(3, 21), (2, 101)]))
        assert m.model.balance_of(embedded.address["carol"], 3) == 0
        # Nonces: anyone, while paused too.
        assert m.do_use_nonce("alice") == 0
        m.do_pause("pause", "admin")
        assert m.do_use_nonce("alice") == 1
        refused(m.do_void("admin", 2, "NS-A", "paused", hint(2)), "EnforcedPause")
        m.do_pause("unpause", "admin")
        check()
    finally:
        m.teardown()


@pytest.fixture(scope="module")
def anvil() -> Iterator[Env]:
    if RPC != "anvil":
        pytest.skip("set CARBON_LEDGER_STATEFUL_RPC=anvil to run the state machine on anvil")
    data_dir = Path(tempfile.mkdtemp(prefix="carbon-ledger-stateful-"))
    try:
        env, stop = anvil_env(data_dir)
        try:
            yield env
        finally:
            stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.mark.anvil
@pytest.mark.usefixtures("small_pages")
def test_ledger_matches_model_on_anvil(anvil: Env) -> None:
    _run(anvil, EXAMPLES)


# ---------------------------------------------------------------- regressions: contract bugs
#
# Found by this module's model; each was an xfail(strict) test until CarbonLedger.sol was fixed.
# - cancel() with holder == address(0) skipped every holdings check (_move() reads from == 0 as
#   a bridging): an issuer could count other people's live serials as cancelled, store Cancelled
#   ranges outside the batch, and overwrite a retired range (rangesFrom then reverted and
#   balanceOf ran out of gas).
# - nothing checked that a programme was registered: with issuerRole(0) granted, bridge() under
#   programId 0 passed the project check for any key (_projectPrograms[key] == 0 == programId)
#   and stored a batch that _batch() reports as UnknownBatch, its serials used up for good.


def _range_tuples(ranges: list[HoldingRange]) -> list[tuple[int, int, str, RangeState]]:
    return [(r.first, r.last, r.holder.lower(), r.state) for r in ranges]


def _cancel_for_nobody(ledger: Ledger, first: int, last: int, hint: int) -> ContractError | None:
    """The VCS programme admin cancels ``first..last`` of batch 1 "held by" the zero address."""
    fn = ledger.admin.contract.functions.cancel(1, ZERO_ADDRESS, first, last, hint, "reversal")
    try:
        ledger.admin.sender.transact(fn)  # type: ignore[union-attr]
    except ContractError as exc:
        return exc
    return None


def _range_at(ledger: Ledger, batch: int, start: int) -> RangeState:
    return RangeState(ledger.admin.contract.functions.rangeAt(batch, start).call()[2])


def test_cancel_for_the_zero_address_is_refused_within_the_batch(ledger: Ledger) -> None:
    """Was: Alice kept serials 10-20 live while the batch counted 11 of them cancelled
    (bridged 100 != held 100 + cancelled 11), a hidden Cancelled entry at rangeAt(1, 10)."""
    ledger.issuer.bridge(ledger.issuance(1, 100))
    before = _range_tuples(ledger.admin.ranges(1))
    refused = _cancel_for_nobody(ledger, 10, 20, 1)
    assert isinstance(refused, InsufficientCredits), refused
    assert refused.arguments["holder"].lower() == ZERO_ADDRESS
    b = ledger.admin.batch(1)
    assert _range_tuples(ledger.admin.ranges(1)) == before
    assert b.quantity == ledger.admin.balance_of(ledger.alice.account, 1) + b.cancelled
    assert _range_at(ledger, 1, 10) == RangeState.NONE


def test_cancel_for_the_zero_address_cannot_rewrite_a_retirement(ledger: Ledger) -> None:
    """Was: Alice's retired 1-10 became "1-5 cancelled by 0x0", and the ranges no longer tiled
    the batch (rangesFrom reverted InvalidRangeHint(1, 6), balanceOf ran out of gas)."""
    from chain.domain import RetirementRequest

    ledger.issuer.bridge(ledger.issuance(1, 100))
    ledger.alice.retire(RetirementRequest(1, 1, 10, "Hilti Corporation"))
    before = _range_tuples(ledger.admin.ranges(1))
    assert isinstance(_cancel_for_nobody(ledger, 1, 5, 1), InsufficientCredits)
    assert _range_tuples(ledger.admin.ranges(1)) == before
    assert (ledger.admin.batch(1).retired, ledger.admin.batch(1).cancelled) == (10, 0)


def test_cancel_for_the_zero_address_is_refused_outside_the_batch(ledger: Ledger) -> None:
    """Was: a Cancelled range stored for serials 500-699 of batch 1 (serials 1-100), and the
    batch's cancelled total 200 > its quantity (repeated calls could wrap the uint32)."""
    ledger.issuer.bridge(ledger.issuance(1, 100))
    assert isinstance(_cancel_for_nobody(ledger, 500, 699, 500), InsufficientCredits)
    assert ledger.admin.batch(1).cancelled == 0
    assert _range_at(ledger, 1, 500) == RangeState.NONE


def test_bridging_under_an_unregistered_programme_is_refused(ledger: Ledger) -> None:
    """Was: bridged under "programme 0" as a batch nobody could ever read, move or retire."""
    from dataclasses import replace

    ledger.admin.grant_issuer(0, ledger.issuer.account)  # an admin's mistake, nothing more
    with pytest.raises(ContractError) as refused:
        ledger.issuer.register_project(0, Project("1", "x", "ET", "VM0015", "AFOLU"))
    assert refused.value.error_name == "UnknownProgram"
    issuance = replace(ledger.issuance(1, 10), program_id=0, project_key=b"\x42" * 32)
    with pytest.raises(ContractError) as refused:
        ledger.issuer.bridge(issuance)
    assert refused.value.error_name == "UnknownProject"
    assert ledger.admin.batch_count() == 0
