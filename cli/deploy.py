"""``carbon-ledger deploy`` (``chain.provision``) and ``carbon-ledger chain`` (the data
folder's local anvil in the foreground)."""

from __future__ import annotations

import argparse

from cli._args import data_dir_arg, rpc_arg


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    deploy = commands.add_parser("deploy", help="deploy the ledger and write D/deployment.json")
    data_dir_arg(deploy)
    rpc_arg(deploy)
    deploy.add_argument(
        "--admin-delay",
        type=int,
        default=2 * 24 * 3600,
        help="seconds the two-step admin hand-over waits (default 172800, two days)",
    )
    deploy.add_argument(
        "--force", action="store_true", help="deploy a new ledger even if D/deployment.json exists"
    )
    deploy.add_argument(
        "--no-programmes",
        action="store_true",
        help="register no programme (a consortium registers each with its registry's admin: "
        "carbon-ledger programme register CODE --admin ADDR); default: the standard ones, "
        "administered by the operator",
    )
    deploy.set_defaults(run=run_deploy)

    node = commands.add_parser("chain", help="run the data folder's local anvil in the foreground")
    data_dir_arg(node)
    node.add_argument("--port", type=int, default=8545, help="port to listen on (default 8545)")
    node.set_defaults(run=run_chain)


def run_deploy(args: argparse.Namespace) -> int:
    from chain.connect import connect
    from chain.programmes import STANDARD_PROGRAMMES
    from chain.provision import deploy_into

    w3 = connect(args.data_dir, args.rpc)
    deploy_into(
        args.data_dir,
        w3,
        on_local_chain=args.rpc is None,
        admin_delay=args.admin_delay,
        force=args.force,
        programmes=() if args.no_programmes else STANDARD_PROGRAMMES,
    )
    return 0


def run_chain(args: argparse.Namespace) -> int:
    from chain.anvil import NodeOptions, run_foreground

    return run_foreground(args.data_dir, NodeOptions(port=args.port))
