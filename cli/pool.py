"""``carbon-ledger pool grant|revoke|create|tighten|deposit|redeem|retire|show|list``: pools of eligible
credits with fungible units (issue 15), thin over the client (``chain.pools``).

``create`` and ``tighten`` need POOL_ADMIN_ROLE (``grant``/``revoke``, by the ledger's admin); a rule set is the admitted programmes
(``--program``, repeatable), a vintage window (``--vintage-from``/``--vintage-to``), the
labels every batch must carry (``--label``) and, for countries, project types and
methodologies, either ``--X-only VALUE`` (only the listed) or ``--X-except VALUE`` (all but
the listed). ``tighten`` keeps every rule it is not given; a kind it moves from any gets its
list in the same transaction (the ledger refuses "only" with none), ``--X-except`` on an
all-but-listed kind adds exclusions, and ``--X-only`` on an only-listed kind is its new list:
a non-empty subset of the current one (read from the ledger, ``chain.pool_lists``), the rest
unlisted in one transaction per kind; the ledger refuses a change that would admit what the
pool refuses. ``deposit`` moves exact serials of a batch the signer holds
into the pool for as many units; ``redeem`` burns units for exact serials (the pool's order:
oldest vintage start, lowest batch, lowest serial; or ``--batch B --last-serial L`` for the
range the pool holds under that key); ``retire`` burns units and retires as many serials for
a beneficiary, one retirement per range, and prints each with its certificate. ``deposit``,
``redeem`` and ``retire`` print each range they moved with its registry-format serial, rebuilt
from what the ledger holds of its batch (``chain.batch_serials``), or the numbers alone where
the batch's stored text gives none.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from cli._args import non_negative
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

if TYPE_CHECKING:
    from chain.client import LedgerClient, TxResult
    from chain.domain import PoolKind, PoolRules

_LISTS = (
    ("countries", "country", "countries"),
    ("types", "project type", "project_types"),
    ("methodologies", "methodology", "methodologies"),
)
_MODES = ("country_mode", "type_mode", "methodology_mode")
"""The ``PoolRules`` field of each list kind's mode, in ``_LISTS``' (and ``PoolKind``'s) order."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _label(text: str) -> str:
    from chain.domain import LABEL_BITS

    if text not in LABEL_BITS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a label ({', '.join(LABEL_BITS)})")
    return text


def _positive(text: str) -> int:
    value = non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _rule_args(cmd: argparse.ArgumentParser, *, required: bool) -> None:
    cmd.add_argument(
        "--program",
        dest="programs",
        type=programme_code,
        action="append",
        required=required,
        metavar="CODE",
        help="an admitted programme (repeatable)",
    )
    cmd.add_argument("--vintage-from", type=_date, metavar="DATE", help="earliest vintage start")
    cmd.add_argument("--vintage-to", type=_date, metavar="DATE", help="latest vintage start")
    cmd.add_argument(
        "--label", dest="labels", type=_label, action="append", metavar="NAME",
        help="a label every batch must carry (repeatable: corsia_eligible, ccp_approved, ...)",
    )  # fmt: skip
    for flag, what, _ in _LISTS:
        group = cmd.add_mutually_exclusive_group()
        group.add_argument(
            f"--{flag}-only", action="append", metavar="VALUE",
            help=f"admit only this {what} (repeatable)",
        )  # fmt: skip
        group.add_argument(
            f"--{flag}-except", action="append", metavar="VALUE",
            help=f"admit every {what} but this one (repeatable)",
        )  # fmt: skip


def add_parser(commands: Subcommands) -> None:
    pool = commands.add_parser(
        "pool",
        help="pools of eligible credits with fungible units (create, deposit, redeem, retire)",
    )
    sub = pool.add_subparsers(dest="pool_command", required=True)

    for verb, text in (("grant", "give ADDR"), ("revoke", "take from ADDR")):
        role = sub.add_parser(
            verb, help=f"{text} POOL_ADMIN_ROLE (create and tighten pools; the ledger's admin)"
        )
        role.add_argument("address", type=address, metavar="ADDR")
        governance_args(role)
        role.set_defaults(run=run_role, verb=verb)

    create = sub.add_parser("create", help="create a pool (POOL_ADMIN_ROLE)")
    create.add_argument("--name", required=True)
    create.add_argument("--symbol", required=True, help="the unit's ERC-20 symbol")
    _rule_args(create, required=True)
    governance_args(create)
    create.set_defaults(run=run_create)

    tighten = sub.add_parser(
        "tighten",
        help="tighten a pool's rules (POOL_ADMIN_ROLE); a kind moved from any gets its list here",
    )
    tighten.add_argument("pool_id", type=_positive, metavar="POOL")
    _rule_args(tighten, required=False)
    governance_args(tighten)
    tighten.set_defaults(run=run_tighten)

    deposit = sub.add_parser("deposit", help="deposit exact serials of a batch for units")
    deposit.add_argument("pool_id", type=_positive, metavar="POOL")
    deposit.add_argument("--batch", type=_positive, required=True, metavar="ID")
    deposit.add_argument("--first-serial", type=non_negative, required=True, metavar="N")
    deposit.add_argument("--last-serial", type=non_negative, required=True, metavar="N")
    governance_args(deposit)
    deposit.set_defaults(run=run_deposit)

    redeem = sub.add_parser("redeem", help="burn units for exact serials")
    redeem.add_argument("pool_id", type=_positive, metavar="POOL")
    redeem.add_argument("--units", type=_positive, required=True)
    redeem.add_argument("--batch", type=_positive, metavar="ID", help="from this batch's range")
    redeem.add_argument(
        "--last-serial", type=non_negative, metavar="N",
        help="the named range's last serial (as `pool show` lists it)",
    )  # fmt: skip
    governance_args(redeem)
    redeem.set_defaults(run=run_redeem)

    retire = sub.add_parser("retire", help="retire units: exact serials for a beneficiary")
    retire.add_argument("pool_id", type=_positive, metavar="POOL")
    retire.add_argument("--units", type=_positive, required=True)
    retire.add_argument("--beneficiary", required=True)
    retire.add_argument(
        "--purpose", choices=("voluntary", "corsia", "article6", "compliance"), default="voluntary"
    )
    retire.add_argument("--jurisdiction", default="")
    retire.add_argument("--note", default="")
    governance_args(retire)
    retire.set_defaults(run=run_retire)

    shown = sub.add_parser("show", help="a pool: rules, token, supply and held ranges in order")
    shown.add_argument("pool_id", type=_positive, metavar="POOL")
    governance_args(shown, signs=False)
    shown.set_defaults(run=run_show)

    listed = sub.add_parser("list", help="every pool with its token and supply")
    governance_args(listed, signs=False)
    listed.set_defaults(run=run_list)


def _rules(ledger: LedgerClient, args: argparse.Namespace, base: PoolRules | None) -> PoolRules:
    from chain.domain import LABEL_BITS, Label, PoolMode, PoolRules

    rules = base or PoolRules(frozenset())
    changes: dict[str, Any] = {}
    if args.programs:
        changes["programmes"] = frozenset(program_id(ledger, c) for c in args.programs)
    if args.vintage_from is not None:
        changes["vintage_from"] = args.vintage_from
    if args.vintage_to is not None:
        changes["vintage_to"] = args.vintage_to
    if args.labels:
        changes["labels_required"] = Label(sum(LABEL_BITS[n] for n in set(args.labels)))
    for (flag, _, _), mode_field in zip(_LISTS, _MODES, strict=True):
        if getattr(args, f"{flag}_only"):
            changes[mode_field] = PoolMode.ONLY
        elif getattr(args, f"{flag}_except"):
            changes[mode_field] = PoolMode.EXCEPT
    return dataclasses.replace(rules, **changes)


def _lists(args: argparse.Namespace) -> dict[str, list[str]]:
    return {
        name: list(getattr(args, f"{flag}_only") or getattr(args, f"{flag}_except") or [])
        for flag, _, name in _LISTS
    }


def _rules_json(ledger: LedgerClient, rules: PoolRules) -> dict[str, Any]:
    from chain.domain import label_names

    return {
        "programmes": sorted(ledger.program_policy(i).code for i in rules.programmes),
        "vintage_from": rules.vintage_from.isoformat() if rules.vintage_from else "open",
        "vintage_to": rules.vintage_to.isoformat() if rules.vintage_to else "open",
        "labels_required": label_names(int(rules.labels_required)),
        "country_mode": rules.country_mode.name.lower(),
        "project_type_mode": rules.type_mode.name.lower(),
        "methodology_mode": rules.methodology_mode.name.lower(),
    }


def run_role(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    role = ledger.role("POOL_ADMIN_ROLE")
    change = ledger.grant_role if args.verb == "grant" else ledger.revoke_role
    result = change(role, args.address)
    done = "granted" if args.verb == "grant" else "revoked"
    return report(
        args,
        f"{done} POOL_ADMIN_ROLE {'to' if args.verb == 'grant' else 'from'} {args.address}",
        [result],
        account=args.address,
        pool_admin=ledger.has_role(role, args.address),
    )


def run_create(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    rules = _rules(ledger, args, None)
    lists = _lists(args)
    pool_id, token = ledger.create_pool(args.name, args.symbol, rules, **lists)
    facts = {"pool_id": pool_id, "token": token, **_rules_json(ledger, rules)}
    return show(args, {"action": f"created pool {pool_id} {args.name!r}", **facts, **lists})


def _deployed(args: argparse.Namespace) -> int:
    """The ledger's deploy block, where log searches start (some nodes limit their span)."""
    from chain.deployment import Deployment

    return Deployment.load(args.data_dir / "deployment.json").deploy_block


def _removals(
    ledger: LedgerClient, args: argparse.Namespace, kind: PoolKind, from_block: int
) -> list[str]:
    """What tightening the only-listed list of ``kind`` to ``--{flag}-only``'s values removes
    from it. The new list is a subset of the current one, and not empty (it would admit
    nothing of that kind, as the ledger's ``PoolListEmpty`` refuses for a new "only" list)."""
    from chain.errors import ConfigurationError
    from chain.pool_lists import pool_list

    flag, what, name = _LISTS[kind]
    new: list[str] = getattr(args, f"{flag}_only")
    if not any(v.strip() for v in new):
        raise ConfigurationError(
            f"--{flag}-only names no {what}: pool {args.pool_id}'s list would admit nothing"
        )
    # Tags are of the exact text, so the list as the ledger confirms it decides membership.
    current = pool_list(ledger, args.pool_id, kind, from_block=from_block)
    for value in new:
        if value not in current:
            raise ConfigurationError(
                f"{value} is not on pool {args.pool_id}'s only-listed {name.replace('_', ' ')}: "
                "a tightening cannot add it"
            )
    return [v for v in current if v not in new]


def run_tighten(args: argparse.Namespace) -> int:
    from chain.domain import PoolKind, PoolMode

    ledger = open_ledger(args)
    current = ledger.pool(args.pool_id).rules
    rules = _rules(ledger, args, current)
    lists = _lists(args)
    # A kind leaving any takes its whole list in the tightening itself (the ledger refuses an
    # empty "only" list); an all-but-listed list grows afterwards by listPool, an only-listed
    # one shrinks by unlistPool. Every list is checked before the first transaction.
    given: dict[str, list[str]] = {}
    exclusions: list[tuple[PoolKind, list[str]]] = []
    removals: dict[PoolKind, list[str]] = {}
    deployed = _deployed(args)
    for (flag, _, name), kind in zip(_LISTS, PoolKind, strict=True):
        was = getattr(current, _MODES[kind])
        if was == PoolMode.ANY:
            given[name] = lists[name]
        elif was == PoolMode.EXCEPT and getattr(args, f"{flag}_except"):
            exclusions.append((kind, lists[name]))
        elif was == PoolMode.ONLY and getattr(args, f"{flag}_only"):
            removals[kind] = _removals(ledger, args, kind, deployed)
    results = [ledger.tighten_pool(args.pool_id, rules, **given)] if rules != current else []
    results += [ledger.list_pool(args.pool_id, kind, values) for kind, values in exclusions]
    results += [
        ledger.unlist_pool(args.pool_id, kind, values)
        for kind, values in removals.items()
        if values
    ]
    removed = {f"{_LISTS[kind][2]}_removed": values for kind, values in removals.items()}
    return report(
        args,
        f"tightened pool {args.pool_id}",
        results,
        **_rules_json(ledger, rules),
        **lists,
        **removed,
    )


def _serials(result: TxResult, token: str, *, retired: bool) -> list[dict[str, Any]]:
    """The ranges the transaction moved out of the pool (with retirement ids if retired)."""
    out: list[dict[str, Any]] = []
    for e in result.events:
        f = e.fields
        if e.name == "SerialsMoved" and str(f["from"]).lower() == token.lower():
            out.append(
                {"batch_id": int(f["batchId"]), "first_serial": int(f["firstSerial"]),
                 "last_serial": int(f["lastSerial"])}
            )  # fmt: skip
        elif retired and e.name == "CreditsRetired" and out:
            rid = int(f["retirementId"])
            out[-1]["retirement_id"] = rid
            out[-1]["certificate"] = f"/v1/retirements/{rid}/certificate"
    return out


def _named(
    args: argparse.Namespace, ledger: LedgerClient, ranges: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``ranges`` with each one's registry-format serial (``None`` where its batch's stored
    text gives none), read from the ledger: the command line may have no query store."""
    from chain.batch_serials import RangeSerials

    serial = RangeSerials(ledger, from_block=_deployed(args))
    return [
        r | {"registry_serial": serial(r["batch_id"], r["first_serial"], r["last_serial"])}
        for r in ranges
    ]


def _shown(ranges: list[dict[str, Any]]) -> list[str]:
    return [
        f"batch {r['batch_id']} serials {r['first_serial']}-{r['last_serial']}"
        + (f", registry serial {r['registry_serial']}" if r.get("registry_serial") else "")
        + (f" (retirement {r['retirement_id']})" if "retirement_id" in r else "")
        for r in ranges
    ]


def run_deposit(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    result = ledger.pool_deposit(args.pool_id, args.batch, args.first_serial, args.last_serial)
    units = args.last_serial - args.first_serial + 1
    span = {
        "batch_id": args.batch,
        "first_serial": args.first_serial,
        "last_serial": args.last_serial,
    }
    ranges = _named(args, ledger, [span])
    return report(
        args,
        f"deposited {units:,} t of batch {args.batch} in pool {args.pool_id}",
        [result],
        deposited=_shown(ranges) if not args.json else ranges,
        units_minted=units,
        balance=ledger.pool_balance(args.pool_id, ledger.account),
    )


def run_redeem(args: argparse.Namespace) -> int:
    from chain.errors import ConfigurationError

    ledger = open_ledger(args)
    token = ledger.pool(args.pool_id).token
    if (args.batch is None) != (args.last_serial is None):
        raise ConfigurationError("name a range with both --batch and --last-serial, or neither")
    if args.batch is not None:
        key = ledger.pool_key(args.batch, args.last_serial)
        result = ledger.pool_redeem_range(args.pool_id, key, args.units)
    else:
        result = ledger.pool_redeem(args.pool_id, args.units)
    ranges = _named(args, ledger, _serials(result, token, retired=False))
    return report(
        args,
        f"redeemed {args.units:,} units of pool {args.pool_id}",
        [result],
        serials=_shown(ranges) if not args.json else ranges,
        balance=ledger.pool_balance(args.pool_id, ledger.account),
    )


def run_retire(args: argparse.Namespace) -> int:
    from chain.domain import Purpose

    ledger = open_ledger(args)
    token = ledger.pool(args.pool_id).token
    result = ledger.pool_retire(
        args.pool_id,
        args.units,
        args.beneficiary,
        Purpose[args.purpose.upper()],
        jurisdiction=args.jurisdiction,
        note=args.note,
    )
    ranges = _named(args, ledger, _serials(result, token, retired=True))
    return report(
        args,
        f"retired {args.units:,} units of pool {args.pool_id} for {args.beneficiary}",
        [result],
        retired=_shown(ranges) if not args.json else ranges,
        certificates=[r["certificate"] for r in ranges if "certificate" in r],
    )


def run_show(args: argparse.Namespace) -> int:
    ledger = open_ledger(args, signs=False)
    pool = ledger.pool(args.pool_id)
    ranges = ledger.pool_ranges(args.pool_id)
    return show(
        args,
        {
            "pool_id": pool.pool_id,
            "token": pool.token,
            "supply": pool.supply,
            **_rules_json(ledger, pool.rules),
            "ranges_in_redeem_order": [
                f"batch {r.batch_id} serials {r.first_serial}-{r.last_serial}" for r in ranges
            ],
        },
    )


def run_list(args: argparse.Namespace) -> int:
    ledger = open_ledger(args, signs=False)
    pools = [ledger.pool(i) for i in range(1, ledger.pool_count() + 1)]
    return show(
        args,
        {"pools": [f"pool {p.pool_id}: token {p.token}, supply {p.supply:,}" for p in pools]},
    )
