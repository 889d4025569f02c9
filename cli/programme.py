"""``carbon-ledger programme``: register a crediting programme, set its identity policy and
namespaces (as its admin), its unit and its buffer account, reverse credits from its buffer,
show it (``chain.programmes`` owns the policy each registry needs, ``chain.units`` the unit,
``chain.buffers`` the reversal)."""

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
    show,
)


def add_parser(commands: Subcommands) -> None:
    programme = commands.add_parser("programme", help="crediting programmes and their policies")
    sub = programme.add_subparsers(dest="programme_command", required=True)

    register = sub.add_parser(
        "register",
        help="register a programme with its admin (the ledger admin's key); the identity "
        "policy is applied when the signer is that admin",
    )
    register.add_argument("code", type=programme_code, help="programme code (VCS, GS, CDM, ...)")
    register.add_argument(
        "--admin", type=address, metavar="ADDR", help="the programme's admin; default: the signer"
    )
    governance_args(register)
    register.set_defaults(run=run_register)

    policy = sub.add_parser(
        "policy",
        help="set the identity policy (the programme admin's key); without flags, the one its "
        "registry needs, namespaces included",
    )
    policy.add_argument("code", type=programme_code)
    fixed = policy.add_mutually_exclusive_group()
    fixed.add_argument(
        "--fixed-namespaces",
        dest="fixed",
        action="store_const",
        const=True,
        help="bridge only into namespaces the admin allowed",
    )
    fixed.add_argument(
        "--open", dest="fixed", action="store_const", const=False, help="any namespace"
    )
    numeric = policy.add_mutually_exclusive_group()
    numeric.add_argument(
        "--numeric-ids",
        dest="numeric",
        action="store_const",
        const=True,
        help="project ids must be decimal numbers",
    )
    numeric.add_argument(
        "--any-ids", dest="numeric", action="store_const", const=False, help="any project id"
    )
    governance_args(policy)
    policy.set_defaults(run=run_policy)

    namespaces = sub.add_parser(
        "namespaces", help="allow or withdraw namespaces (the programme admin's key)"
    )
    namespaces.add_argument("code", type=programme_code)
    which = namespaces.add_mutually_exclusive_group(required=True)
    which.add_argument("--allow", nargs="+", metavar="NS", help="namespaces to allow")
    which.add_argument("--withdraw", nargs="+", metavar="NS", help="namespaces to withdraw")
    governance_args(namespaces)
    namespaces.set_defaults(run=run_namespaces)

    unit = sub.add_parser(
        "unit",
        help="set what one serial is (the programme admin's key; only before its first project)",
    )
    unit.add_argument("code", type=programme_code)
    size = unit.add_mutually_exclusive_group(required=True)
    size.add_argument("--tonne", dest="grams", action="store_const", const=1_000_000)
    size.add_argument("--kg", dest="grams", action="store_const", const=1_000)
    size.add_argument("--grams", type=int, metavar="N", help="grams of CO2e per serial")
    governance_args(unit)
    unit.set_defaults(run=run_unit)

    buffer = sub.add_parser(
        "buffer", help="name the programme's buffer account (the programme admin's key)"
    )
    buffer.add_argument("code", type=programme_code)
    buffer.add_argument("account", type=address, metavar="ADDR")
    governance_args(buffer)
    buffer.set_defaults(run=run_buffer)

    reverse = sub.add_parser(
        "reverse",
        help="cancel buffer credits to make good a reversal of a batch (the programme admin's "
        "key): the lowest serials the buffer account holds in --from-batch, in tonnes",
    )
    reverse.add_argument("--batch", type=int, required=True, metavar="N", help="reversed batch")
    reverse.add_argument(
        "--tonnes", required=True, metavar="T", help="exact tonnes (1.234 for a kg programme)"
    )
    reverse.add_argument(
        "--from-batch",
        type=int,
        action="append",
        required=True,
        metavar="B",
        help="a buffer batch of the same programme to cancel from (repeatable, in order)",
    )
    reverse.add_argument("--reason", required=True, help="why (recorded on-chain)")
    governance_args(reverse)
    reverse.set_defaults(run=run_reverse)

    shown = sub.add_parser("show", help="a programme's id and identity policy")
    shown.add_argument("code", type=programme_code)
    shown.add_argument(
        "--namespace", action="append", default=[], metavar="NS", help="also say if NS is allowed"
    )
    governance_args(shown, signs=False)
    shown.set_defaults(run=run_show)


