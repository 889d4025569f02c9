"""``carbon-ledger issuer grant|revoke CODE ADDR``: a programme's issuers, granted and revoked
by that programme's admin alone (the contract refuses anyone else, the ledger admin too)."""

from __future__ import annotations

import argparse

from cli._governance import (
    Subcommands,
    address,
    governance_args,
    open_ledger,
    program_id,
    programme_code,
    report,
)


def add_parser(commands: Subcommands) -> None:
    issuer = commands.add_parser("issuer", help="a programme's issuers (its admin's key)")
    sub = issuer.add_subparsers(dest="issuer_command", required=True)
    for name, verb in (("grant", "grant"), ("revoke", "revoke")):
        cmd = sub.add_parser(name, help=f"{verb} programme CODE's issuer role to/from ADDR")
        cmd.add_argument("code", type=programme_code, help="programme code (VCS, GS, CDM, ...)")
        cmd.add_argument("address", type=address, metavar="ADDR")
        governance_args(cmd)
        cmd.set_defaults(run=run, grant=name == "grant")


def run(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    pid = program_id(ledger, args.code)
    if args.grant:
        result = ledger.grant_issuer(pid, args.address)
    else:
        result = ledger.revoke_issuer(pid, args.address)
    verb = "granted" if args.grant else "revoked"
    return report(
        args,
        f"{verb} the {args.code} issuer role {'to' if args.grant else 'from'} {args.address}",
        [result],
        program_id=pid,
        account=args.address,
        issuer=ledger.has_role(ledger.issuer_role(pid), args.address),
    )
