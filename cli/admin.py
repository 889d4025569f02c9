"""``carbon-ledger admin``: the two-step hand-over of the ledger's default admin
(OpenZeppelin's AccessControlDefaultAdminRules): the admin begins it naming the new admin, who
accepts with its own key once the delay has passed; until then the admin may cancel it."""

from __future__ import annotations

import argparse
import datetime as dt

from cli._governance import Subcommands, address, governance_args, open_ledger, report, show

_ZERO = "0x" + "0" * 40


def add_parser(commands: Subcommands) -> None:
    admin = commands.add_parser("admin", help="hand the ledger's default admin over, in two steps")
    sub = admin.add_subparsers(dest="admin_command", required=True)
    transfer = sub.add_parser(
        "transfer", help="begin handing the admin over to ADDR (the admin's key)"
    )
    transfer.add_argument("address", type=address, metavar="ADDR")
    governance_args(transfer)
    transfer.set_defaults(run=run_transfer)
    accept = sub.add_parser("accept", help="accept a hand-over (the new admin's key)")
    governance_args(accept)
    accept.set_defaults(run=run_accept)
    cancel = sub.add_parser("cancel", help="withdraw a pending hand-over (the admin's key)")
    governance_args(cancel)
    cancel.set_defaults(run=run_cancel)
    shown = sub.add_parser("show", help="the admin, a pending hand-over and the delay")
    governance_args(shown, signs=False)
    shown.set_defaults(run=run_show)


def run_transfer(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    result = ledger.begin_admin_transfer(args.address)
    pending, accept_after = ledger.pending_admin()
    return report(
        args,
        f"began handing the admin over to {args.address}",
        [result],
        pending_admin=pending,
        accept_after=_when(accept_after),
    )


def run_accept(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    result = ledger.accept_admin_transfer()
    return report(args, "accepted the admin", [result], admin=ledger.default_admin())


def run_cancel(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    result = ledger.cancel_admin_transfer()
    return report(args, "cancelled the admin hand-over", [result], admin=ledger.default_admin())


def run_show(args: argparse.Namespace) -> int:
    ledger = open_ledger(args, signs=False)
    pending, accept_after = ledger.pending_admin()
    return show(
        args,
        {
            "admin": ledger.default_admin(),
            "pending_admin": None if pending == _ZERO else pending,
            "accept_after": _when(accept_after) if pending != _ZERO else None,
            "delay_seconds": ledger.admin_delay(),
        },
    )


def _when(timestamp: int) -> str:
    """A unix time as ISO 8601 UTC (the contract's schedule is a block timestamp)."""
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat()
