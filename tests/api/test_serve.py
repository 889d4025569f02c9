"""``carbon-ledger serve``: refusing to start without its secrets, and the whole journey through
a real server on anvil: a registry bridges, a holder transfers and retires, the certificate
renders, an auditor verifies (over HTTP and with ``carbon-ledger audit verify``), and a server
killed with SIGKILL while a transaction is in flight settles it on restart, once. A server
stopped by Ctrl-C, SIGTERM or a failure stops the local chain it started, and only that one.

Every served process and command here sees only the runtime dependencies (what ``make demo``
installs; ``tests._runtime_only``), as a user's does."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chain.anvil import ensure_running, stop_node
from cli.main import main
from tests._runtime_only import runtime_only_env
from tests.api.conftest import issuance_body

REPO = Path(__file__).resolve().parents[2]
ADMIN = "e2e-admin-key-0123456789abcdef"


def test_serve_refuses_to_start_without_its_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ADMIN_KEY", "KEYSTORE_PASSWORD", "OPERATOR_KEY"):
        monkeypatch.delenv(f"CARBON_LEDGER_{name}", raising=False)
    args = ["serve", "--data-dir", str(tmp_path), "--rpc", "http://127.0.0.1:9"]
    assert main(args) == 2
    assert "CARBON_LEDGER_ADMIN_KEY must be set" in capsys.readouterr().err
    monkeypatch.setenv("CARBON_LEDGER_ADMIN_KEY", "dev-admin-key")
    assert main(args) == 2
    assert "development default" in capsys.readouterr().err
    monkeypatch.setenv("CARBON_LEDGER_ADMIN_KEY", ADMIN)
    monkeypatch.setenv("CARBON_LEDGER_KEYSTORE_PASSWORD", "a real password")
    assert main(args) == 2
    assert "CARBON_LEDGER_OPERATOR_KEY must be set" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``carbon-ledger serve --dev`` in a subprocess on a data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = runtime_only_env(self.data_dir.parent / "runtime-only", CARBON_LEDGER_ADMIN_KEY=ADMIN)
        log = (self.data_dir.parent / "serve.log").open("ab")
        self.proc = _spawn_with_default_sigint(
            [
                sys.executable,
                "-m",
                "cli",
                "serve",
                "--dev",
                "--data-dir",
                str(self.data_dir),
                "--port",
                str(self.port),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.data_dir.parent / "serve.log").read_text()
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError("serve did not become ready")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, sig: signal.Signals = signal.SIGINT) -> int | None:
        """Stop the server with ``sig``; its exit code (None if it had to be killed)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                return self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        return self.proc.returncode if self.proc is not None else None

    def log(self) -> str:
        return (self.data_dir.parent / "serve.log").read_text(errors="replace")


def _spawn_with_default_sigint(command: list[str], **options: Any) -> subprocess.Popen[bytes]:
    """A child inherits an ignored SIGINT, and Python then installs no KeyboardInterrupt for
    it: run as a background job of a non-interactive shell (as CI may run it), pytest ignores
    SIGINT. Spawn with the default disposition, as a terminal's Ctrl-C meets it."""
    ignored = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(command, cwd=REPO, **options)
    finally:
        signal.signal(signal.SIGINT, ignored)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "data")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
        stop_node(srv.data_dir)


