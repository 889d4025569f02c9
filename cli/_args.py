"""The flags several commands share, and what they resolve to."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_DATA_DIR = Path(".carbon-ledger")


def data_dir_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="data folder (deployment.json, store, keystores, local chain); default ./.carbon-ledger",
    )


def rpc_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rpc", help="JSON-RPC URL of the node; default: the data folder's local anvil"
    )


def db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", help="store URL (sqlite:///… or postgresql://…); default: D/ledger.sqlite3"
    )


def non_negative(text: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def store_url(args: argparse.Namespace) -> str:
    """``--db``, or the data folder's SQLite store."""
    from chain.store.engine import default_url

    return str(args.db) if args.db else default_url(args.data_dir)
