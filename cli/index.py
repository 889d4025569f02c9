"""``carbon-ledger index``: mirror the chain into the query store, once or following."""

from __future__ import annotations

import argparse

from cli._args import data_dir_arg, db_arg, rpc_arg, store_url
from cli._progress import IndexProgress


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    index = commands.add_parser(
        "index", help="mirror the chain into the query store (one indexer per store at a time)"
    )
    data_dir_arg(index)
    rpc_arg(index)
    db_arg(index)
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
    index.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import threading

    from chain.connect import connect
    from chain.deployment import Deployment
    from chain.indexer.core import Indexer
    from chain.store.engine import open_store

    deployment = Deployment.load(args.data_dir / "deployment.json")
    w3 = connect(args.data_dir, args.rpc)
    engine = open_store(store_url(args))
    show = IndexProgress()
    indexer = Indexer(w3, engine, deployment, confirmations=args.confirmations, on_progress=show)
    try:
        if args.follow:
            stop = threading.Event()
            try:
                indexer.follow(stop, poll_interval=args.poll)
            except KeyboardInterrupt:
                stop.set()
            return 0
        p = indexer.sync()
    finally:
        show.close()
    print(f"indexed to block {p.block:,}: {p.events:,} new events, audit seq {p.audit_seq:,}")
    return 0