def run_register(args: argparse.Namespace) -> int:
    from chain.programmes import identity, registration

    ledger = open_ledger(args)
    admin = args.admin or ledger.account
    pid, results = registration(ledger, args.code, admin=admin)
    facts: dict[str, object] = {"code": args.code, "program_id": pid, "admin": admin}
    if admin.lower() != ledger.account.lower() and not identity(args.code).is_open:
        facts["next"] = (
            f"the programme admin sets its policy: carbon-ledger programme policy {args.code}"
        )
    return report(args, f"registered programme {args.code}", results, **facts)


def run_policy(args: argparse.Namespace) -> int:
    from chain.programmes import apply_identity, identity

    ledger = open_ledger(args)
    pid = program_id(ledger, args.code)
    if args.fixed is None and args.numeric is None:
        policy = identity(args.code)
        results = apply_identity(ledger, pid, policy)
        fixed, numeric = policy.fixed_namespaces is not None, policy.numeric_project_ids
    else:
        current = ledger.program_policy(pid)
        fixed = current.fixed_namespaces if args.fixed is None else args.fixed
        numeric = current.numeric_project_ids if args.numeric is None else args.numeric
        results = [
            ledger.set_program_policy(pid, fixed_namespaces=fixed, numeric_project_ids=numeric)
        ]
    return report(
        args,
        f"set the policy of programme {args.code}",
        results,
        program_id=pid,
        fixed_namespaces=fixed,
        numeric_project_ids=numeric,
    )


def run_namespaces(args: argparse.Namespace) -> int:
    from chain.programmes import set_namespaces

    ledger = open_ledger(args)
    pid = program_id(ledger, args.code)
    allowed = args.allow is not None
    names: list[str] = args.allow if allowed else args.withdraw
    results = set_namespaces(ledger, pid, names, allowed=allowed)
    verb = "allowed" if allowed else "withdrew"
    return report(
        args,
        f"{verb} {len(names)} namespace(s) of programme {args.code}",
        results,
        program_id=pid,
        namespaces=names,
        allowed=allowed,
    )


def run_unit(args: argparse.Namespace) -> int:
    from chain.units import Unit

    ledger = open_ledger(args)
    pid = program_id(ledger, args.code)
    unit = Unit(args.grams)
    result = ledger.set_program_unit(pid, unit.chain_value)
    return report(
        args,
        f"one serial of programme {args.code} is now 1 {unit.symbol}",
        [result],
        program_id=pid,
        unit_grams=unit.grams,
    )


def run_buffer(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    pid = program_id(ledger, args.code)
    result = ledger.set_program_buffer(pid, args.account)
    return report(
        args,
        f"set the buffer account of programme {args.code}",
        [result],
        program_id=pid,
        buffer_account=args.account,
    )


def run_reverse(args: argparse.Namespace) -> int:
    from chain.buffers import plan_reversal, reverse

    ledger = open_ledger(args)
    runs = plan_reversal(ledger, args.batch, args.tonnes, args.from_batch)
    results = reverse(ledger, args.batch, runs, args.reason)
    return report(
        args,
        f"cancelled {args.tonnes} t of buffer credits for a reversal of batch {args.batch}",
        results,
        reversed_batch=args.batch,
        tonnes=args.tonnes,
        serials=[f"batch {r.batch_id}: {r.first}..{r.last}" for r in runs],
    )


def run_show(args: argparse.Namespace) -> int:
    ledger = open_ledger(args, signs=False)
    pid = program_id(ledger, args.code)
    policy = ledger.program_policy(pid)
    facts: dict[str, object] = {
        "code": policy.code,
        "program_id": pid,
        "fixed_namespaces": policy.fixed_namespaces,
        "numeric_project_ids": policy.numeric_project_ids,
        "unit_grams": ledger.program_unit(pid).grams,
        "buffer_account": ledger.buffer_account(pid),
        "admin_role": "0x" + ledger.program_admin_role(pid).hex(),
        "issuer_role": "0x" + ledger.issuer_role(pid).hex(),
    }
    if args.namespace:
        facts["namespaces"] = {ns: ledger.namespace_allowed(pid, ns) for ns in args.namespace}
    return show(args, facts)
