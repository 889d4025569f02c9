"""``carbon-ledger``: the command line (SPEC §2).

Every command takes ``--data-dir D`` (default ``./.carbon-ledger``). A command that needs a
chain and gets no ``--rpc`` uses the data folder's local anvil, starting it if needed, so
separate commands share one ledger. ``demo`` alone runs in-process and needs no Node.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from chain.errors import CarbonLedgerError
from cli import (
    account,
    admin,
    audit,
    batch,
    demo,
    deploy,
    export,
    importer,
    index,
    issuer,
    keystore,
    ledger,
    pause,
    pool,
    programme,
    project,
    serve,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="carbon-ledger", description="Serialised carbon credits on a permissioned EVM ledger."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo.add_parser(commands)
    deploy.add_parsers(commands)  # deploy, chain
    index.add_parser(commands)
    importer.add_parser(commands)
    export.add_parser(commands)
    audit.add_parser(commands)
    serve.add_parser(commands)
    programme.add_parser(commands)
    issuer.add_parser(commands)
    project.add_parser(commands)
    account.add_parser(commands)
    pool.add_parser(commands)
    batch.add_parser(commands)
    pause.add_parsers(commands)  # pause, unpause
    admin.add_parser(commands)
    keystore.add_parser(commands)
    ledger.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except CarbonLedgerError as exc:
        print(f"carbon-ledger: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
