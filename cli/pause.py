"""``carbon-ledger pause`` and ``unpause``: stop and resume every change to credits (the
pauser's key)."""

from __future__ import annotations

import argparse

from cli._governance import Subcommands, governance_args, open_ledger, report


def add_parsers(commands: Subcommands) -> None:
    for name, text in (("pause", "stop every change to credits"), ("unpause", "resume them")):
        cmd = commands.add_parser(name, help=f"{text} (the pauser's key)")
        governance_args(cmd)
        cmd.set_defaults(run=run, pausing=name == "pause")


def run(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    result = ledger.pause() if args.pausing else ledger.unpause()
    return report(
        args,
        "paused the ledger" if args.pausing else "unpaused the ledger",
        [result],
        paused=ledger.paused(),
    )
