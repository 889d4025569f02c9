"""``carbon-ledger index`` killed with SIGKILL at random moments, again and again, then allowed
to finish: the store must equal one built in a single run (SQLite and PostgreSQL).

The chain: about 2,900 audited events over 200 blocks, made by pipelining signed transactions
with mining paused. The killed runs come from ``tests.chain.indexer.crash_entry``, which forks
one ``cli.main.main(["index", …])`` process per run (imports paid once, so 25 kills cost
seconds, not a minute) and reads one block per ``eth_getLogs``, so every block is a commit
for a kill to land before, inside or after. Kills are timed from the store's checkpoint, spread
over the remaining blocks. The last run is the real ``carbon-ledger`` script."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from web3 import Web3

from chain.anvil import LocalNode
from chain.indexer.core import Indexer
from chain.store import schema as s
from chain.store.diff import diff_stores
from chain.store.engine import open_store
from chain.transactions import NonceManager
from chain.verify import verify, verify_store
from tests.chain.conftest import EngineOpener
from tests.chain.indexer.support import (
    AnvilLedger,
    checkpoint,
    deploy_anvil_ledger,
    pipelined_transfers,
    settle,
    workload,
)

pytestmark = pytest.mark.anvil

REPO = Path(__file__).resolve().parents[3]
KILLS = 25
MAX_SPAN = 1
ENTRY = "tests.chain.indexer.crash_entry"


@dataclass
class BigChain:
    ledger: AnvilLedger
    url: str
    data_dir: Path
    reference: sa.Engine
    head: int
    events: int


@pytest.fixture(scope="module")
def big(
    anvil_node: LocalNode,
    anvil_w3: Web3,
    anvil_nonces: NonceManager,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[BigChain]:
    ledger = deploy_anvil_ledger(anvil_w3, anvil_nonces)
    settle(ledger, workload(ledger, random.Random(31), 12))
    pipelined_transfers(ledger, blocks=200, per_block=10)
    settle(ledger, workload(ledger, random.Random(32), 6))
    data_dir = tmp_path_factory.mktemp("crash-data")
    ledger.deployment.save(data_dir / "deployment.json")
    reference = open_store(f"sqlite:///{data_dir / 'reference.sqlite3'}")
    progress = Indexer(anvil_w3, reference, ledger.deployment, confirmations=0).sync()
    assert progress.events > 2500
    yield BigChain(ledger, anvil_node.url, data_dir, reference, progress.block, progress.events)
    reference.dispose()


def _index_command(big: BigChain, db: str, *, entry: list[str]) -> list[str]:
    return [
        *entry,
        "index",
        "--data-dir",
        str(big.data_dir),
        "--rpc",
        big.url,
        "--db",
        db,
        "--confirmations",
        "0",
    ]


def _script() -> list[str]:
    script = Path(sys.executable).with_name("carbon-ledger")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


class Runner:
    """The crash_entry server: forks ``carbon-ledger index`` runs and kills them on demand."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as err:
            self.proc = subprocess.Popen(
                command,
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

    def start(self) -> None:
        assert self._ask("run").startswith("started "), self.log.read_text()

    def kill(self) -> int:
        """SIGKILL the run unless it finished; its exit code (-9 when killed)."""
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


def test_sigkill_at_random_moments_then_resume_equals_a_single_run(
    big: BigChain, store_url: str, open_engine: EngineOpener, tmp_path: Path, backend: str
) -> None:
    # Migrated up front: a kill inside the very first migration bricks a SQLite store (see
    # tests/chain/store/test_engine.py, the xfail on interrupted migrations).
    engine = open_engine(store_url)
    deploy_block = big.ledger.deployment.deploy_block
    rng = random.Random(f"crash-{backend}")
    env = dict(os.environ, CARBON_LEDGER_TEST_MAX_SPAN=str(MAX_SPAN), PYTHONPATH=str(REPO))
    log = tmp_path / "index.log"
    runner = Runner(_index_command(big, store_url, entry=[sys.executable, "-m", ENTRY]), env, log)
    seen: list[int] = []
    killed_mid_way = checked = 0
    try:
        for attempt in range(KILLS):
            before = _block(engine)
            runner.start()
            if attempt % 4 == 0 or before >= big.head:
                time.sleep(rng.uniform(0.0, 0.12))  # in start-up or the first commits
            else:
                # Spread the kills over the remaining blocks, whatever the machine's speed:
                # wait for the checkpoint to pass a random goal, then kill a moment later,
                # inside the next step's reading, writing or committing.
                share = 2 * (big.head - before) // (KILLS - attempt + 1)
                goal = min(big.head, before + rng.randint(1, max(1, share)))
                deadline = time.monotonic() + 10
                while _block(engine) < goal and time.monotonic() < deadline:
                    time.sleep(0.002)
                time.sleep(rng.uniform(0, 0.02))
            code = runner.kill()
            assert code in (0, -signal.SIGKILL), f"run {attempt} failed: {log.read_text()}"
            block = _block(engine)
            if code != 0 and block < big.head:
                killed_mid_way += 1
                if checked < 2 and block > deploy_block and block not in seen:
                    # What a kill leaves behind is the chain up to the checkpoint, exactly.
                    at, found = verify_store(big.ledger.w3, big.ledger.deployment, engine)
                    assert (at, [d.message for d in found]) == (block, []), f"kill {attempt}"
                    checked += 1
            seen.append(block)
    finally:
        runner.close()

    final = subprocess.run(
        _index_command(big, store_url, entry=_script()),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert final.returncode == 0, final.stderr
    assert f"indexed to block {big.head:,}" in final.stdout

    intermediate = {b for b in seen if deploy_block <= b < big.head}
    assert killed_mid_way >= KILLS * 2 // 3, seen
    assert len(intermediate) >= KILLS // 2, f"kills did not land mid-way: checkpoints {seen}"

    assert diff_stores(big.reference, engine) == []
    want, have = checkpoint(big.reference), checkpoint(engine)
    want.pop("updated_at"), have.pop("updated_at")
    assert have == want
    report = verify(big.ledger.w3, big.ledger.deployment, engine)
    assert report.ok, [d.message for d in report.discrepancies]


def _block(engine: sa.Engine) -> int:
    """The store's checkpoint block; -1 before the first run created it."""
    with engine.connect() as conn:
        block = conn.execute(sa.select(s.checkpoint.c.block_number)).scalar_one_or_none()
    return -1 if block is None else int(block)
