"""``carbon-ledger``: the command line (SPEC §2).

Every command takes ``--data-dir D`` (default ``./.carbon-ledger``). A command that needs a
chain and gets no ``--rpc`` uses the data folder's local anvil, starting it if needed, so
separate commands share one ledger. ``demo`` alone runs in-process and needs no Node.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from chain.errors import AnvilNotFound, CarbonLedgerError, ConfigurationError

if TYPE_CHECKING:
    from chain.anvil import LocalChain

DEFAULT_DATA_DIR = Path(".carbon-ledger")
OPERATOR_KEY_ENV = "CARBON_LEDGER_OPERATOR_KEY"
# anvil's first development account (mnemonic "test test ... junk"): public knowledge, only
# ever used against the data folder's own local chain.
ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def _data_dir_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="data folder (deployment.json, store, keystores, local chain); default ./.carbon-ledger",
    )


def _rpc_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rpc", help="JSON-RPC URL of the node; default: the data folder's local anvil"
    )


def _non_negative(text: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def _db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", help="store URL (sqlite:///… or postgresql://…); default: D/ledger.sqlite3"
    )


def store_url(args: argparse.Namespace) -> str:
    from chain.store.engine import default_url

    return str(args.db) if args.db else default_url(args.data_dir)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="carbon-ledger", description="Serialised carbon credits on a permissioned EVM ledger."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="bridge, trade, retire and audit real registry blocks on the embedded chain"
    )
    _data_dir_arg(demo)

    deploy = commands.add_parser("deploy", help="deploy the ledger and write D/deployment.json")
    _data_dir_arg(deploy)
    _rpc_arg(deploy)
    deploy.add_argument(
        "--admin-delay",
        type=int,
        default=2 * 24 * 3600,
        help="seconds the two-step admin hand-over waits (default 172800, two days)",
    )
    deploy.add_argument(
        "--force", action="store_true", help="deploy a new ledger even if D/deployment.json exists"
    )

    node = commands.add_parser("chain", help="run the data folder's local anvil in the foreground")
    _data_dir_arg(node)
    node.add_argument("--port", type=int, default=8545, help="port to listen on (default 8545)")

    index = commands.add_parser(
        "index", help="mirror the chain into the query store (one indexer per store at a time)"
    )
    _data_dir_arg(index)
    _rpc_arg(index)
    _db_arg(index)
    index.add_argument("--follow", action="store_true", help="keep following new blocks")
    index.add_argument(
        "--confirmations",
        type=int,
        default=12,
        help="blocks below the head taken as final (0 for instant-finality chains); default 12",
    )
    index.add_argument(
        "--poll", type=float, default=1.0, help="seconds between polls with --follow"
    )

    importer = commands.add_parser(
        "import",
        help="bridge a registry's export: every serial block, its retirements and cancellations",
    )
    _data_dir_arg(importer)
    _rpc_arg(importer)
    _db_arg(importer)
    from chain.importer.command import add_arguments

    add_arguments(importer)

    audit = commands.add_parser("audit", help="audit trail checks")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser(
        "verify", help="recompute the audit chain from raw logs and check every invariant"
    )
    _data_dir_arg(verify)
    _rpc_arg(verify)
    _db_arg(verify)
    verify.add_argument("--json", action="store_true", help="print one JSON object")
    verify.add_argument(
        "--registry-export",
        type=Path,
        action="append",
        metavar="FILE",
        help="also reconcile this registry export with the ledger, row by row (repeatable)",
    )
    verify.add_argument("--registry", help="whose export --registry-export is (vcs, gs, ...)")
    verify.add_argument(
        "--max-lag-blocks",
        type=_non_negative,
        default=None,
        metavar="N",
        help="blocks the store may be behind the chain head before it counts as stopped "
        "(default 120)",
    )

    serve = commands.add_parser("serve", help="run the HTTP API and the indexer beside it")
    _data_dir_arg(serve)
    _rpc_arg(serve)
    _db_arg(serve)
    serve.add_argument(
        "--dev",
        action="store_true",
        help="the data folder's local chain and SQLite, deploying on first start; dev secrets",
    )
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8000)")
    serve.add_argument(
        "--read-workers",
        type=int,
        metavar="N",
        help="processes serving the read routes beside the main one (default 1; 0: none)",
    )
    return parser


def operator_account(*, local_chain: bool) -> LocalAccount:
    """The operator's key: env CARBON_LEDGER_OPERATOR_KEY, or anvil's dev key on a local chain."""
    key = os.environ.get(OPERATOR_KEY_ENV)
    if key:
        try:
            account: LocalAccount = Account.from_key(key)
            return account
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"{OPERATOR_KEY_ENV} is not a valid private key") from exc
    if not local_chain:
        raise ConfigurationError(f"set {OPERATOR_KEY_ENV} to the operator's private key for --rpc")
    dev: LocalAccount = Account.from_key(ANVIL_DEV_KEY)
    return dev


def local_chain(data_dir: Path) -> LocalChain:
    """The data folder's local anvil, started (detached) if it is not running. Without anvil,
    the error names every way out, --rpc included: this is where a command without --rpc
    comes."""
    from chain.anvil import start_or_join

    try:
        return start_or_join(data_dir)
    except AnvilNotFound as exc:
        raise AnvilNotFound(f"{exc}; or pass --rpc URL to use a node that runs elsewhere") from None


def connect_to(rpc: str) -> Web3:
    """A connection to the node at ``rpc`` that answers."""
    w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 60}))
    if not w3.is_connected():
        raise ConfigurationError(f"cannot reach a node at {rpc}")
    return w3


def connect(data_dir: Path, rpc: str | None) -> Web3:
    """A connection to ``rpc``, or to the data folder's local anvil (started if needed)."""
    return connect_to(rpc if rpc is not None else local_chain(data_dir).url)


