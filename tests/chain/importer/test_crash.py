"""``carbon-ledger import`` killed with SIGKILL partway, again and again, then run to the end:
the chain and the store must be exactly those of an uninterrupted import.

Two data folders, each with its own local anvil, deployed identically and given the same issuer
keys: the reference imports the real Verra and Gold Standard exports in one go; the other is
killed several times per import (each kill lands after the chain's audit sequence passed a
random point of the import), then finishes with the real ``carbon-ledger`` script. Compared:
the audit head and sequence (which hash every event), every batch's totals and holding ranges
through ``LedgerClient``, and the two stores row by row (``diff_stores``; block hashes aside,
as the two chains' blocks carry different timestamps).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from web3 import Web3

from chain.anvil import ensure_running, stop_node
from chain.client import LedgerClient
from chain.deployment import Deployment
from chain.importer.keys import create_keystore, keystore_path
from chain.store.diff import diff_stores
from chain.store.engine import SQLITE_FILE, create_store_engine
from cli.main import main
from tests.chain.importer.support import GS_ISSUANCES, GS_RETIREMENTS, VERRA

pytestmark = pytest.mark.anvil

REPO = Path(__file__).resolve().parents[3]
ENTRY = "tests.chain.importer.crash_entry"
KILLS = 5
KEYS = {program: bytes([n + 1]) * 32 for n, program in enumerate(("VCS", "GS", "CDM"))}
IMPORTS = (
    ["import", "--registry", "vcs", "--issuances", str(VERRA), "--group-size", "4"],
    [
        "import",
        "--registry",
        "gs",
        "--issuances",
        str(GS_ISSUANCES),
        "--retirements",
        str(GS_RETIREMENTS),
        "--group-size",
        "4",
    ],
)


class Runner:
    """The crash_entry fork server: starts ``carbon-ledger`` runs and kills them on demand."""

    def __init__(self, log: Path) -> None:
        self.log = log
        env = dict(os.environ, PYTHONPATH=str(REPO))
        with log.open("ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", ENTRY],
                cwd=REPO,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                bufsize=1,
            )
        assert self._ask(None) == "ready", log.read_text()

    def _ask(self, command: str | None) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if command is not None:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def start(self, argv: list[str]) -> None:
        assert self._ask("run " + json.dumps(argv)).startswith("started "), self.log.read_text()

    def kill(self) -> int:
        answer = self._ask("kill")
        assert answer.startswith("exit "), self.log.read_text()
        return int(answer.split()[1])

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self._ask("quit")
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    monkeypatch.delenv("CARBON_LEDGER_OPERATOR_KEY", raising=False)
    monkeypatch.delenv("CARBON_LEDGER_ISSUER_KEY", raising=False)
    monkeypatch.delenv("CARBON_LEDGER_KEYSTORE_PASSWORD", raising=False)
    reference, crashed = tmp_path / "reference", tmp_path / "crashed"
    try:
        for folder in (reference, crashed):
            assert main(["deploy", "--data-dir", str(folder)]) == 0
            for program, key in KEYS.items():
                create_keystore(keystore_path(folder, program), "", key)
        yield reference, crashed
    finally:
        for folder in (reference, crashed):
            stop_node(folder)


def _client(folder: Path) -> LedgerClient:
    w3 = Web3(Web3.HTTPProvider(ensure_running(folder), request_kwargs={"timeout": 60}))
    return LedgerClient.for_deployment(w3, Deployment.load(folder / "deployment.json"))


def _script() -> list[str]:
    script = Path(sys.executable).with_name("carbon-ledger")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


def _normalised_copy(folder: Path, dest: Path) -> sa.Engine:
    """The folder's store (WAL included) with block hashes blanked."""
    source = sqlite3.connect(folder / SQLITE_FILE)
    copy = sqlite3.connect(dest)
    source.backup(copy)
    copy.execute("UPDATE events SET block_hash = ''")
    copy.commit()
    source.close()
    copy.close()
    return create_store_engine(f"sqlite:///{dest}")


def test_an_import_killed_repeatedly_then_finished_equals_an_uninterrupted_one(
    folders: tuple[Path, Path], tmp_path: Path
) -> None:
    reference, crashed = folders
    ref, mine = _client(reference), _client(crashed)
    assert ref.address == mine.address
    targets = []
    for argv in IMPORTS:
        assert main([*argv, "--data-dir", str(reference), "--json"]) == 0
        targets.append(ref.audit_state().seq)

    rng = random.Random(20260410)
    log = tmp_path / "runs.log"
    runner = Runner(log)
    try:
        for argv, target in zip(IMPORTS, targets, strict=True):
            full = [*argv, "--data-dir", str(crashed)]
            killed_mid_way = 0
            for attempt in range(KILLS):
                before = mine.audit_state().seq
                if before >= target:
                    break
                runner.start(full)
                # Spread the kills over what is left: each lands within the next share of it.
                goal = before + rng.randint(1, max(1, (target - before) // (KILLS - attempt)))
                deadline = time.monotonic() + 30
                while mine.audit_state().seq < goal and time.monotonic() < deadline:
                    time.sleep(0.003)
                time.sleep(rng.uniform(0, 0.02))
                code = runner.kill()
                assert code in (0, -signal.SIGKILL), log.read_text()
                if code != 0 and mine.audit_state().seq < target:
                    killed_mid_way += 1
            assert killed_mid_way >= 3, f"kills did not land mid-import: {log.read_text()[-2000:]}"
            final = subprocess.run(
                [*_script(), *full], cwd=REPO, capture_output=True, text=True, timeout=300
            )
            assert final.returncode == 0, final.stderr
    finally:
        runner.close()

    assert mine.audit_state() == ref.audit_state()
    assert mine.batch_count() == ref.batch_count() == 398
    for batch_id in range(1, ref.batch_count() + 1):
        assert mine.batch(batch_id) == ref.batch(batch_id)
        assert mine.ranges(batch_id) == ref.ranges(batch_id)

    want = _normalised_copy(reference, tmp_path / "want.sqlite3")
    have = _normalised_copy(crashed, tmp_path / "have.sqlite3")
    assert diff_stores(want, have) == []
    want.dispose()
    have.dispose()
    verify = [
        "audit", "verify", "--data-dir", str(crashed), "--registry", "gs",
        "--registry-export", str(GS_ISSUANCES), "--registry-export", str(GS_RETIREMENTS),
    ]  # fmt: skip
    assert main(verify) == 0
