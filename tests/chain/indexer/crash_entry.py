"""Runs ``carbon-ledger`` (``cli.main.main``) for the crash test, many times, cheaply.

``python -m tests.chain.indexer.crash_entry index --data-dir D --rpc URL --db URL …`` imports
the CLI once, prints ``ready``, then serves commands read from stdin, one per line:

- ``run``: fork a child process that runs ``cli.main.main(argv)`` (stdout to /dev/null,
  stderr inherited) and answer ``started <pid>``;
- ``kill``: SIGKILL that child by its pid unless it already exited, reap it, and answer
  ``exit <code>`` (``-9`` when killed) — every run ends with a ``kill``.

Each child is a separate OS process running the real command line, killed with SIGKILL
wherever it happens to be, exactly as a crash would; forking only saves the 1.7 s of imports
per run, so a test can afford many kills. With env ``CARBON_LEDGER_TEST_MAX_SPAN=K`` the
indexer's ``LogSource`` reads at most K blocks per ``eth_getLogs``, so a short chain still
takes many commits for the kills to land between and inside.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any


def _prepare() -> None:
    import chain.deployment
    import chain.indexer.core
    import chain.store.engine
    import chain.verify  # noqa: F401 - imported before forking, like the others
    from chain.indexer.source import LogSource

    span = int(os.environ.get("CARBON_LEDGER_TEST_MAX_SPAN", "0"))
    if span > 0:
        original = LogSource.__init__

        def small(self: LogSource, *args: Any, **kwargs: Any) -> None:
            kwargs["max_span"] = span
            original(self, *args, **kwargs)

        LogSource.__init__ = small  # type: ignore[method-assign]


def _child(argv: list[str]) -> None:
    import cli.main

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    code = 99
    try:
        code = cli.main.main(argv)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)


def main() -> int:
    argv = sys.argv[1:]
    _prepare()
    print("ready", flush=True)
    child = 0  # the running child's pid, 0 when none
    for line in sys.stdin:
        command = line.strip()
        if command == "run" and child == 0:
            child = os.fork()
            if child == 0:
                _child(argv)
            print(f"started {child}", flush=True)
        elif command == "kill" and child != 0:
            print(f"exit {_kill(child)}", flush=True)
            child = 0
        else:
            break
    if child != 0:  # quitting (or the test went away) with a run still going
        _kill(child)
    return 0


def _kill(pid: int) -> int:
    """SIGKILL our child ``pid`` unless it already exited; reap it; its exit code."""
    reaped, status = os.waitpid(pid, os.WNOHANG)
    if reaped == 0:  # still running
        os.kill(pid, signal.SIGKILL)
        reaped, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