def cmd_demo(args: argparse.Namespace) -> int:
    from chain.demo import run_demo

    report, _ = run_demo(args.data_dir)
    return 0 if report.ok else 1


def cmd_deploy(args: argparse.Namespace) -> int:
    w3 = connect(args.data_dir, args.rpc)
    return deploy_into(
        args.data_dir,
        w3,
        on_local_chain=args.rpc is None,
        admin_delay=args.admin_delay,
        force=args.force,
    )


def deploy_into(
    data_dir: Path, w3: Web3, *, on_local_chain: bool, admin_delay: int, force: bool
) -> int:
    """``carbon-ledger deploy`` on a connected node (the folder's local chain or not): deploys
    unless the folder's deployment is this chain's, registers the standard programmes, grants
    the operator its roles, writes ``D/deployment.json``."""
    from chain.artifacts import ledger_abi
    from chain.client import LedgerClient
    from chain.deployment import Deployment, deploy_ledger
    from chain.programmes import STANDARD_PROGRAMMES, register_programme
    from chain.transactions import TxSender

    path = data_dir / "deployment.json"
    if path.exists() and not force:
        existing = Deployment.load(path)
        existing.check(w3)
        print(
            f"already deployed at {existing.address} (chain {existing.chain_id}); --force deploys anew"
        )
        return 0
    operator = TxSender(w3, operator_account(local_chain=on_local_chain), ledger_abi())
    deployment = deploy_ledger(operator, admin_delay=admin_delay)
    ledger = LedgerClient.for_deployment(w3, deployment, operator)
    for role in ("COMPLIANCE_ROLE", "PAUSER_ROLE"):
        ledger.grant_role(ledger.role(role), operator.address)
    for code in STANDARD_PROGRAMMES:
        register_programme(ledger, code)
    deployment.save(path)
    print(f"deployed CarbonLedger at {deployment.address} on chain {deployment.chain_id}")
    print(
        f"block {deployment.deploy_block}, programmes {', '.join(STANDARD_PROGRAMMES)}; wrote {path}"
    )
    return 0


def cmd_chain(args: argparse.Namespace) -> int:
    from chain.anvil import NodeOptions, run_foreground

    return run_foreground(args.data_dir, NodeOptions(port=args.port))


