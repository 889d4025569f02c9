"""The command-line side of the importer: ``carbon-ledger import`` and the registry
reconciliation of ``carbon-ledger audit verify --registry-export`` (wired in ``chain.cli``)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from chain.errors import ConfigurationError
from chain.importer.layouts import REGISTRIES
from chain.importer.model import FileKind

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from web3 import Web3

    from chain.deployment import Deployment
    from chain.importer.reconcile import Reconciliation
    from chain.verify import VerificationReport


class ProgressBar:
    """``[#####-----] 120/200 rows, 12 transactions`` in place on a terminal; on a pipe, one
    line at most every few seconds and at the end."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self._shown = 0.0

    def __call__(self, done: int, total: int, transactions: int) -> None:
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        text = f"{self.label} [{bar}] {done}/{total} rows, {transactions} transactions"
        finished = done >= total
        if self.tty:
            print("\r" + text, end="\n" if finished else "", file=self.stream, flush=True)
        elif finished or time.monotonic() - self._shown >= 5:
            self._shown = time.monotonic()
            print(text, file=self.stream, flush=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
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


def cmd_import(args: argparse.Namespace) -> int:
    from chain.artifacts import ledger_abi
    from chain.cli import connect, operator_account, store_url
    from chain.deployment import Deployment
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
        progress=ProgressBar(f"{args.registry} import"),
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


# ------------------------------------------------------------------ audit verify


def reconcile_exports(
    w3: Web3,
    deployment: Deployment,
    engine: Engine,
    registry: str,
    files: Sequence[Path],
    confirmations: int = 0,
) -> list[Reconciliation]:
    """Bring the store up to the chain, then reconcile each export with it."""
    from chain.importer.reconcile import reconcile
    from chain.indexer.core import Indexer

    Indexer(w3, engine, deployment, confirmations=confirmations).catch_up()
    return [reconcile(engine, registry, path) for path in files]


def add_reconciliation(report: VerificationReport, found: Sequence[Reconciliation]) -> None:
    """Name each reconciliation discrepancy by file and row in ``report``."""
    from chain.verify import Discrepancy

    for rec in found:
        for row, message in rec.discrepancies:
            where = f"{rec.file}:{row}" if row else rec.file
            field = (
                "totals"
                if row == 0
                else "row"
                if message.startswith("cannot be read")
                else "serials"
                if "not bridged" in message or "in no row" in message
                else "status"
            )
            report.discrepancies.append(Discrepancy("registry", None, where, field, message))
    report.ok = not report.discrepancies
