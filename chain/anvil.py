"""The data folder's local dev chain: one anvil process per data folder.

Files under ``<data>/chain/``:

- ``state.json``: anvil's ``--state``; loaded at start, dumped every 5 s and on SIGTERM/SIGINT;
- ``cache/``: ``--cache-path``; never created, as ``--prune-history`` keeps states in memory;
- ``anvil.log`` (``anvil.log.1``: the previous run's), ``node.json`` (the live node's run record)
  and ``.lock`` (serialises starting and stopping across processes).

anvil always runs with ``--prune-history 100``: without it, it writes a state snapshot per block
under ``~/.foundry`` (gigabytes after a few thousand blocks). The price: state queries
(``eth_getBalance``, ``eth_call``) at blocks older than the last 100 fail; blocks, receipts and
logs are kept. The EIP-1559 base fee is anvil's (1 gwei at genesis, moving with load) so clients
meet real fee behaviour locally; ``NodeOptions(base_fee=0)`` pins it to zero.

Only the standard library is used, so importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Self, TypedDict

from chain.errors import AnvilNotFound, ChainError, NodeAlreadyRunning, NodeStartError

ANVIL_ENV = "CARBON_LEDGER_ANVIL"
ANVIL_PACKAGE = "@foundry-rs/anvil-linux-amd64"
PRUNE_HISTORY = 100
STATE_INTERVAL = 5
HOST = "127.0.0.1"

_LISTENING = re.compile(rb"Listening on [0-9.]+:(\d+)")
# The node is local: never route the readiness probe through an http_proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _npm_ci(repo: Path) -> str:
    """Where to run ``npm ci``: the checkout this package runs from, when it is one (``make
    demo`` installs it in place); an installed copy does not know its repository."""
    where = str(repo) if (repo / "package.json").is_file() else "the carbon-ledger repository"
    return f"`npm ci` in {where} (it installs {ANVIL_PACKAGE})"


def find_anvil() -> Path:
    """The anvil binary: $CARBON_LEDGER_ANVIL, else the repo's node_modules, else $PATH.

    Not finding it is one line saying what to do: the commands that need the local chain come
    after ``make demo``, which installs no Node."""
    repo = Path(__file__).resolve().parent.parent
    if env := os.environ.get(ANVIL_ENV):
        path = Path(env)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise AnvilNotFound(
                f"{ANVIL_ENV}={env} is not an executable file: point it at an anvil binary, "
                f"or unset it and run {_npm_ci(repo)}"
            )
        return path
    local = repo / "node_modules" / ".bin" / "anvil"
    if local.is_file():
        return local
    if found := shutil.which("anvil"):
        return Path(found)
    raise AnvilNotFound(
        f"the local chain needs anvil, which is not installed: run {_npm_ci(repo)}, "
        f"or set {ANVIL_ENV} to an anvil binary"
    )


@dataclass(frozen=True)
class NodeOptions:
    """How to run anvil. Accounts default to anvil's: 10 dev accounts of 10,000 ETH from the
    mnemonic "test test test test test test test test test test test junk" (all unlocked)."""

    port: int = 0  # 0: a free port
    chain_id: int = 31337
    block_time: float | None = None  # seconds between blocks; None: one block per transaction
    gas_limit: int = 30_000_000
    base_fee: int | None = None  # genesis base fee in wei; None: anvil's 1 gwei
    accounts: int | None = None
    mnemonic: str | None = None
    extra_args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is out of range")
        if self.block_time is not None and self.block_time <= 0:
            raise ValueError("block_time must be > 0 (None mines one block per transaction)")


class NodeRecord(TypedDict):
    """``node.json``: the live node of a data folder."""

    pid: int
    url: str
    port: int
    chain_id: int
    started_at: str


def _chain_dir(data_dir: Path) -> Path:
    # Absolute, so the --state argument found in /proc/<pid>/cmdline matches from any cwd.
    return Path(data_dir).resolve() / "chain"


def _command(chain_dir: Path, opts: NodeOptions, port: int) -> list[str]:
    cmd = [
        str(find_anvil()),
        "--host", HOST,
        "--port", str(port),
        "--chain-id", str(opts.chain_id),
        "--gas-limit", str(opts.gas_limit),
        "--state", str(chain_dir / "state.json"),
        "--state-interval", str(STATE_INTERVAL),
        "--prune-history", str(PRUNE_HISTORY),
        "--cache-path", str(chain_dir / "cache"),
    ]  # fmt: skip
    if opts.block_time is not None:
        cmd += ["--block-time", str(opts.block_time)]
    if opts.base_fee is not None:
        cmd += ["--base-fee", str(opts.base_fee)]
    if opts.accounts is not None:
        cmd += ["--accounts", str(opts.accounts)]
    if opts.mnemonic is not None:
        cmd += ["--mnemonic", opts.mnemonic]
    return [*cmd, *opts.extra_args]


def _chain_id_at(url: str, timeout: float = 1.0) -> int | None:
    """The chain id served at ``url``, or None if nothing answers there."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    request = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return int(json.load(response)["result"], 16)
    except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError):
        return None


