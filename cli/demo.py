"""``carbon-ledger demo``: the whole scenario on the embedded chain (``chain.demo``)."""

from __future__ import annotations

import argparse

from cli._args import data_dir_arg


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo", help="bridge, trade, retire and audit real registry blocks on the embedded chain"
    )
    data_dir_arg(demo)
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chain.demo import run_demo

    report, _ = run_demo(args.data_dir)
    return 0 if report.ok else 1
