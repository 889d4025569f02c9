"""``carbon-ledger serve``: the flags into ``api.settings.Settings``, then ``api.serve``."""

from __future__ import annotations

import argparse

from cli._args import data_dir_arg, db_arg, rpc_arg


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="run the HTTP API and the indexer beside it")
    data_dir_arg(serve)
    rpc_arg(serve)
    db_arg(serve)
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
    serve.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from api.serve import serve
    from api.settings import Settings

    flags = {"data_dir": args.data_dir, "dev": args.dev}
    for name in ("rpc", "db", "host", "port", "read_workers"):
        if getattr(args, name) is not None:
            flags[name] = getattr(args, name)
    return serve(Settings(**flags))
