"""``carbon-ledger ledger``: moving the data folder's ledger to a successor (docs/AUDIT.md,
"Migration"; ``chain.migration``), one step per key:

- ``seal`` (the ledger admin): schedule the seal, announced and delayed like an admin
  hand-over; run again once due, it seals. ``cancel-seal`` withdraws a scheduled one.
- ``succeed`` (the ledger admin): seal when due, then deploy the successor naming the sealed
  ledger, register its programmes with the same admins and grant the compliance and pauser
  roles as they were. ``D/deployment.json`` becomes the successor's (keeping the
  predecessor's record); the predecessor's is kept as ``D/deployment-<address>.json`` and its
  SQLite store, if any, as ``D/ledger-<address>.sqlite3`` (a store serves one ledger).
- ``carry-programme CODE`` (that programme's admin), ``carry-accounts`` (compliance; again
  after the credits, for the freezes), ``carry-credits CODE`` (that programme's issuer): the
  predecessor's policies, namespaces, issuers, accounts and live credits on the successor.
- ``carry-links CODE`` (that programme's admin, after the credits): the predecessor's links
  between CODE's projects and other programmes'; of the two admins the first to run it
  proposes each link, the second accepts it.
- ``show``: the seal, the predecessor and how much of its live state is carried.

``audit verify`` then checks the successor and its predecessors across the boundary.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from cli._args import non_negative
from cli._governance import (
    Subcommands,
    governance_args,
    open_ledger,
    programme_code,
    report,
    show,
)


def add_parser(commands: Subcommands) -> None:
    ledger = commands.add_parser("ledger", help="seal the ledger and move to its successor")
    sub = ledger.add_subparsers(dest="ledger_command", required=True)
    seal = sub.add_parser(
        "seal",
        help="schedule the seal (the ledger admin's key); once its delay has passed, seal",
    )
    _leave_pooled_arg(seal)
    governance_args(seal)
    seal.set_defaults(run=run_seal)
    cancel = sub.add_parser("cancel-seal", help="withdraw a scheduled seal (the admin's key)")
    governance_args(cancel)
    cancel.set_defaults(run=run_cancel)
    succeed = sub.add_parser(
        "succeed",
        help="seal when due, then deploy the successor with the same programmes and roles "
        "(the ledger admin's key); D/deployment.json becomes the successor's",
    )
    succeed.add_argument(
        "--admin-delay",
        type=non_negative,
        default=None,
        metavar="SECONDS",
        help="the successor's admin hand-over delay; default: the predecessor's",
    )
    _leave_pooled_arg(succeed)
    governance_args(succeed)
    succeed.set_defaults(run=run_succeed)
    programme = sub.add_parser(
        "carry-programme",
        help="the predecessor's policy, namespaces and issuers of programme CODE, on the "
        "successor (that programme's admin key)",
    )
    programme.add_argument("code", type=programme_code)
    governance_args(programme)
    programme.set_defaults(run=run_carry_programme)
    accounts = sub.add_parser(
        "carry-accounts",
        help="the predecessor's allowlist, account and batch freezes, on the successor "
        "(compliance key; run before and after carry-credits)",
    )
    governance_args(accounts)
    accounts.set_defaults(run=run_carry_accounts)
    credits = sub.add_parser(
        "carry-credits",
        help="programme CODE's projects and live credits, each range to its holder with its "
        "batch's metadata (an issuer key of CODE)",
    )
    credits.add_argument("code", type=programme_code)
    governance_args(credits)
    credits.set_defaults(run=run_carry_credits)
    links = sub.add_parser(
        "carry-links",
        help="the predecessor's links between programme CODE's projects and other programmes' "
        "(CODE's admin key, after carry-credits): the first admin proposes, the other accepts",
    )
    links.add_argument("code", type=programme_code)
    governance_args(links)
    links.set_defaults(run=run_carry_links)
    shown = sub.add_parser("show", help="the seal, the predecessor and the carry-over")
    governance_args(shown, signs=False)
    shown.set_defaults(run=run_show)


def _leave_pooled_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--leave-pooled",
        action="store_true",
        help="seal although pools hold credits (a successor cannot carry them; by default "
        "the seal is refused, naming each pool, until their unit holders redeem)",
    )


def _when(timestamp: int) -> str | None:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat() if timestamp else None


def _seal_facts(status: Any) -> dict[str, Any]:
    return {
        "sealed": status.sealed,
        "seal_at": _when(status.seal_at),
        "due": status.due,
        "pooled": [{"pool_id": pool, "tonnes": units} for pool, units in status.pooled],
    }


def run_seal(args: argparse.Namespace) -> int:
    from chain.migration import seal_step

    ledger = open_ledger(args)
    status, results = seal_step(ledger, leave_pooled=args.leave_pooled)
    facts = _seal_facts(status)
    if status.sealed:
        _, seq, head, commitment = ledger.final_state()
        facts |= {"audit_seq": seq, "audit_head": "0x" + head.hex()}
        facts["commitment"] = "0x" + commitment.hex()
        action = "sealed the ledger"
    else:
        action = f"the seal is scheduled: run `carbon-ledger ledger seal` from {facts['seal_at']}"
        if status.pooled:
            action += "; pools still hold credits, which their unit holders redeem before then"
    return report(args, action, results, **facts)


def run_cancel(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    result = ledger.cancel_seal()
    return report(args, "cancelled the scheduled seal", [result], sealed=False)


def run_succeed(args: argparse.Namespace) -> int:
    from chain.deployment import Deployment
    from chain.migration import deploy_successor, seal_step
    from chain.store.engine import SQLITE_FILE

    ledger = open_ledger(args)
    path = args.data_dir / "deployment.json"
    old = Deployment.load(path)
    status, results = seal_step(ledger, leave_pooled=args.leave_pooled)
    if not status.sealed and status.due:  # scheduled just now, with no delay
        status, more = seal_step(ledger, leave_pooled=args.leave_pooled)
        results += more
    if not status.sealed:
        return report(
            args,
            f"the seal is scheduled: run `carbon-ledger ledger succeed` again from "
            f"{_when(status.seal_at)}",
            results,
            **_seal_facts(status),
        )
    assert ledger.sender is not None
    delay = ledger.admin_delay() if args.admin_delay is None else args.admin_delay
    new, more = deploy_successor(ledger.sender, old, admin_delay=delay)
    results += more
    kept = args.data_dir / f"deployment-{old.address}.json"
    old.save(kept)
    store = args.data_dir / SQLITE_FILE
    if store.exists():
        store.replace(args.data_dir / f"ledger-{old.address}.sqlite3")
    new.save(path)
    return report(
        args,
        f"deployed the successor {new.address} of the sealed ledger {old.address}",
        results,
        address=new.address,
        predecessor=old.address,
        predecessor_head=new.predecessor_head,
        deploy_block=new.deploy_block,
        predecessor_record=str(kept),
        next=(
            "each programme admin: carbon-ledger ledger carry-programme CODE; compliance: "
            "ledger carry-accounts; each issuer: ledger carry-credits CODE; compliance: "
            "ledger carry-accounts; each programme admin: ledger carry-links CODE; then "
            "carbon-ledger audit verify"
        ),
    )


def _successor(args: argparse.Namespace, *, signs: bool = True) -> tuple[Any, Any]:
    from chain.deployment import Deployment

    ledger = open_ledger(args, signs=signs)
    return ledger, Deployment.load(args.data_dir / "deployment.json")


def run_carry_programme(args: argparse.Namespace) -> int:
    from chain.migration import carry_programme

    ledger, successor = _successor(args)
    pid, results = carry_programme(ledger, successor, args.code)
    policy = ledger.program_policy(pid)
    return report(
        args,
        f"carried programme {args.code}'s policy, namespaces and issuers",
        results,
        program_id=pid,
        fixed_namespaces=policy.fixed_namespaces,
        numeric_project_ids=policy.numeric_project_ids,
    )


def run_carry_accounts(args: argparse.Namespace) -> int:
    from chain.migration import carry_accounts

    ledger, successor = _successor(args)
    done = carry_accounts(ledger, successor)
    facts: dict[str, Any] = {"held_open": done.held_open}
    if done.held_open:
        facts["next"] = (
            "frozen on the predecessor, left open to receive their credits: run "
            "carry-accounts again after carry-credits"
        )
    return report(args, "carried the accounts' flags and batch freezes", done.results, **facts)


def run_carry_credits(args: argparse.Namespace) -> int:
    from chain.migration import carry_credits

    ledger, successor = _successor(args)
    done = carry_credits(ledger, successor, args.code)
    if not args.json:
        for b in done.batches:
            print(
                f"  predecessor batch {b['predecessor_batch']} serials {b['first_serial']}.."
                f"{b['last_serial']} → batch {b['batch_id']} held by {b['holder']}"
            )
    return report(
        args,
        f"carried {len(done.batches)} live range(s) of programme {args.code}",
        done.results,
        batches=done.batches,
    )


def run_carry_links(args: argparse.Namespace) -> int:
    from chain.migration import carry_links

    ledger, successor = _successor(args)
    done = carry_links(ledger, successor, args.code)
    if not args.json:
        for link in done.links:
            group = f" (link group {link.link_group})" if link.link_group else ""
            why = f": {link.reason}" if link.reason else ""
            print(f"  {link.link}: {link.status}{group}{why}")
    counts = {s: sum(link.status == s for link in done.links) for s in _LINK_STATUSES}
    said = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    facts: dict[str, Any] = {"links": [link.as_json() for link in done.links]} if args.json else {}
    if counts["waiting"] or counts["proposed"] or counts["awaiting"]:
        facts["next"] = (
            "the other programme's admin runs carry-links for its programme; run this again "
            "once what a link waits for is done"
        )
    return report(
        args,
        f"programme {args.code}'s {len(done.links)} link(s) of the predecessor"
        + (f": {said}" if said else ""),
        done.results,
        **facts,
    )


_LINK_STATUSES = ("accepted", "proposed", "awaiting", "carried", "waiting", "blocked")


def run_show(args: argparse.Namespace) -> int:
    from chain.migration import read_state, seal_status
    from chain.succession import check_carry

    ledger, deployment = _successor(args, signs=False)
    status = seal_status(ledger)
    facts: dict[str, Any] = {"address": deployment.address, **_seal_facts(status)}
    if status.sealed:
        _, seq, head, commitment = ledger.final_state()
        facts |= {"audit_seq": seq, "audit_head": "0x" + head.hex()}
        facts["commitment"] = "0x" + commitment.hex()
    facts["predecessor"] = deployment.predecessor
    record = deployment.predecessor_record
    if record is not None:
        carry = check_carry(read_state(ledger.w3, record), read_state(ledger.w3, deployment))
        facts |= {
            "live_ranges": carry.live_ranges,
            "carried_ranges": carry.carried_ranges,
            "live_tonnes": carry.live_tonnes,
            "carried_tonnes": carry.carried_tonnes,
            "links": carry.links,
            "carried_links": carry.carried_links,
            "carry_problems": len(carry.findings) - len(carry.pending),
        }
    return show(args, facts)
