"""``carbon-ledger keystore create FILE``: a new account in an encrypted Web3 Secret Storage
(scrypt) keystore, for ``--keystore`` of the governance commands. It never overwrites a file:
a keystore may hold the only copy of a key."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from cli._governance import Subcommands, password, password_file_arg


def add_parser(commands: Subcommands) -> None:
    keystore = commands.add_parser("keystore", help="encrypted keys for --keystore")
    sub = keystore.add_subparsers(dest="keystore_command", required=True)
    create = sub.add_parser("create", help="a new account in an encrypted keystore FILE")
    create.add_argument("file", type=Path, metavar="FILE")
    password_file_arg(create)
    create.add_argument("--json", action="store_true", help="print one JSON object")
    create.set_defaults(run=run_create)


def run_create(args: argparse.Namespace) -> int:
    from eth_account import Account

    from chain.errors import ConfigurationError

    path: Path = args.file
    if path.exists():
        raise ConfigurationError(f"{path} exists: a keystore is never overwritten")
    secret = password(args, confirm=True)
    if secret == "":
        raise ConfigurationError("the password is empty: a keystore needs one")
    account = Account.create()
    document = Account.encrypt(account.key, secret, kdf="scrypt")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: a file that appeared since the check above is not overwritten either
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigurationError(f"{path} exists: a keystore is never overwritten") from None
    with os.fdopen(fd, "w") as out:
        json.dump(document, out)
    if args.json:
        print(json.dumps({"address": account.address, "keystore": str(path)}))
    else:
        print(f"created {account.address} in {path}")
    return 0
