"""The data folder's local anvil node (chain.anvil): real anvil processes in tmp folders."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chain.anvil import (
    LocalChain,
    LocalNode,
    NodeOptions,
    ensure_running,
    find_anvil,
    run_foreground,
    start_or_join,
    stop_node,
)
from chain.errors import AnvilNotFound, ChainError, NodeAlreadyRunning, NodeStartError

pytestmark = pytest.mark.anvil

REPO = Path(__file__).resolve().parents[2]
DEV0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # anvil's first dev account (unlocked)
RECIPIENT = "0x000000000000000000000000000000000000bEEF"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def rpc(url: str, method: str, *params: Any) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    request = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
    with _OPENER.open(request, timeout=10) as response:
        reply = json.load(response)
    assert "error" not in reply, reply
    return reply["result"]


def anvils_using(data_dir: Path) -> list[int]:
    """Pids of live anvil processes whose command line points into ``data_dir``."""
    prefix = os.fsencode(data_dir.resolve())
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            args = cmdline.read_bytes().split(b"\0")
            if args[0].endswith(b"anvil") and any(a.startswith(prefix) for a in args):
                pids.append(int(cmdline.parent.name))
    return pids


def record(data_dir: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((data_dir / "chain" / "node.json").read_text())
    return result


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty $HOME, to prove anvil writes nothing there."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def data_dir(tmp_path: Path, home: Path) -> Iterator[Path]:
    """A data folder; afterwards every anvil still running on it is stopped, even on failure."""
    data = tmp_path / "data"
    try:
        yield data
    finally:
        try:
            stop_node(data, timeout=5)
        finally:
            for pid in anvils_using(data):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)


@pytest.fixture
def node(data_dir: Path) -> Iterator[LocalNode]:
    n = LocalNode(data_dir)
    try:
        yield n
    finally:
        n.stop(timeout=5)


def test_start_stop_keeps_files_in_data_folder(node: LocalNode, data_dir: Path, home: Path) -> None:
    url = node.start()
    assert node.is_running()
    assert int(rpc(url, "eth_chainId"), 16) == 31337
    rec = record(data_dir)
    assert rec["pid"] == node.pid and rec["url"] == url and rec["chain_id"] == 31337
    args = Path(f"/proc/{node.pid}/cmdline").read_bytes().decode().split("\0")
    assert Path(args[args.index("--state") + 1]) == data_dir.resolve() / "chain" / "state.json"
    assert Path(args[args.index("--cache-path") + 1]).is_relative_to(data_dir.resolve())
    assert args[args.index("--prune-history") + 1] == "100"
    rpc(url, "anvil_mine", "0x20")  # blocks are what made anvil fill ~/.foundry

    node.stop()
    assert not node.is_running()
    assert not node.record_file.exists()
    assert node.state_file.is_file() and node.state_file.is_relative_to(data_dir.resolve())
    assert json.loads(node.state_file.read_text())["best_block_number"] == 0x20
    assert node.log_file.is_file()
    assert not (home / ".foundry").exists()
    assert list(home.iterdir()) == []


def test_state_survives_restart(node: LocalNode) -> None:
    url = node.start()
    tx = rpc(url, "eth_sendTransaction", {"from": DEV0, "to": RECIPIENT, "value": hex(12345)})
    # Automine mines at once, but under load the receipt can trail the send by a moment.
    deadline = time.monotonic() + 10
    while (receipt := rpc(url, "eth_getTransactionReceipt", tx)) is None:
        assert time.monotonic() < deadline, "no receipt"
        time.sleep(0.05)
    assert receipt["status"] == "0x1"
    block = rpc(url, "eth_blockNumber")
    assert int(block, 16) >= 1
    node.stop()

    url = node.start()
    assert rpc(url, "eth_getBalance", RECIPIENT, "latest") == hex(12345)
    assert rpc(url, "eth_blockNumber") == block
    assert rpc(url, "eth_getTransactionReceipt", tx)["status"] == "0x1"


def test_ensure_running_reuses_the_node(data_dir: Path) -> None:
    url = ensure_running(data_dir)
    pid = record(data_dir)["pid"]
    assert ensure_running(data_dir) == url
    assert record(data_dir)["pid"] == pid
    assert anvils_using(data_dir) == [pid]
    assert int(rpc(url, "eth_chainId"), 16) == 31337

    assert stop_node(data_dir) is True
    assert anvils_using(data_dir) == []
    assert not (data_dir / "chain" / "node.json").exists()
    assert stop_node(data_dir) is False


def test_a_command_knows_the_node_it_started_and_stops_only_that_one(data_dir: Path) -> None:
    started = start_or_join(data_dir)
    pid = record(data_dir)["pid"]
    assert started == LocalChain(record(data_dir)["url"], pid)
    assert start_or_join(data_dir) == LocalChain(started.url, None)  # joined: not its own

    # A node started by another since (the first stopped and restarted) is not this one's.
    assert stop_node(data_dir, pid=pid + 1) is False
    assert anvils_using(data_dir) == [pid]
    assert stop_node(data_dir, pid=pid) is True
    assert anvils_using(data_dir) == []
    assert not (data_dir / "chain" / "node.json").exists()


def test_ensure_running_replaces_a_killed_node(data_dir: Path) -> None:
    ensure_running(data_dir)
    old = record(data_dir)["pid"]
    os.kill(old, signal.SIGKILL)
    os.waitpid(old, 0)  # our child: reap it, as the calling command's exit would

    url = ensure_running(data_dir)
    assert record(data_dir)["pid"] != old
    assert anvils_using(data_dir) == [record(data_dir)["pid"]]
    assert int(rpc(url, "eth_chainId"), 16) == 31337


def test_missing_binary(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARBON_LEDGER_ANVIL", str(tmp_path / "no-such-anvil"))
    with pytest.raises(AnvilNotFound, match="npm ci"):
        find_anvil()
    with pytest.raises(ChainError):
        ensure_running(data_dir)
    assert not (data_dir / "chain" / "node.json").exists()


def test_bad_flag_fails_fast_with_the_log(data_dir: Path) -> None:
    node = LocalNode(data_dir, NodeOptions(extra_args=("--no-such-flag",)))
    with pytest.raises(NodeStartError, match="no-such-flag"):
        node.start(wait_seconds=10)
    assert not node.is_running()
    assert anvils_using(data_dir) == []


def test_run_foreground_refuses_a_second_node(data_dir: Path) -> None:
    ensure_running(data_dir)
    with pytest.raises(NodeAlreadyRunning):
        run_foreground(data_dir)
    with pytest.raises(NodeAlreadyRunning):
        LocalNode(data_dir).start()


def test_run_foreground_forwards_sigint(data_dir: Path) -> None:
    script = "import sys; from pathlib import Path; from chain.anvil import run_foreground; "
    script += f"sys.exit(run_foreground(Path({str(data_dir)!r})))"
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        node_json = data_dir / "chain" / "node.json"
        deadline = time.monotonic() + 30
        while not node_json.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "node never recorded"
            time.sleep(0.05)
        url = record(data_dir)["url"]
        assert ensure_running(data_dir) == url  # other commands share the foreground node
        rpc(url, "anvil_mine", "0x3")

        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0, output.decode()
        assert b"Listening on" in output  # anvil's output went to our stdout
        assert not node_json.exists()
        assert anvils_using(data_dir) == []
        state = json.loads((data_dir / "chain" / "state.json").read_text())
        assert state["best_block_number"] == 3  # dumped on the forwarded SIGINT
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_silent_node_times_out_and_is_stopped(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "anvil"
    fake.write_text("#!/bin/sh\necho 'starting, never listening'\nexec sleep 60\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CARBON_LEDGER_ANVIL", str(fake))
    node = LocalNode(data_dir)
    with pytest.raises(NodeStartError, match="never listening"):
        node.start(wait_seconds=0.5)
    assert not node.is_running()
    assert not (data_dir / "chain" / "node.json").exists()


def test_damaged_state_file_is_reported(data_dir: Path) -> None:
    (data_dir / "chain").mkdir(parents=True)
    (data_dir / "chain" / "state.json").write_text('{"block": {')  # as a kill mid-dump leaves it
    with pytest.raises(NodeStartError, match="state file is damaged"):
        LocalNode(data_dir).start()


def test_concurrent_commands_share_one_node(data_dir: Path) -> None:
    script = "from pathlib import Path; from chain.anvil import ensure_running; "
    script += f"print(ensure_running(Path({str(data_dir)!r})))"
    procs = [
        subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE)
        for _ in range(4)
    ]
    urls = {p.communicate(timeout=60)[0].decode().strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert urls == {record(data_dir)["url"]}
    assert anvils_using(data_dir) == [record(data_dir)["pid"]]  # it outlived its starter