def _rpc(data_dir: Path, method: str, params: list[Any]) -> Any:
    url = json.loads((data_dir / "chain" / "node.json").read_text())["url"]
    reply = httpx.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    ).json()
    assert "error" not in reply, reply
    return reply["result"]


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``carbon-ledger *args`` as a user runs it, beside the server."""
    return subprocess.run(
        [sys.executable, "-m", "cli", *args, "--data-dir", str(data_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=runtime_only_env(data_dir.parent / "runtime-only"),
        timeout=300,
    )


@pytest.mark.anvil
def test_the_whole_journey_through_a_served_api(server: Server) -> None:
    api = httpx.Client(base_url=server.url, timeout=60)
    admin = {"Authorization": f"Bearer {ADMIN}"}

    def key(role: str, **body: str) -> tuple[dict[str, str], str | None]:
        answer = api.post("/v1/keys", json={"role": role, **body}, headers=admin)
        assert answer.status_code == 201, answer.text
        return {"Authorization": f"Bearer {answer.json()['key']}"}, answer.json()["address"]

    registry, _ = key("issuer", program="VCS")
    buyer, buyer_address = key("holder")
    airline, airline_address = key("holder")
    auditor, _ = key("auditor")

    bridged = api.post("/v1/issuances", json=issuance_body(buyer_address or ""), headers=registry)
    assert bridged.status_code == 201, bridged.text
    batch = bridged.json()["batch_id"]
    moved = api.post(
        "/v1/transfers",
        json={"batch_id": batch, "to": airline_address, "quantity": 200},
        headers=buyer,
    )
    assert moved.status_code == 201, moved.text
    retirement = {
        "batch_id": batch,
        "quantity": 150,
        "beneficiary": "Scandinavian Airlines 北欧航空",
        "purpose": "corsia",
        "consumption_period": {"start": "2025-01-01", "end": "2025-12-31"},
    }
    retired = api.post("/v1/retirements", json=retirement, headers=airline)
    assert retired.status_code == 201, retired.text
    certificate_url = retired.json()["certificate_url"]

    # The indexer beside the API catches up; reads and the certificate show the retirement.
    deadline = time.monotonic() + 30
    while api.get(certificate_url, headers={"Accept": "application/json"}).status_code != 200:
        assert time.monotonic() < deadline, "the indexer did not catch up"
        time.sleep(0.2)
    page = api.get(certificate_url, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "北欧航空" in page.text
    assert retired.json()["tx_hash"] in page.text
    holdings = api.get(f"/v1/accounts/{airline_address}/holdings").json()
    assert "50" in json.dumps(holdings)

    verified = api.get("/v1/audit/verify", headers=auditor)
    assert verified.status_code == 200 and verified.json()["ok"], verified.text

    # The auditor's own check: the chain, the store, and the API log linked to the chain.
    out = _cli(server.data_dir, "audit", "verify", "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert report["ok"] and report["api_log"]["ok"]
    assert report["api_log"]["linked"] >= 3 and report["api_log"]["entries"] >= 14

    # Serve's indexer holds the store's lock between its syncs: a second indexer is refused.
    second = _cli(server.data_dir, "index")
    assert second.returncode == 2, second.stdout + second.stderr
    assert "another indexer (pid" in second.stderr and "is writing the store" in second.stderr

    # SIGKILL while a bridging is in the node's pool, unmined; the retry after the restart
    # gets its outcome, and the block is bridged once.
    _rpc(server.data_dir, "evm_setAutomine", [False])
    second = issuance_body(buyer_address or "", 941467432, 941467500)
    headers = registry | {"Idempotency-Key": "second-block"}
    outcome: dict[str, Any] = {}

    def send() -> None:
        try:
            outcome["first"] = api.post("/v1/issuances", json=second, headers=headers)
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    sender = threading.Thread(target=send)
    sender.start()
    deadline = time.monotonic() + 30
    while not _rpc(server.data_dir, "txpool_content", [])["pending"]:
        assert time.monotonic() < deadline, "the bridging never reached the node"
        time.sleep(0.05)
    server.kill()
    sender.join()
    assert "first" not in outcome  # the client never got an answer
    _rpc(server.data_dir, "evm_mine", [])
    _rpc(server.data_dir, "evm_setAutomine", [True])
    server.start()
    retry = api.post("/v1/issuances", json=second, headers=headers)
    assert retry.status_code == 201, retry.text
    assert retry.json()["batch_id"] == batch + 1
    again = api.post("/v1/issuances", json=second, headers=headers)
    assert again.json() == retry.json()
    duplicate = api.post("/v1/issuances", json=second, headers=registry)
    assert duplicate.status_code == 409  # bridged exactly once


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.anvil
def test_reads_go_to_the_read_worker_and_a_stop_ends_every_process(server: Server) -> None:
    """``serve`` runs one read worker by default: a connection that opens with a read is
    served there, even when it goes on with a write (forwarded to the main process)."""
    assert server.proc is not None
    children = _children(server.proc.pid)
    assert len(children) >= 2  # the indexer and the read worker (and multiprocessing's tracker)
    admin = {"Authorization": f"Bearer {ADMIN}"}
    with httpx.Client(base_url=server.url, timeout=60) as api:  # one keep-alive connection
        assert api.get("/v1/stats").json()["totals"]["batches"] == 0
        made = api.post("/v1/keys", json={"role": "auditor"}, headers=admin)
        assert made.status_code == 201, made.text
        listed = api.get("/v1/keys", headers=admin).json()
        assert made.json()["id"] in {k["id"] for k in listed["keys"]}
    with httpx.Client(base_url=server.url, timeout=60) as api:  # opens with a write
        assert api.post("/v1/keys", json={"role": "compliance"}, headers=admin).status_code == 201
        metrics = api.get("/metrics").text
    assert 'carbon_ledger_connections_total{served_by="worker"}' in metrics
    served = {
        line.split('"')[1]: float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("carbon_ledger_connections_total{")
    }
    assert served["worker"] >= 1 and served["main"] >= 1
    anvil = _node(server.data_dir)["pid"]
    assert anvil in children  # the folder had no chain: this server started it
    assert server.stop(signal.SIGINT) == 130  # Ctrl-C
    # Every process it started is gone, the chain too (its state kept for the next command).
    assert _still_running(children) == []
    assert not (server.data_dir / "chain" / "node.json").exists()
    assert (server.data_dir / "chain" / "state.json").stat().st_size > 0
    assert "Traceback" not in server.log()


def _node(data_dir: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((data_dir / "chain" / "node.json").read_text())
    return record


def _still_running(pids: list[int], wait: float = 10) -> list[bytes]:
    """The command lines of ``pids`` still alive after ``wait`` seconds (zombies are not)."""
    deadline = time.monotonic() + wait
    while any(_cmdline(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [_cmdline(pid) for pid in pids if _cmdline(pid)]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.mark.anvil
def test_sigterm_stops_the_server_and_the_chain_it_started(server: Server) -> None:
    assert server.proc is not None
    children = _children(server.proc.pid)
    anvil = _node(server.data_dir)["pid"]
    assert anvil in children
    # Without a handler, SIGTERM ended serve on the spot, after uvicorn's graceful shutdown:
    # the indexer wrote into a closed pipe (tracebacks) and the chain lived on.
    assert server.stop(signal.SIGTERM) == 128 + signal.SIGTERM
    assert _still_running(children) == []
    assert not (server.data_dir / "chain" / "node.json").exists()
    assert "Traceback" not in server.log()


@pytest.mark.anvil
def test_a_server_leaves_alone_the_chain_that_ran_before_it(tmp_path: Path) -> None:
    """A chain the folder already had (``carbon-ledger chain``, another command's) is not the
    server's to stop: other commands may be using it."""
    data_dir = tmp_path / "data"
    url = ensure_running(data_dir)
    before = _node(data_dir)
    srv = Server(data_dir)
    try:
        srv.start()
        assert srv.proc is not None
        assert before["pid"] not in _children(srv.proc.pid)
        assert srv.stop(signal.SIGTERM) == 128 + signal.SIGTERM
        assert _node(data_dir) == before
        answer = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"})
        assert int(answer.json()["result"], 16) > 0  # still serving, with the deployment
    finally:
        srv.stop()
        stop_node(data_dir)


@pytest.mark.anvil
def test_a_server_that_fails_to_start_stops_the_chain_it_started(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    serve = [sys.executable, "-m", "cli", "serve", "--dev", "--data-dir", str(data_dir)]
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        try:
            out = subprocess.run(
                [*serve, "--port", str(port)],
                cwd=REPO,
                env=runtime_only_env(tmp_path / "runtime-only"),
                capture_output=True,
                text=True,
                timeout=300,
            )
        finally:
            stopped_by_us = stop_node(data_dir)
    assert out.returncode == 2, out.stdout + out.stderr
    assert f"carbon-ledger: error: cannot listen on 127.0.0.1:{port}" in out.stderr
    assert (data_dir / "deployment.json").exists()  # it got as far as deploying on its chain
    assert not stopped_by_us, "the server left its chain running"


def test_a_port_in_use_is_a_clear_error() -> None:
    from api.readers.primary import listen
    from chain.errors import ConfigurationError

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(ConfigurationError, match=f"cannot listen on 127.0.0.1:{port}"):
            listen("127.0.0.1", port)
    with listen("::1", 0) as v6:
        assert v6.family == socket.AF_INET6


def test_no_read_workers_run_when_reads_are_not_public() -> None:
    from api.serve import read_workers
    from api.settings import Settings

    assert read_workers(Settings(dev=True)) == 1
    assert read_workers(Settings(dev=True, read_workers=3)) == 3
    assert read_workers(Settings(dev=True, read_workers=0)) == 0
    # Every read is then authenticated and audited, and the audit log has one writer.
    assert read_workers(Settings(dev=True, read_workers=3, public_reads=False)) == 0
