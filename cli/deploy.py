"""``carbon-ledger deploy`` (``chain.provision``) and ``carbon-ledger chain`` (the data
folder's local anvil in the foreground)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli._args import data_dir_arg, rpc_arg
from cli._governance import address, password_file_arg


def program_admin(text: str) -> tuple[str, str]:
    """An argparse type: ``CODE=0xADDR``."""
    from chain.provision import parse_program_admin

    try:
        return parse_program_admin(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    deploy = commands.add_parser(
        "deploy",
        help="deploy the ledger and write D/deployment.json",
        description="Deploy the ledger. On a real node (--rpc) name the compliance and pauser "
        "accounts (separate from the deploying admin key and from each other) and each "
        "standard programme's admin; a programme without one is not registered. On the local "
        "dev chain the operator holds every role unless a flag names another account.",
    )
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
        "--compliance",
        type=address,
        metavar="ADDR",
        help="holder of COMPLIANCE_ROLE (required with --rpc; default on the local chain: the "
        "operator)",
    )
    deploy.add_argument(
        "--pauser",
        type=address,
        metavar="ADDR",
        help="holder of PAUSER_ROLE (required with --rpc; default on the local chain: the "
        "operator)",
    )
    deploy.add_argument(
        "--program-admin",
        type=program_admin,
        action="append",
        default=[],
        metavar="CODE=ADDR",
        help="a standard programme's admin (repeatable: VCS=0x..., GS=0x...); with --rpc a "
        "programme without one is not registered",
    )
    deploy.add_argument(
        "--keystore",
        type=Path,
        metavar="FILE",
        help="sign (as the ledger admin) with the key in this encrypted keystore; default: "
        "the operator's key",
    )
    password_file_arg(deploy)
    deploy.add_argument(
        "--no-programmes",
        action="store_true",
        help="on the local chain, register only the programmes --program-admin names (a "
        "consortium registers each with its registry's admin: carbon-ledger programme register "
        "CODE --admin ADDR); a real node always does so",
    )
    deploy.set_defaults(run=run_deploy)

    node = commands.add_parser("chain", help="run the data folder's local anvil in the foreground")
    data_dir_arg(node)
    node.add_argument("--port", type=int, default=8545, help="port to listen on (default 8545)")
    node.set_defaults(run=run_chain)


def run_deploy(args: argparse.Namespace) -> int:
    from chain.connect import connect, is_dev_chain
    from chain.errors import ConfigurationError
    from chain.provision import Roles, deploy_into
    from cli._governance import signer

    admins: dict[str, str] = {}
    for code, admin in args.program_admin:
        if admins.get(code, admin) != admin:
            raise ConfigurationError(
                f"--program-admin {code} names two admins, {admins[code]} and {admin}"
            )
        admins[code] = admin
    roles = Roles(
        compliance=args.compliance,
        pauser=args.pauser,
        program_admins=admins,
        standard_programmes=not args.no_programmes,
    )
    operator = signer(args)
    w3 = connect(args.data_dir, args.rpc)
    deploy_into(
        args.data_dir,
        w3,
        # anvil at --rpc is a developer's chain too: one key may hold every role there.
        on_local_chain=args.rpc is None or is_dev_chain(w3),
        admin_delay=args.admin_delay,
        force=args.force,
        roles=roles,
        operator=operator,
    )
    return 0


def run_chain(args: argparse.Namespace) -> int:
    from chain.anvil import NodeOptions, run_foreground

    return run_foreground(args.data_dir, NodeOptions(port=args.port))