def _check_port(port: int) -> int:
    """``port``, or a free one for 0. Failing early on a taken port keeps the readiness probe
    from mistaking another node for ours."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError as e:
            raise NodeStartError(f"cannot use port {port} on {HOST}: {e}") from e
        return int(s.getsockname()[1])


def _tail(log_file: Path, lines: int = 25) -> str:
    try:
        text = log_file.read_text(errors="replace")
    except OSError:
        return "(no log)"
    tail = "\n".join(text.splitlines()[-lines:])
    if "failed to parse json file" in tail:
        # anvil rewrites state.json in place, so a kill during a dump leaves it truncated.
        tail += "\nhint: the state file is damaged; move it aside to start from an empty chain"
    return tail


def _detail(log_file: Path | None) -> str:
    return _tail(log_file) if log_file else "(see anvil's output above)"


def _wait_ready(
    proc: subprocess.Popen[bytes], port: int | None, log_file: Path | None, wait_seconds: float
) -> tuple[int, int]:
    """Wait until anvil answers; returns (port, chain id). With ``port`` None, anvil chose it
    and we read it from its log (no race, unlike picking a free port ourselves)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        if (code := proc.poll()) is not None:
            raise NodeStartError(f"anvil exited ({code}) while starting:\n{_detail(log_file)}")
        if port is None and log_file and (m := _LISTENING.search(log_file.read_bytes())):
            port = int(m.group(1))
        if port is not None and (chain_id := _chain_id_at(f"http://{HOST}:{port}")) is not None:
            return port, chain_id
        if time.monotonic() > deadline:
            raise NodeStartError(f"no answer in {wait_seconds:g} s:\n{_detail(log_file)}")
        time.sleep(0.05)


