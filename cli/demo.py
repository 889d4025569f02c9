"""``carbon-ledger demo``: the whole scenario on the embedded chain (``chain.demo``), with a
progress bar per import on a terminal."""

from __future__ import annotations

import argparse
import sys

from cli._args import data_dir_arg
from cli._progress import ImportProgress


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo", help="bridge, trade, retire and audit real registry blocks on the embedded chain"
    )
    data_dir_arg(demo)
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chain.demo import run_demo

    # A bar per import on a terminal; on a pipe the demo's own lines say enough.
    progress = ImportProgress if sys.stderr.isatty() else None
    report, _ = run_demo(args.data_dir, progress=progress)
    return 0 if report.ok else 1
