"""One import, end to end: read, index, provision, plan, run, index, report (and verify).

``import_exports`` is what ``carbon-ledger import`` and the demo call. Every file is read (and
every header checked) before anything touches the chain, so a bad path or layout fails the run
without a transaction. The store is brought up to the chain's head before planning (the plan is
made from it) and after running (so the report and any reconciliation read the result).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from web3 import Web3

from chain.artifacts import ledger_abi
from chain.client import LedgerClient
from chain.deployment import Deployment
from chain.errors import ConfigurationError
from chain.importer.keys import (
    IssuerKeys,
    buffer_of,
    check_issuer,
    provision,
    provision_buffer,
)
from chain.importer.links import check_links, find_links
from chain.importer.model import FileKind, RegistryBlock, RowRejection
from chain.importer.plan import Custody, Planner
from chain.importer.readers import ExportFile, read_export
from chain.importer.reconcile import reconcile_export
from chain.importer.report import ImportReport, build_report
from chain.importer.run import Executor, GasTable, ImportFees, Progress
from chain.importer.state import LedgerView
from chain.indexer.core import Indexer
from chain.registries import adapters_for
from chain.succession import PredecessorSerials
from chain.transactions import NonceManager, TxSender

KIND_ORDER = (FileKind.ISSUANCES, FileKind.RETIREMENTS, FileKind.CANCELLATIONS)


@dataclass
class ImportTarget:
    """The ledger an import writes to.

    ``operator`` (the admin, with the compliance role) is given on a chain the operator runs
    (the data folder's local chain, the demo): it provisions the issuers. Without it
    (``--rpc``), issuer keys must already be able to act. ``confirmations`` is the indexer's
    finality depth for the store the plan is made from (0: every block is final).
    """

    w3: Web3
    deployment: Deployment
    engine: Engine
    keys: IssuerKeys
    operator: TxSender | None = None
    confirmations: int = 0
    gas: GasTable = field(default_factory=GasTable)
    group_size: int = 25
    chunk_rows: int = 25
    nonces: NonceManager | None = None
    fees: ImportFees | None = None

    def indexer(self) -> Indexer:
        return Indexer(self.w3, self.engine, self.deployment, confirmations=self.confirmations)


def home_program(registry: str) -> str:
    """The programme a registry issues (``"gs"`` → ``"GS"``)."""
    return adapters_for(registry)[0].program


def read_exports(
    registry: str,
    files: Sequence[tuple[FileKind, Path]],
    names: Mapping[Path, str] | None = None,
) -> list[ExportFile]:
    """Read every file, issuances first, then retirements, then cancellations; a file is named
    in reports as given (or by ``names``)."""
    ordered = sorted(files, key=lambda f: KIND_ORDER.index(f[0]))
    shown = names or {}
    return [
        read_export(registry, kind, path, name=shown.get(path, str(path))) for kind, path in ordered
    ]


def import_exports(
    target: ImportTarget,
    registry: str,
    files: Sequence[tuple[FileKind, Path]],
    *,
    verify: bool = False,
    progress: Progress | None = None,
    say: Callable[[str], None] | None = None,
    names: Mapping[Path, str] | None = None,
) -> ImportReport:
    """Import ``files`` of ``registry`` into ``target`` (see the module docstring)."""
    started = time.monotonic()
    tell = say or (lambda _msg: None)
    if not files:
        raise ConfigurationError("give at least one of --issuances, --retirements, --cancellations")
    exports = read_exports(registry, files, names)
    rows: list[RegistryBlock | RowRejection] = [r for e in exports for r in e.rows]
    programs = sorted(
        {home_program(registry)} | {r.program for r in rows if isinstance(r, RegistryBlock)},
        key=lambda p: (p != home_program(registry), p),
    )
    w3, abi = target.w3, ledger_abi()
    nonces = target.nonces or (target.operator.nonces if target.operator else NonceManager(w3))
    fees = target.fees or ImportFees(w3)
    indexer = target.indexer()
    tell("indexing the ledger into the store")
    indexer.catch_up()
    reader = LedgerClient.for_deployment(w3, target.deployment)
    buffered = {r.program for r in rows if isinstance(r, RegistryBlock) and r.buffer}
    custody, senders = _issuers(
        target, reader, registry, programs, abi, nonces, fees, buffered=buffered
    )
    indexer.catch_up()
    today = _chain_today(w3)
    plans = Planner(
        LedgerView(target.engine), custody, today, predecessor=_predecessor(w3, target.deployment)
    ).plan(rows)
    tell(f"planned {len(plans)} rows; sending transactions")
    executor = Executor(
        reader,
        senders,
        gas=target.gas,
        group_size=target.group_size,
        chunk_rows=target.chunk_rows,
        progress=progress,
    )
    result = executor.run(plans)
    indexer.catch_up()
    files_info = [
        {"file": e.name, "kind": e.layout.kind.value, "rows": len(e.rows)} for e in exports
    ]
    units = {
        program: reader.program_unit(c.program_id)
        for program, c in custody.items()
        if isinstance(c, Custody)
    }
    report = build_report(
        registry, files_info, plans, result, time.monotonic() - started, units=units
    )
    report.links = check_links(reader, find_links(home_program(registry), rows))
    if verify:
        report.verification = verify_import(target, exports)
    report.seconds = time.monotonic() - started
    return report


def _issuers(
    target: ImportTarget,
    reader: LedgerClient,
    registry: str,
    programs: Sequence[str],
    abi: Sequence[dict[str, object]],
    nonces: NonceManager,
    fees: ImportFees,
    *,
    buffered: Collection[str] = (),
) -> tuple[dict[str, Custody | str], dict[str, TxSender]]:
    """Each programme's custody, and a sender for each that has a key; a programme in
    ``buffered`` (its export has buffer pool shares) also gets its buffer account: provisioned
    on the local chain, read from the ledger with ``--rpc``."""
    custody: dict[str, Custody | str] = {}
    senders: dict[str, TxSender] = {}
    home = home_program(registry)
    admin = None if target.operator is None else reader.as_account(target.operator)
    for program in programs:
        if admin is not None:
            account = target.keys.ensure(program)
            program_id = provision(admin, program, account.address)
            buffer = None
            if program in buffered:
                buffer = provision_buffer(
                    admin, program_id, target.keys.ensure_buffer(program).address
                )
            custody[program] = Custody(program_id, account.address, buffer)
        else:
            found = target.keys.find(program)
            if found is None:
                if program == home:
                    target.keys.ensure(program)  # raises the "no issuer key" error
                custody[program] = f"no issuer key for programme {program} in this data folder"
                continue
            account = found
            checked = check_issuer(reader, program, account.address)
            if isinstance(checked, str) and program == home:
                raise ConfigurationError(checked)
            if isinstance(checked, Custody) and program in buffered:
                checked = replace(checked, buffer=buffer_of(reader, checked.program_id))
            custody[program] = checked
        senders[program] = TxSender(target.w3, account, abi, nonces=nonces, fees=fees)
    return custody, senders


def _chain_today(w3: Web3) -> int:
    stamp = int(w3.eth.get_block("latest")["timestamp"])
    day = dt.datetime.fromtimestamp(stamp, dt.UTC).date()
    return day.year * 10000 + day.month * 100 + day.day


def verify_import(target: ImportTarget, exports: Sequence[ExportFile]) -> dict[str, Any]:
    """Reconcile the files with the store, and verify the chain and the store (``--verify``)."""
    from chain.verify import verify

    reconciliations = [reconcile_export(target.engine, e) for e in exports]
    report = verify(target.w3, target.deployment, target.engine)
    ok = report.ok and all(r.ok for r in reconciliations)
    return {
        "ok": ok,
        "audit": {
            "ok": report.ok,
            "audit_seq": report.audit_seq,
            "audit_head": report.audit_head,
            "discrepancies": [d.message for d in report.discrepancies],
        },
        "reconciliation": [r.as_json() for r in reconciliations],
    }


def _predecessor(w3: Web3, deployment: Deployment) -> PredecessorSerials | None:
    """On a successor ledger, its predecessor's bridged serials (docs/AUDIT.md, "Migration"):
    a row naming them is rejected, not bridged again."""
    record = deployment.predecessor_record
    if record is None:
        return None
    from chain.migration import read_state

    return PredecessorSerials(read_state(w3, record), record.address)