def _stop_proc(proc: subprocess.Popen[bytes], timeout: float) -> None:
    if proc.poll() is None:
        proc.terminate()  # SIGTERM: anvil dumps state.json, then exits
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def _locked(chain_dir: Path) -> Iterator[None]:
    """Exclusive lock on the folder's node: check-then-start/stop is atomic across processes.
    (open() fds are not inherited, so anvil never holds it.)"""
    chain_dir.mkdir(parents=True, exist_ok=True)  # anvil silently skips dumps into a missing dir
    with (chain_dir / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _is_our_anvil(pid: int, state_file: Path) -> bool:
    """Whether ``pid`` is alive and is an anvil on this state file (pids get reused)."""
    if pid <= 0:
        return False
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our own child that exited: reap it
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by someone else
    if not Path("/proc/self").is_dir():
        return True  # no procfs to check the command line against
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return os.fsencode(state_file) in args  # a zombie's cmdline is empty


def _read_record(chain_dir: Path) -> NodeRecord | None:
    try:
        rec = json.loads((chain_dir / "node.json").read_text())
    except (OSError, ValueError):
        return None
    try:
        return NodeRecord(
            pid=int(rec["pid"]),
            url=str(rec["url"]),
            port=int(rec["port"]),
            chain_id=int(rec["chain_id"]),
            started_at=str(rec["started_at"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _live_record(chain_dir: Path) -> NodeRecord | None:
    """node.json if it names a live anvil of this folder; a stale one is removed. Hold the lock."""
    rec = _read_record(chain_dir)
    if rec is not None and _is_our_anvil(rec["pid"], chain_dir / "state.json"):
        return rec
    (chain_dir / "node.json").unlink(missing_ok=True)
    return None


def _write_record(chain_dir: Path, pid: int, port: int, chain_id: int) -> None:
    rec = NodeRecord(
        pid=pid,
        url=f"http://{HOST}:{port}",
        port=port,
        chain_id=chain_id,
        started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    tmp = chain_dir / "node.json.tmp"
    tmp.write_text(json.dumps(rec, indent=2) + "\n")
    tmp.replace(chain_dir / "node.json")  # readers never see half a record


def _drop_record(chain_dir: Path, pid: int) -> None:
    with _locked(chain_dir):
        rec = _read_record(chain_dir)
        if rec is not None and rec["pid"] == pid:
            (chain_dir / "node.json").unlink(missing_ok=True)


def _already_running(data_dir: Path, rec: NodeRecord) -> NodeAlreadyRunning:
    return NodeAlreadyRunning(
        f"an anvil node (pid {rec['pid']}) already runs for {data_dir} at {rec['url']}"
    )


class LocalNode:
    """One anvil process for a data folder, its output in ``chain/anvil.log``.

    ``detached=True`` starts it in its own session, so it outlives the calling command."""

    def __init__(
        self, data_dir: Path, options: NodeOptions | None = None, *, detached: bool = False
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.options = options or NodeOptions()
        self.detached = detached
        self.chain_dir = _chain_dir(self.data_dir)
        self.state_file = self.chain_dir / "state.json"
        self.cache_dir = self.chain_dir / "cache"
        self.log_file = self.chain_dir / "anvil.log"
        self.record_file = self.chain_dir / "node.json"
        self._proc: subprocess.Popen[bytes] | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise ChainError(f"the local node of {self.data_dir} is not started")
        return self._url

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, wait_seconds: float = 30) -> str:
        """Start anvil and wait until it answers; returns its URL."""
        with _locked(self.chain_dir):
            if (rec := _live_record(self.chain_dir)) is not None:
                raise _already_running(self.data_dir, rec)
            return self._spawn(wait_seconds)

    def _spawn(self, wait_seconds: float) -> str:  # the caller holds the lock
        port = _check_port(self.options.port) if self.options.port else 0
        cmd = _command(self.chain_dir, self.options, port)
        if self.log_file.exists():
            self.log_file.replace(self.log_file.with_name("anvil.log.1"))
        with self.log_file.open("wb") as log:  # anvil keeps its own copy of the fd
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.chain_dir,
                start_new_session=self.detached,
            )
        try:
            port, chain_id = _wait_ready(self._proc, port or None, self.log_file, wait_seconds)
        except BaseException:
            _stop_proc(self._proc, 5)
            self._proc = None
            raise
        _write_record(self.chain_dir, self._proc.pid, port, chain_id)
        self._url = f"http://{HOST}:{port}"
        return self._url

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM (anvil dumps its state), SIGKILL after ``timeout`` s; removes node.json."""
        if self._proc is None:
            return
        _stop_proc(self._proc, timeout)
        _drop_record(self.chain_dir, self._proc.pid)
        self._proc = self._url = None

    def __enter__(self) -> Self:
        if not self.is_running():
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@dataclass(frozen=True)
class LocalChain:
    """The data folder's node as a command found it: ``started`` is the pid of the anvil this
    command started, None when it joined one that was already running (someone else's)."""

    url: str
    started: int | None


def ensure_running(
    data_dir: Path, options: NodeOptions | None = None, wait_seconds: float = 30
) -> str:
    """URL of the data folder's node, starting a detached one if none is running."""
    return start_or_join(data_dir, options, wait_seconds).url


def start_or_join(
    data_dir: Path, options: NodeOptions | None = None, wait_seconds: float = 30
) -> LocalChain:
    """The data folder's node: the running one, or a detached one started now (so that it
    outlives the command unless the command stops it: ``stop_node(data_dir, pid=started)``)."""
    node = LocalNode(data_dir, options, detached=True)
    with _locked(node.chain_dir):
        if (rec := _live_record(node.chain_dir)) is None:
            url = node._spawn(wait_seconds)
            return LocalChain(url, node.pid)
        if options is not None and rec["chain_id"] != options.chain_id:
            raise NodeAlreadyRunning(
                f"the node of {node.data_dir} runs chain id {rec['chain_id']}, "
                f"not {options.chain_id}; stop it first"
            )
        # Records are written only once the node answered: one that no longer does is wedged,
        # and a second anvil on the same state file would clobber it.
        if _chain_id_at(rec["url"], timeout=5) is None:
            raise NodeStartError(
                f"anvil pid {rec['pid']} ({node.record_file}) does not answer at {rec['url']}; "
                "stop it and retry"
            )
        return LocalChain(rec["url"], None)


def stop_node(data_dir: Path, timeout: float = 10, *, pid: int | None = None) -> bool:
    """Stop the node recorded for the data folder (detached or foreground); False if none.
    With ``pid``, only if the recorded node is that process: a command stops the node it
    started, never one that replaced it meanwhile."""
    chain_dir = _chain_dir(data_dir)
    state_file = chain_dir / "state.json"
    with _locked(chain_dir):
        if (rec := _live_record(chain_dir)) is None or pid not in (None, rec["pid"]):
            return False
        pid = rec["pid"]
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)  # SIGTERM first: anvil dumps state.json on it
            deadline = time.monotonic() + wait
            while _is_our_anvil(pid, state_file) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not _is_our_anvil(pid, state_file):
                (chain_dir / "node.json").unlink(missing_ok=True)
                return True
        raise ChainError(f"anvil pid {pid} did not exit after SIGKILL")


def run_foreground(
    data_dir: Path, options: NodeOptions | None = None, wait_seconds: float = 30
) -> int:
    """Run the data folder's node with its output on our stdout until it exits (Ctrl-C, SIGTERM
    or stop_node); returns its exit code. Main thread only (installs signal handlers)."""
    opts = options or NodeOptions()
    chain_dir = _chain_dir(data_dir)
    with _locked(chain_dir):
        if (rec := _live_record(chain_dir)) is not None:
            raise _already_running(chain_dir.parent, rec)
        port = _check_port(opts.port)  # anvil's output goes to the terminal: we can't read it
        # Own session: a terminal's Ctrl-C reaches only us, and we pass it on exactly once.
        proc = subprocess.Popen(
            _command(chain_dir, opts, port),
            stdin=subprocess.DEVNULL,
            cwd=chain_dir,
            start_new_session=True,
        )
        try:
            _, chain_id = _wait_ready(proc, port, None, wait_seconds)
        except BaseException:
            _stop_proc(proc, 5)
            raise
        _write_record(chain_dir, proc.pid, port, chain_id)

    def forward(signum: int, _frame: FrameType | None) -> None:
        # Terminal closed (SIGHUP): anvil, in its own session, would live on; stop it cleanly.
        proc.send_signal(signal.SIGTERM if signum == signal.SIGHUP else signum)

    forwarded = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, forward) for sig in forwarded}
    try:
        code = proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_proc(proc, 10)
        _drop_record(chain_dir, proc.pid)
    return code if code >= 0 else 128 - code  # killed by a signal: shell convention
