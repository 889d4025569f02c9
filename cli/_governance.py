"""What the governance commands share: their flags, the signing key, the ledger they act on,
and how a transaction (or a state read) is printed.

A governance command acts on the data folder's deployment (``D/deployment.json``) on ``--rpc
URL`` or the folder's local chain. It signs with ``--keystore FILE`` (its password from
``--password-file``, else ``CARBON_LEDGER_KEYSTORE_PASSWORD``, else a prompt on a terminal),
else with the operator's key as every other command does (``chain.connect.operator_account``:
``CARBON_LEDGER_OPERATOR_KEY``, or the development key on the local chain only).

For each transaction it prints the hash, the block and the audit sequence numbers its events
carry, so a reader can find the change in ``audit verify`` and the store; ``--json`` prints
one object instead. A refusal by the contract is a ``ContractError``: ``cli.main`` prints its
one line (the Solidity error and its arguments) and exits 2.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from cli._args import data_dir_arg, rpc_arg

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from chain.client import LedgerClient, TxResult

Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def governance_args(parser: argparse.ArgumentParser, *, signs: bool = True) -> None:
    """``--data-dir``, ``--rpc``, ``--json`` and, for a command that sends, the key flags."""
    data_dir_arg(parser)
    rpc_arg(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    if signs:
        parser.add_argument(
            "--keystore",
            type=Path,
            metavar="FILE",
            help="sign with the key in this encrypted keystore; default: the operator's key",
        )
        password_file_arg(parser)


def address(text: str) -> str:
    """An argparse type: an account address (any case), checksummed."""
    from web3 import Web3

    if not Web3.is_address(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an address (0x and 40 hex digits)")
    return str(Web3.to_checksum_address(text))


def programme_code(text: str) -> str:
    """An argparse type: a programme code, 1 to 32 ASCII characters."""
    if not text or len(text) > 32 or not text.isascii():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a programme code (1-32 ASCII characters)"
        )
    return text


def password_file_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-file",
        type=Path,
        metavar="FILE",
        help="the keystore's password (first line); default: env "
        "CARBON_LEDGER_KEYSTORE_PASSWORD, else a prompt",
    )


def password(args: argparse.Namespace, *, confirm: bool = False) -> str:
    """The keystore password: ``--password-file``'s first line, the environment, or a prompt
    on a terminal (asked twice when ``confirm``)."""
    from chain.errors import ConfigurationError
    from chain.importer.keys import KEYSTORE_PASSWORD_ENV

    if args.password_file is not None:
        try:
            lines = args.password_file.read_text().splitlines()
        except OSError as exc:
            raise ConfigurationError(f"cannot read the password file: {exc}") from exc
        return lines[0] if lines else ""
    from_env = os.environ.get(KEYSTORE_PASSWORD_ENV)
    if from_env is not None:
        return from_env
    if not sys.stdin.isatty():
        raise ConfigurationError(
            f"give --password-file or set {KEYSTORE_PASSWORD_ENV} (no terminal to ask on)"
        )
    typed = getpass.getpass("keystore password: ")
    if confirm and getpass.getpass("again: ") != typed:
        raise ConfigurationError("the two passwords differ")
    return typed


def signer(args: argparse.Namespace) -> LocalAccount:
    """The key a command signs with (see the module docstring)."""
    from chain.connect import OPERATOR_KEY_ENV, operator_account
    from chain.errors import ConfigurationError
    from chain.importer.keys import load_keystore

    if args.keystore is not None:
        return load_keystore(args.keystore, password(args))
    if args.rpc is not None and not os.environ.get(OPERATOR_KEY_ENV):
        raise ConfigurationError(
            f"give --keystore FILE, or set {OPERATOR_KEY_ENV}, to sign on --rpc"
        )
    return operator_account(local_chain=args.rpc is None)


def open_ledger(args: argparse.Namespace, *, signs: bool = True) -> LedgerClient:
    """The data folder's ledger on the node, checked against ``deployment.json``; acting as
    the command's signer when ``signs``, read-only otherwise."""
    from chain.artifacts import ledger_abi
    from chain.client import LedgerClient
    from chain.connect import connect
    from chain.deployment import Deployment
    from chain.transactions import TxSender

    deployment = Deployment.load(args.data_dir / "deployment.json")
    w3 = connect(args.data_dir, args.rpc)
    deployment.check(w3)
    sender = TxSender(w3, signer(args), ledger_abi()) if signs else None
    return LedgerClient.for_deployment(w3, deployment, sender)


def program_id(ledger: LedgerClient, code: str) -> int:
    """The id of programme ``code``; refused (exit 2) if it is not registered."""
    from chain.errors import UnknownProgram

    found = ledger.program_id(code)
    if found == 0:
        raise UnknownProgram("UnknownProgram", {"code": code})
    return found


def tx_json(result: TxResult) -> dict[str, Any]:
    """A transaction as the commands print it: hash, block, gas, its events and their audit
    sequence numbers (events OpenZeppelin emits without one are listed, not numbered)."""
    return {
        "tx_hash": result.tx_hash,
        "block": result.block_number,
        "gas_used": result.gas_used,
        "audit_seq": [e.seq for e in result.events if "seq" in e.fields],
        "events": [e.name for e in result.events],
    }


def report(args: argparse.Namespace, action: str, results: Sequence[TxResult], **facts: Any) -> int:
    """Print what ``action`` did: one line per transaction (and per fact), or one JSON object
    ``{"action", "transactions": [...], **facts}``. Returns the exit status, 0."""
    if args.json:
        print(
            json.dumps(
                {"action": action, "transactions": [tx_json(r) for r in results], **facts},
                ensure_ascii=False,
            )
        )
        return 0
    print(action)
    for key, value in facts.items():
        print(f"  {key.replace('_', ' ')}: {_shown(value)}")
    for r in results:
        t = tx_json(r)
        seqs = ", ".join(str(s) for s in t["audit_seq"]) or "none"
        print(
            f"  tx {t['tx_hash']} in block {t['block']}: audit seq {seqs} ({', '.join(t['events'])})"
        )
    return 0


def show(args: argparse.Namespace, facts: dict[str, Any]) -> int:
    """Print a state read: ``key: value`` lines, or one JSON object. Returns 0."""
    if args.json:
        print(json.dumps(facts, ensure_ascii=False))
    else:
        for key, value in facts.items():
            print(f"{key.replace('_', ' ')}: {_shown(value)}")
    return 0


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)