def cmd_index(args: argparse.Namespace) -> int:
    import threading
    import time

    from chain.deployment import Deployment
    from chain.indexer.core import Indexer, Progress
    from chain.store.engine import open_store

    deployment = Deployment.load(args.data_dir / "deployment.json")
    w3 = connect(args.data_dir, args.rpc)
    engine = open_store(store_url(args))
    shown = [0.0]

    def show(p: Progress) -> None:
        if time.monotonic() - shown[0] >= 1.0:
            shown[0] = time.monotonic()
            print(
                f"block {p.block:,} of {p.head:,} (lag {p.lag}), {p.events:,} events, "
                f"{p.events_per_second:,.0f} events/s",
                file=sys.stderr,
            )

    indexer = Indexer(w3, engine, deployment, confirmations=args.confirmations, on_progress=show)
    if args.follow:
        stop = threading.Event()
        try:
            indexer.follow(stop, poll_interval=args.poll)
        except KeyboardInterrupt:
            stop.set()
        return 0
    p = indexer.sync()
    print(f"indexed to block {p.block:,}: {p.events:,} new events, audit seq {p.audit_seq:,}")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from chain.deployment import Deployment
    from chain.store.engine import SQLITE_FILE, open_store
    from chain.verify import DEFAULT_MAX_LAG_BLOCKS, verify

    deployment = Deployment.load(args.data_dir / "deployment.json")
    w3 = connect(args.data_dir, args.rpc)
    progress = None if args.json else (lambda msg: print(msg, file=sys.stderr))
    has_store = args.db is not None or (args.data_dir / SQLITE_FILE).exists()
    engine = open_store(store_url(args)) if has_store or args.registry_export else None
    reconciliations = []
    if args.registry_export:
        from chain.importer.command import reconcile_exports

        if not args.registry:
            raise ConfigurationError("--registry-export needs --registry (vcs, gs, ...)")
        assert engine is not None
        reconciliations = reconcile_exports(
            w3, deployment, engine, args.registry, args.registry_export
        )
    bound = DEFAULT_MAX_LAG_BLOCKS if args.max_lag_blocks is None else args.max_lag_blocks
    report = verify(w3, deployment, engine, max_lag_blocks=bound, progress=progress)
    api_log = None
    if engine is not None:
        from api.audit_log import add_to_report

        api_log = add_to_report(report, engine, w3)
    if reconciliations:
        from chain.importer.command import add_reconciliation

        add_reconciliation(report, reconciliations)
    if args.json:
        data = report.as_json()
        if reconciliations:
            data["reconciliation"] = [r.as_json() for r in reconciliations]
        if api_log is not None:
            data["api_log"] = api_log.as_json()
        print(json.dumps(data, ensure_ascii=False))
    elif report.ok:
        print(
            f"ok: audit seq {report.audit_seq}, head {report.audit_head}, {report.batches} batches"
        )
        if report.store_block is not None:
            print(
                f"store at block {report.store_block} of chain head {report.chain_head} "
                f"({report.lag_blocks} blocks behind; verified up to the store's block)"
            )
        for rec in reconciliations:
            print(
                f"reconciled {rec.file}: {len(rec.rows)} rows, "
                f"{rec.file_tonnes['bridged']:,} t, to the tonne"
            )
        if api_log is not None:
            print(
                f"API audit log: {api_log.entries} entries, head {api_log.head}, "
                f"{api_log.linked} outcomes linked to the chain"
            )
    else:
        first = report.discrepancies[0]
        print(
            f"FAILED: block {first.block}, event {first.event}, field {first.field}: {first.message}"
        )
        for d in report.discrepancies[1:]:
            print(f"  also: block {d.block}, event {d.event}, field {d.field}: {d.message}")
    return 0 if report.ok else 1


def cmd_serve(args: argparse.Namespace) -> int:
    from api.serve import serve
    from api.settings import Settings

    flags = {"data_dir": args.data_dir, "dev": args.dev}
    for name in ("rpc", "db", "host", "port", "read_workers"):
        if getattr(args, name) is not None:
            flags[name] = getattr(args, name)
    return serve(Settings(**flags))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from chain.importer.command import cmd_import

    handlers = {
        "demo": cmd_demo,
        "deploy": cmd_deploy,
        "chain": cmd_chain,
        "index": cmd_index,
        "import": cmd_import,
        "serve": cmd_serve,
    }
    try:
        if args.command == "audit":
            return cmd_audit_verify(args)
        return handlers[args.command](args)
    except CarbonLedgerError as exc:
        print(f"carbon-ledger: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
