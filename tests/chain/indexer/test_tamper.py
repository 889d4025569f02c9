"""``carbon-ledger audit verify --db``: a tampered store (an edited, deleted or inserted row of
any kind, or an edited checkpoint) exits 1 and its first line names the table and column;
``--json`` says ok false with the discrepancy. An untampered store exits 0. The ``blocks``
rows (the indexer's recent headers, not diffed but checked against the node) are tampered
with in a store built with confirmations, so that it holds several.

Each case indexes the module's busy ledger into a fresh store, tampers with one row, and runs
the command line in-process (``cli.main.main``); one case per backend also runs the real
``carbon-ledger`` script as a subprocess.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from web3 import Web3

from chain.indexer.core import Indexer
from chain.store import schema as s
from chain.transactions import NonceManager
from chain.verify import verify_store
from cli.main import main
from tests.chain.indexer.pool_chain import pool_life
from tests.chain.indexer.support import (
    AnvilLedger,
    bogus_row,
    delete_row,
    deploy_anvil_ledger,
    edit_row,
    insert_row,
    mine,
    pick_row,
    revert,
    rows,
    rpc,
    set_column,
    settle,
    snapshot,
    workload,
)

pytestmark = pytest.mark.anvil

REPO = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Tamper:
    table: str
    action: str  # "edit" | "delete" | "insert"
    column: str | None = None

    @property
    def id(self) -> str:
        return f"{self.action}-{self.table}" + (f"-{self.column}" if self.column else "")


CASES = [
    Tamper("events", "edit", "data"),
    Tamper("batches", "edit", "retired"),
    Tamper("serial_ranges", "edit", "holder"),
    Tamper("retirements", "edit", "beneficiary"),
    Tamper("detokenisations", "edit", "registry_reference"),
    Tamper("cancellations", "edit", "reason"),
    Tamper("accounts", "edit", "frozen"),
    Tamper("roles", "edit", "seq"),
    Tamper("programs", "edit", "code"),
    Tamper("projects", "edit", "name"),
    Tamper("events", "delete"),
    Tamper("serial_ranges", "delete"),
    Tamper("events", "insert"),
    Tamper("retirements", "insert"),
    Tamper("checkpoint", "edit", "audit_head"),
    Tamper("pools", "edit", "supply"),
    Tamper("pools", "edit", "symbol"),
    Tamper("pool_balances", "edit", "units"),
    Tamper("pool_balances", "delete"),
    Tamper("pool_approvals", "edit", "amount"),
    Tamper("pool_list_entries", "edit", "listed"),
    Tamper("pool_unit_moves", "edit", "kind"),
    Tamper("pool_serial_moves", "insert"),
    Tamper("programs", "edit", "unit_grams"),
]

DEEP = 4
"""Confirmations of the store whose ``blocks`` rows are tampered with: it keeps several."""

BLOCK_CASES = [
    Tamper("blocks", "edit", "hash"),
    Tamper("blocks", "edit", "parent_hash"),
    Tamper("blocks", "edit", "timestamp"),
    Tamper("blocks", "delete"),  # the checkpoint's block's row
    Tamper("blocks", "insert"),  # above the checkpoint's block
]


@pytest.fixture(scope="module")
def busy(
    anvil_w3: Web3, anvil_nonces: NonceManager, tmp_path_factory: pytest.TempPathFactory
) -> tuple[AnvilLedger, Path]:
    ledger = deploy_anvil_ledger(anvil_w3, anvil_nonces)
    settle(ledger, workload(ledger, random.Random(61), 25))
    pool_life(ledger)
    data_dir = tmp_path_factory.mktemp("tamper-data")
    ledger.deployment.save(data_dir / "deployment.json")
    return ledger, data_dir


@pytest.fixture
def indexed(busy: tuple[AnvilLedger, Path], store: sa.Engine) -> sa.Engine:
    ledger, _ = busy
    Indexer(ledger.w3, store, ledger.deployment, confirmations=0).sync()
    return store


@pytest.fixture
def deep(busy: tuple[AnvilLedger, Path], store: sa.Engine) -> sa.Engine:
    """The ledger indexed with ``DEEP`` confirmations: ``blocks`` holds the head's block and
    the ``DEEP`` below it (read one by one), so a row can go missing in the middle."""
    ledger, _ = busy
    Indexer(ledger.w3, store, ledger.deployment, confirmations=DEEP).sync()
    head = ledger.w3.eth.block_number
    assert [b["number"] for b in rows(store, s.blocks)] == list(range(head - DEEP, head + 1))
    return store


def _tamper(engine: sa.Engine, case: Tamper) -> str:
    """Apply ``case``; returns the ``field`` audit verify must name."""
    table = s.metadata.tables[case.table]
    if case.action == "edit":
        assert case.column is not None
        edit_row(engine, table, pick_row(engine, table), case.column)
        return case.column
    if case.action == "delete":
        # A blocks row below the checkpoint's may be missing from a true store (mid catch-up,
        # the indexer keeps one per range): the checkpoint's own row may not.
        delete_row(engine, table, pick_row(engine, table, -1 if table is s.blocks else None))
    else:
        insert_row(engine, table, bogus_row(engine, table))
    return "row"


def _verify(
    data_dir: Path, ledger: AnvilLedger, db: str, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str]:
    capsys.readouterr()
    rpc = ledger.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    code = main(["audit", "verify", "--data-dir", str(data_dir), "--rpc", rpc, "--db", db, *extra])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("built", ["indexed", "deep"])
def test_an_untampered_store_verifies(
    busy: tuple[AnvilLedger, Path],
    store_url: str,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
    built: str,
) -> None:
    request.getfixturevalue(built)  # with no confirmations, or several blocks kept
    ledger, data_dir = busy
    code, out = _verify(data_dir, ledger, store_url, capsys)
    assert code == 0, out
    assert out.startswith("ok: audit seq ")
    code, out = _verify(data_dir, ledger, store_url, capsys, "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["discrepancies"] == []
    assert report["store_block"] == ledger.w3.eth.block_number


def test_blocks_the_chain_reorganised_since_are_named(
    busy: tuple[AnvilLedger, Path], store: sa.Engine
) -> None:
    ledger, _ = busy
    w3, head = ledger.w3, ledger.w3.eth.block_number
    before = snapshot(w3)
    mine(w3, 3)
    Indexer(w3, store, ledger.deployment, confirmations=DEEP).sync()
    revert(w3, before)
    again = snapshot(w3)
    try:  # three other blocks on top of ``head``: their timestamps, so their hashes, differ
        rpc(w3, "evm_setNextBlockTimestamp", w3.eth.get_block(head)["timestamp"] + 1_000)
        mine(w3, 3)
        _, found = verify_store(w3, ledger.deployment, store)
    finally:
        revert(w3, again)  # the module's other tests see the chain as it was
    named = [(d.block, d.field) for d in found if d.event == "blocks"]
    assert named == [(head + 1, "hash"), (head + 2, "hash"), (head + 3, "hash")], found
    assert "at that height" in found[-1].message and "reorganised since" in found[-1].message


@pytest.mark.parametrize("case", CASES + BLOCK_CASES, ids=[c.id for c in CASES + BLOCK_CASES])
def test_each_kind_of_tampering_is_named(
    busy: tuple[AnvilLedger, Path],
    store_url: str,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
    case: Tamper,
) -> None:
    ledger, data_dir = busy
    engine = request.getfixturevalue("deep" if case.table == "blocks" else "indexed")
    middle = pick_row(engine, s.blocks)["number"]  # the row _tamper edits
    top = pick_row(engine, s.blocks, -1)["number"]  # the row _tamper deletes
    field = _tamper(engine, case)
    code, out = _verify(data_dir, ledger, store_url, capsys)
    assert code == 1, out
    first = out.splitlines()[0]
    assert first.startswith("FAILED: block ")
    assert f", event {case.table}, field {field}: " in first, first
    assert case.table in first.split(": ", 1)[1] or case.table == "checkpoint"
    if case.table == "blocks":  # named by its number: the edited, deleted or inserted row's
        number = max(b["number"] for b in rows(engine, s.blocks))
        if case.action == "insert":
            assert number > ledger.w3.eth.block_number  # bogus_row: above the checkpoint
        else:
            number = top if case.action == "delete" else middle
        assert first.startswith(f"FAILED: block {number}, "), first
        assert f"blocks row ({number})" in first or f"blocks ({number}).{field}" in first, first


@pytest.mark.parametrize(
    "case",
    [Tamper("batches", "edit", "cancelled"), Tamper("events", "delete")],
    ids=["edit-batches-cancelled", "delete-events"],
)
def test_json_gives_ok_false_with_the_discrepancy(
    busy: tuple[AnvilLedger, Path],
    indexed: sa.Engine,
    store_url: str,
    capsys: pytest.CaptureFixture[str],
    case: Tamper,
) -> None:
    ledger, data_dir = busy
    field = _tamper(indexed, case)
    code, out = _verify(data_dir, ledger, store_url, capsys, "--json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    assert report["audit_seq"] == ledger.admin.audit_state().seq
    first = report["discrepancies"][0]
    assert (first["kind"], first["event"], first["field"]) == ("store", case.table, field)
    assert isinstance(first["block"], int) and first["message"]


def test_a_restored_row_verifies_again(
    busy: tuple[AnvilLedger, Path],
    indexed: sa.Engine,
    store_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ledger, data_dir = busy
    row = pick_row(indexed, s.serial_ranges)
    edit_row(indexed, s.serial_ranges, row, "state")
    assert _verify(data_dir, ledger, store_url, capsys)[0] == 1
    set_column(indexed, s.serial_ranges, row, "state", row["state"])
    assert _verify(data_dir, ledger, store_url, capsys)[0] == 0


def test_the_carbon_ledger_script_exits_1_naming_the_table(
    busy: tuple[AnvilLedger, Path], indexed: sa.Engine, store_url: str
) -> None:
    ledger, data_dir = busy
    _tamper(indexed, Tamper("retirements", "edit", "purpose"))
    script = Path(sys.executable).with_name("carbon-ledger")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "cli"]
    rpc = ledger.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    done = subprocess.run(
        [*command, "audit", "verify", "--data-dir", str(data_dir), "--rpc", rpc, "--db", store_url],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert ", event retirements, field purpose: " in done.stdout.splitlines()[0]


def test_a_checkpoint_claiming_blocks_not_yet_mined_is_named(
    busy: tuple[AnvilLedger, Path],
    indexed: sa.Engine,
    store_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ledger, data_dir = busy
    row = pick_row(indexed, s.checkpoint)
    set_column(indexed, s.checkpoint, row, "block_number", row["block_number"] + 50)
    code, out = _verify(data_dir, ledger, store_url, capsys)
    assert code == 1, out
    assert ", event checkpoint, field block_number: " in out.splitlines()[0]
