"""``carbon-ledger account``: the compliance officer's allowlist and freezes (ERC-3643 style),
what the ledger holds about an account, and a holder withdrawing its pending signatures.

The contract sets both flags at once (``setAccount(account, allowed, frozen)``); each command
changes one and keeps the other as the ledger has it now."""

from __future__ import annotations

import argparse

from cli._args import non_negative
from cli._governance import Subcommands, address, governance_args, open_ledger, report, show

_CHANGES = {
    "allow": ("allowed", True, "allowlist ADDR (it may hold and receive credits)"),
    "disallow": ("allowed", False, "take ADDR off the allowlist"),
    "freeze": ("frozen", True, "freeze ADDR (it can neither send nor receive)"),
    "unfreeze": ("frozen", False, "lift ADDR's freeze"),
}


def add_parser(commands: Subcommands) -> None:
    account = commands.add_parser("account", help="the allowlist and freezes (compliance key)")
    sub = account.add_subparsers(dest="account_command", required=True)
    for name, (flag, value, help_text) in _CHANGES.items():
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("address", type=address, metavar="ADDR")
        governance_args(cmd)
        cmd.set_defaults(run=run_change, flag=flag, value=value, verb=name)
    recover = sub.add_parser(
        "recover",
        help="move the live credits of LOST (a frozen account whose key was lost) to NEW "
        "(an allowlisted account of the same holder; ERC-3643's recovery, audited)",
    )
    recover.add_argument("lost", type=address, metavar="LOST")
    recover.add_argument("replacement", type=address, metavar="NEW")
    recover.add_argument(
        "--batch",
        dest="batches",
        type=non_negative,
        action="append",
        metavar="ID",
        help="only this batch (repeatable; default: every batch LOST holds credits of)",
    )
    governance_args(recover)
    recover.set_defaults(run=run_recover)
    invalidate = sub.add_parser(
        "invalidate-signatures",
        help="as a holder or issuer, spend your next signature nonce: a request you signed "
        "with it (a retirement or bridging for a relayer) can no longer be relayed (works "
        "while paused)",
    )
    governance_args(invalidate)
    invalidate.set_defaults(run=run_invalidate)
    shown = sub.add_parser("show", help="whether ADDR is allowlisted or frozen")
    shown.add_argument("address", type=address, metavar="ADDR")
    governance_args(shown, signs=False)
    shown.set_defaults(run=run_show)


def run_change(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    status = ledger.account_status(args.address)
    allowed = args.value if args.flag == "allowed" else status.allowed
    frozen = args.value if args.flag == "frozen" else status.frozen
    result = ledger.set_account(args.address, allowed=allowed, frozen=frozen)
    return report(
        args,
        f"account {args.verb} {args.address}",
        [result],
        account=args.address,
        allowed=allowed,
        frozen=frozen,
    )


def run_show(args: argparse.Namespace) -> int:
    ledger = open_ledger(args, signs=False)
    status = ledger.account_status(args.address)
    return show(args, {"account": args.address, "allowed": status.allowed, "frozen": status.frozen})


def run_recover(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    batches = args.batches or range(1, ledger.batch_count() + 1)
    ranges = [(b, r.first) for b in batches for r in ledger.holdings(b, args.lost)]
    result = ledger.recover(args.lost, args.replacement, ranges)
    return report(
        args,
        f"recovered {len(ranges)} range(s) of {args.lost} to {args.replacement}",
        [result],
        lost=args.lost,
        replacement=args.replacement,
        ranges=[{"batch_id": b, "first_serial": first} for b, first in ranges],
    )


def run_invalidate(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    spent = ledger.nonce(ledger.account)
    result = ledger.use_nonce()
    return report(
        args,
        f"signatures of {ledger.account} with nonce {spent} invalidated",
        [result],
        account=ledger.account,
        nonce_invalidated=spent,
        next_nonce=spent + 1,
    )
