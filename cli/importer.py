"""``carbon-ledger import``: bridge a registry's export (``chain.importer``), with a progress
bar on a terminal and the per-row report (or one JSON object) at the end."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from chain.importer.layouts import REGISTRIES
from chain.importer.model import FileKind
from cli._args import data_dir_arg, db_arg, rpc_arg, store_url
from cli._progress import ImportProgress


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "import",
        help="bridge a registry's export: every serial block, its retirements and cancellations",
    )
    data_dir_arg(parser)
    rpc_arg(parser)
    db_arg(parser)
    parser.add_argument(
        "--registry", required=True, choices=REGISTRIES, help="whose export the files are"
    )
    for kind in FileKind:
        parser.add_argument(
            f"--{kind.value}", type=Path, metavar="FILE", help=f"the registry's {kind.value} export"
        )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="then reconcile the files with the ledger and verify the audit trail (exit 1 if not)",
    )
    parser.add_argument(
        "--confirmations",
        type=int,
        default=0,
        help="blocks below the head the store takes as final before planning (default 0)",
    )
    parser.add_argument(
        "--group-size",
        type=int,
        default=25,
        help="actions per multicall transaction (default 25; 1 sends each on its own)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chain.artifacts import ledger_abi
    from chain.connect import connect, operator_account
    from chain.deployment import Deployment
    from chain.errors import ConfigurationError
    from chain.importer.core import ImportTarget, import_exports
    from chain.importer.keys import IssuerKeys
    from chain.importer.run import ImportFees
    from chain.store.engine import open_store
    from chain.transactions import TxSender

    files = [(k, getattr(args, k.value)) for k in FileKind if getattr(args, k.value) is not None]
    if not files:
        raise ConfigurationError("give at least one of --issuances, --retirements, --cancellations")
    if args.group_size < 1 or args.confirmations < 0:
        raise ConfigurationError("--group-size must be >= 1 and --confirmations >= 0")
    local = args.rpc is None
    deployment = Deployment.load(args.data_dir / "deployment.json")
    w3 = connect(args.data_dir, args.rpc)
    engine = open_store(store_url(args))
    fees = ImportFees(w3)
    operator = (
        TxSender(w3, operator_account(local_chain=True), ledger_abi(), fees=fees) if local else None
    )
    target = ImportTarget(
        w3,
        deployment,
        engine,
        IssuerKeys(args.data_dir, local),
        operator=operator,
        confirmations=args.confirmations,
        group_size=args.group_size,
        fees=fees,
    )
    say = None if args.json else (lambda msg: print(msg, file=sys.stderr))
    report = import_exports(
        target,
        args.registry,
        files,
        verify=args.verify,
        progress=ImportProgress(f"{args.registry} import"),
        say=say,
    )
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        print("\n".join(report.lines()))
        if report.verification is not None:
            print(_verification_line(report.verification))
    return 1 if report.verified is False else 0


def _verification_line(verification: dict[str, Any]) -> str:
    if verification.get("ok"):
        return (
            "verified: the files reconcile with the ledger to the tonne; the audit trail is intact"
        )
    lines = ["VERIFICATION FAILED"]
    lines += [f"  audit: {m}" for m in verification["audit"]["discrepancies"]]
    for rec in verification["reconciliation"]:
        lines += [f"  {rec['file']}:{d['row']}: {d['message']}" for d in rec["discrepancies"]]
    return "\n".join(lines)
