"""``carbon-ledger audit verify``: the chain's audit trail, the store, the API's log and,
with ``--registry-export``, the registry's own files, checked in one run."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cli._args import data_dir_arg, db_arg, non_negative, rpc_arg, store_url
from cli._progress import AuditProgress


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser("audit", help="audit trail checks")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser(
        "verify", help="recompute the audit chain from raw logs and check every invariant"
    )
    data_dir_arg(verify)
    rpc_arg(verify)
    db_arg(verify)
    verify.add_argument("--json", action="store_true", help="print one JSON object")
    verify.add_argument(
        "--registry-export",
        type=Path,
        action="append",
        metavar="FILE",
        help="also reconcile this registry export with the ledger, row by row (repeatable)",
    )
    verify.add_argument("--registry", help="whose export --registry-export is (vcs, gs, ...)")
    verify.add_argument(
        "--max-lag-blocks",
        type=non_negative,
        default=None,
        metavar="N",
        help="blocks the store may be behind the chain head before it counts as stopped "
        "(default 120)",
    )
    verify.set_defaults(run=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    from chain.connect import connect
    from chain.deployment import Deployment
    from chain.errors import ConfigurationError
    from chain.importer.reconcile import add_reconciliation, reconcile_exports
    from chain.store.engine import SQLITE_FILE, open_store
    from chain.units import tonnes_text
    from chain.verify import DEFAULT_MAX_LAG_BLOCKS, verify

    deployment = Deployment.load(args.data_dir / "deployment.json")
    w3 = connect(args.data_dir, args.rpc)
    shown = None if args.json else AuditProgress()
    has_store = args.db is not None or (args.data_dir / SQLITE_FILE).exists()
    engine = open_store(store_url(args)) if has_store or args.registry_export else None
    reconciliations = []
    if args.registry_export:
        if not args.registry:
            raise ConfigurationError("--registry-export needs --registry (vcs, gs, ...)")
        assert engine is not None
        reconciliations = reconcile_exports(
            w3, deployment, engine, args.registry, args.registry_export
        )
    bound = DEFAULT_MAX_LAG_BLOCKS if args.max_lag_blocks is None else args.max_lag_blocks
    try:
        report = verify(
            w3,
            deployment,
            engine,
            max_lag_blocks=bound,
            progress=shown.say if shown is not None else None,
            count=shown.count if shown is not None else None,
        )
    finally:
        if shown is not None:
            shown.close()
    api_log = None
    if engine is not None:
        from api.audit_log import add_to_report

        api_log = add_to_report(report, engine, w3)
    if reconciliations:
        add_reconciliation(report, reconciliations)
    if args.json:
        data = report.as_json()
        if reconciliations:
            data["reconciliation"] = [r.as_json() for r in reconciliations]
        if api_log is not None:
            data["api_log"] = api_log.as_json()
        print(json.dumps(data, ensure_ascii=False))
    elif report.ok:
        print(
            f"ok: audit seq {report.audit_seq}, head {report.audit_head}, {report.batches} batches"
        )
        for p in report.predecessors:
            print(
                f"predecessor {p['address']}: sealed at audit seq {p['audit_seq']}, head "
                f"{p['audit_head']}; {p['carried_ranges']} of {p['live_ranges']} live ranges "
                f"({p['carried_tonnes']:,} of {p['live_tonnes']:,} t) carried over"
                + (f", {p['carried_links']} of {p['links']} project links" if p["links"] else "")
            )
        if report.store_block is not None:
            print(
                f"store at block {report.store_block} of chain head {report.chain_head} "
                f"({report.lag_blocks} blocks behind; verified up to the store's block)"
            )
        for rec in reconciliations:
            print(
                f"reconciled {rec.file}: {len(rec.rows)} rows, "
                f"{tonnes_text(rec.file_tonnes_exact['bridged'], grouped=True)} t, to the "
                "serial"
            )
        if api_log is not None:
            print(
                f"API audit log: {api_log.entries} entries, head {api_log.head}, "
                f"{api_log.linked} outcomes linked to the chain"
            )
    else:
        first = report.discrepancies[0]
        print(
            f"FAILED: block {first.block}, event {first.event}, field {first.field}: {first.message}"
        )
        for d in report.discrepancies[1:]:
            print(f"  also: block {d.block}, event {d.event}, field {d.field}: {d.message}")
    return 0 if report.ok else 1
