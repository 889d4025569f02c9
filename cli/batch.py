"""``carbon-ledger batch freeze|unfreeze|labels|void|correct``: a bridged batch's freeze and
labels, and its correction in the open (the contract decides whose key may: see
docs/ARCHITECTURE.md's role table)."""

from __future__ import annotations

import argparse

from chain.domain import LABEL_BITS
from cli._args import non_negative
from cli._governance import Subcommands, governance_args, open_ledger, report


def add_parser(commands: Subcommands) -> None:
    batch = commands.add_parser("batch", help="a batch's freeze and labels")
    sub = batch.add_subparsers(dest="batch_command", required=True)
    for name, frozen in (("freeze", True), ("unfreeze", False)):
        cmd = sub.add_parser(name, help=f"{name} every serial of batch ID")
        cmd.add_argument("batch_id", metavar="ID", type=non_negative)
        governance_args(cmd)
        cmd.set_defaults(run=run_freeze, frozen=frozen)
    labels = sub.add_parser(
        "labels", help="set batch ID's labels to exactly LABEL... (none given: clear them)"
    )
    labels.add_argument("batch_id", metavar="ID", type=non_negative)
    labels.add_argument(
        "labels",
        metavar="LABEL",
        nargs="*",
        type=_label,
        help=f"one of {', '.join(LABEL_BITS)}",
    )
    governance_args(labels)
    labels.set_defaults(run=run_labels)
    void = sub.add_parser(
        "void",
        help="void batch ID, bridged wrongly and untouched since (its programme's admin): its "
        "serials are released for a correct bridging",
    )
    void.add_argument("batch_id", metavar="ID", type=non_negative)
    void.add_argument("--namespace", required=True, help="the namespace the batch was bridged in")
    void.add_argument("--reason", required=True, help="why, as the audit trail will show it")
    governance_args(void)
    void.set_defaults(run=run_void)
    correct = sub.add_parser(
        "correct",
        help="record that batch NEW replaces the voided batch OLD (its programme's admin)",
    )
    correct.add_argument("voided", metavar="OLD", type=non_negative)
    correct.add_argument("replacement", metavar="NEW", type=non_negative)
    governance_args(correct)
    correct.set_defaults(run=run_correct)


def _label(text: str) -> str:
    """An argparse type: a label's name (argparse's ``choices`` refuses an empty ``*`` list)."""
    if text not in LABEL_BITS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a label ({', '.join(LABEL_BITS)})")
    return text


def run_freeze(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    result = ledger.set_batch_frozen(args.batch_id, args.frozen)
    verb = "froze" if args.frozen else "unfroze"
    return report(
        args, f"{verb} batch {args.batch_id}", [result], batch_id=args.batch_id, frozen=args.frozen
    )


def run_labels(args: argparse.Namespace) -> int:
    from chain.domain import Label, label_names

    ledger = open_ledger(args)
    bits = 0
    for name in args.labels:
        bits |= LABEL_BITS[name]
    result = ledger.set_labels(args.batch_id, Label(bits))
    return report(
        args,
        f"set the labels of batch {args.batch_id}",
        [result],
        batch_id=args.batch_id,
        labels=label_names(bits),
    )


def run_void(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    result = ledger.void_batch(args.batch_id, args.namespace, args.reason)
    return report(
        args, f"voided batch {args.batch_id}", [result], batch_id=args.batch_id, reason=args.reason
    )


def run_correct(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    result = ledger.correct_batch(args.voided, args.replacement)
    return report(
        args,
        f"batch {args.replacement} replaces voided batch {args.voided}",
        [result],
        voided=args.voided,
        batch_id=args.replacement,
    )
