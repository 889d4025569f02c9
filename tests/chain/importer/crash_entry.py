"""A fork server for the import crash test: runs ``carbon-ledger`` commands many times, cheaply.

``python -m tests.chain.importer.crash_entry`` imports the CLI and the importer once, prints
``ready``, then serves commands read from stdin, one per line:

- ``run <json argv>``: fork a child that runs ``cli.main.main(argv)`` (stdout to /dev/null,
  stderr inherited) and answer ``started <pid>``;
- ``kill``: SIGKILL that child by its pid unless it already exited, reap it, and answer
  ``exit <code>`` (``-9`` when killed).

Each child is a separate OS process running the real command, killed wherever it happens to
be, as a crash would; forking only saves the second or two of imports per run.
"""

from __future__ import annotations

import json
import os
import signal
import sys


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
    import chain.importer.core
    import chain.store.engine
    import chain.verify  # noqa: F401 - imported before forking

    print("ready", flush=True)
    child = 0
    for line in sys.stdin:
        command, _, rest = line.strip().partition(" ")
        if command == "run":
            child = os.fork()
            if child == 0:
                _child(json.loads(rest))
            print(f"started {child}", flush=True)
        elif command == "kill":
            pid, status = os.waitpid(child, os.WNOHANG)
            if pid == 0:
                os.kill(child, signal.SIGKILL)
                pid, status = os.waitpid(child, 0)
            print(f"exit {os.waitstatus_to_exitcode(status)}", flush=True)
        else:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
