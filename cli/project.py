"""``carbon-ledger project link|unpropose|show``: links between projects of two programmes
(CDM 1234 ⇄ VCS 5678), so that no vintage period is bridged under both.

``project link --program CDM --project 1234 --with VCS:5678``, signed by CDM's programme admin,
proposes the link; the same command by VCS's admin the other way round
(``--program VCS --project 5678 --with CDM:1234``) accepts it, and both projects join one link
group. Until both have agreed, nothing is linked; a link, once made, is permanent.
``project unpropose`` withdraws a pending proposal; ``project show`` reads a project's link
group and the vintage period each member programme claimed in it.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cli._governance import (
    Subcommands,
    governance_args,
    open_ledger,
    program_id,
    programme_code,
    report,
    show,
)

if TYPE_CHECKING:
    from chain.client import LedgerClient


def _other(text: str) -> tuple[str, str]:
    """An argparse type: ``CODE:PROJECT`` (``VCS:5678``)."""
    code, sep, project = text.partition(":")
    if not sep or not project:
        raise argparse.ArgumentTypeError(f"{text!r} is not CODE:PROJECT (say VCS:5678)")
    return programme_code(code), project


def add_parser(commands: Subcommands) -> None:
    project = commands.add_parser(
        "project", help="links between projects of two programmes (each programme admin's key)"
    )
    sub = project.add_subparsers(dest="project_command", required=True)
    helps = {
        "link": "propose linking the project to --with's, or accept that one's proposal",
        "unpropose": "withdraw this programme's pending proposal to link the project",
        "show": "the project's link group and the period each programme claimed in it",
    }
    for name, text in helps.items():
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--program", type=programme_code, required=True, metavar="CODE")
        cmd.add_argument("--project", required=True, metavar="ID", help="the registry's id")
        if name != "show":
            cmd.add_argument(
                "--with",
                dest="other",
                type=_other,
                required=True,
                metavar="CODE:ID",
                help="the other programme's project, say VCS:5678",
            )
        governance_args(cmd, signs=name != "show")
        cmd.set_defaults(run={"link": link, "unpropose": unpropose, "show": show_links}[name])


def _key(ledger: LedgerClient, code: str, project: str) -> bytes:
    """The key of registered project ``code project``; refused (exit 2) if it is not."""
    from chain.domain import project_key
    from chain.errors import UnknownProject

    pid = program_id(ledger, code)
    key = project_key(pid, project)
    if ledger.project_program(key) != pid:
        raise UnknownProject("UnknownProject", {"program": code, "project": project})
    return key


def _keys(ledger: LedgerClient, args: argparse.Namespace) -> tuple[bytes, bytes]:
    return _key(ledger, args.program, args.project), _key(ledger, *args.other)


def link(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    mine, theirs = _keys(ledger, args)
    this = f"{args.program} {args.project}"
    that = f"{args.other[0]} {args.other[1]}"
    if ledger.project_link_proposed(theirs, mine):  # their admin asked first: accept
        result = ledger.accept_project_link(mine, theirs)
        action = f"linked {this} ⇄ {that}"
    else:
        result = ledger.propose_project_link(mine, theirs)
        action = f"proposed linking {this} ⇄ {that} ({that}'s programme admin accepts)"
    return report(args, action, [result], **_facts(ledger, mine))


def unpropose(args: argparse.Namespace) -> int:
    ledger = open_ledger(args)
    mine, theirs = _keys(ledger, args)
    result = ledger.withdraw_project_link(mine, theirs)
    action = f"withdrew the proposal to link {args.program} {args.project} ⇄ " + ":".join(
        args.other
    )
    return report(args, action, [result], **_facts(ledger, mine))


def show_links(args: argparse.Namespace) -> int:
    ledger = open_ledger(args, signs=False)
    return show(args, _facts(ledger, _key(ledger, args.program, args.project)))


def _facts(ledger: LedgerClient, key: bytes) -> dict[str, object]:
    group = ledger.project_link_group(key)
    claims = {}
    for claim in ledger.link_claims(group) if group else []:
        code = ledger.program_policy(claim.program_id).code
        claims[code] = (
            f"{claim.start.isoformat()}..{claim.end.isoformat()}"
            if claim.start and claim.end
            else "nothing bridged since the link"
        )
    return {"project_key": "0x" + key.hex(), "link_group": group, "claimed": claims}
