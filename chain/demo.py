"""``carbon-ledger demo``: the registry import and a buyer's lifecycle on the embedded chain,
verified at the end.

In a fresh ``D/demo/`` (SQLite store, issuer keystores, copies of the exports, report): deploy
the ledger on the in-process chain, register VCS and Gold Standard, import the bundled real
Verra and Gold Standard exports exactly as ``carbon-ledger import`` does (every serial block
bridged into the registry's custody, every registry retirement and cancellation mirrored), then
let buyers act on live credits: the registries transfer some to buyers, who retire part of them
(one retirement signed with EIP-712 by the buyer and relayed by the operator). Then pools
(``chain._demo_pools``): a CORSIA-eligible pool and a nature-based pool filled from the
registries' custody, an ineligible deposit refused with its reason, units redeemed and retired
by buyers. Finally index
the chain, verify the audit trail and the store, reconcile both exports with the ledger row by
row, and print a summary per programme and per pool (supply, composition, the exact serials
each pool retirement retired). Exit 0 only if everything verifies.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import sqlalchemy as sa
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine

from chain._demo_pools import pool_lines, pool_retirement_ids, run_pools
from chain._demo_serials import retirement_line, retirement_rows
from chain.artifacts import ledger_abi
from chain.client import LedgerClient, TxResult
from chain.deployment import deploy_ledger
from chain.domain import Label, Purpose, RangeState, RetirementRequest, unpack_date
from chain.embedded import embedded_chain
from chain.importer.core import ImportTarget, import_exports
from chain.importer.keys import IssuerKeys
from chain.importer.model import FileKind
from chain.importer.readers import read_export
from chain.importer.reconcile import Reconciliation, add_reconciliation, reconcile_export
from chain.importer.report import ImportReport
from chain.importer.run import ImportFees, Progress
from chain.indexer.core import Indexer
from chain.programmes import register_programme
from chain.store import schema as s
from chain.store.engine import open_store
from chain.transactions import NonceManager, TxSender
from chain.verify import VerificationReport, verify

EXPORTS: tuple[tuple[str, tuple[tuple[FileKind, str], ...]], ...] = (
    ("vcs", ((FileKind.ISSUANCES, "verra-transactions.csv"),)),
    (
        "gs",
        (
            (FileKind.ISSUANCES, "gold-standard-issuances.csv"),
            (FileKind.RETIREMENTS, "gold-standard-retirements.csv"),
        ),
    ),
)
"""The bundled exports (``chain/importer/data``), per registry."""


@dataclass
class ProgrammeSummary:
    batches: int = 0
    bridged: int = 0
    mirrored: int = 0
    retired_on_chain: int = 0
    cancelled: int = 0
    detokenised: int = 0
    gas: int = 0
    seconds: float | None = None


def _copy_exports(folder: Path) -> dict[str, list[tuple[FileKind, Path]]]:
    """Copy the bundled exports into the demo folder (the run's inputs stay beside its output)."""
    folder.mkdir(parents=True)
    data = resources.files("chain.importer") / "data"
    out: dict[str, list[tuple[FileKind, Path]]] = {}
    for registry, files in EXPORTS:
        for kind, name in files:
            path = folder / name
            path.write_bytes((data / name).read_bytes())
            out.setdefault(registry, []).append((kind, path))
    return out


def run_demo(
    data_dir: Path,
    *,
    say: Callable[[str], None] = print,
    progress: Callable[[str], Progress] | None = None,
) -> tuple[VerificationReport, dict[str, ProgrammeSummary]]:
    """Run the scenario in a fresh ``data_dir/demo``; returns the verification (with the
    reconciliation's findings) and the summary per programme. ``progress`` makes each
    import's progress callback from its label (``vcs import``)."""
    started = time.monotonic()
    demo_dir = data_dir / "demo"
    shutil.rmtree(demo_dir, ignore_errors=True)
    demo_dir.mkdir(parents=True)
    exports = _copy_exports(demo_dir / "exports")

    chain = embedded_chain()
    w3, abi = chain.w3, ledger_abi()
    nonces, fees = NonceManager(w3), ImportFees(w3)
    operator = TxSender(w3, chain.accounts[0], abi, nonces=nonces, fees=fees)
    buyers = [TxSender(w3, a, abi, nonces=nonces) for a in chain.accounts[1:4]]

    say("deploying CarbonLedger on the embedded chain (eth-tester + py-evm)")
    deployment = deploy_ledger(operator, admin_delay=24 * 3600)
    deployment.save(demo_dir / "deployment.json")
    admin = LedgerClient.for_deployment(w3, deployment, operator)
    admin.grant_role(admin.role("COMPLIANCE_ROLE"), operator.address)
    for code in ("VCS", "GS", "CDM"):  # the GS export lists CDM CERs too
        register_programme(admin, code)
    for buyer in buyers:
        admin.set_account(buyer.address)
    engine = open_store(f"sqlite:///{(demo_dir / 'ledger.sqlite3').resolve()}")
    keys = IssuerKeys(demo_dir, local=True)
    target = ImportTarget(w3, deployment, engine, keys, operator=operator, nonces=nonces, fees=fees)

    imports: dict[str, ImportReport] = {}
    for registry, files in exports.items():
        names = {path: path.name for _, path in files}
        shown = ", ".join(names.values())
        say(f"importing {shown} (registry {registry})")
        shows = progress(f"{registry} import") if progress is not None else None
        report = import_exports(target, registry, files, names=names, progress=shows)
        imports[registry] = report
        counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in report.counts().items() if n)
        say(
            f"  {report.rows_total} rows: {counts}; {report.transactions} transactions, "
            f"{report.seconds:.1f} s"
        )
        for rejected in report.rejected:
            say(f"  rejected {rejected.file}:{rejected.row}: {rejected.reason}")

    imported = time.monotonic()
    say("buyers take delivery of live credits and retire some")
    spent, custody, clients = _buyers(admin, keys, buyers, engine, fees, say)
    say("pools: a CORSIA-eligible pool and a nature-based pool of the imported credits")
    Indexer(w3, engine, deployment, confirmations=0).sync()  # the pools pick live batches
    pool_gas = run_pools(admin, custody, clients, engine, say)
    traded = time.monotonic()

    say("indexing, verifying the audit trail and the store, reconciling both registries")
    Indexer(w3, engine, deployment, confirmations=0).sync()
    verification = verify(w3, deployment, engine)
    reconciliations = [
        reconcile_export(engine, read_export(registry, kind, path, name=path.name))
        for registry, files in exports.items()
        for kind, path in files
    ]
    add_reconciliation(verification, reconciliations)
    summary = _summary(engine, imports, spent)
    pooled = [*pool_lines(engine), f"pools gas: {pool_gas:,}"]
    retired = _retired_serials(engine, exclude=pool_retirement_ids(engine))
    _write_report(demo_dir, verification, reconciliations, imports)
    ended = time.monotonic()
    timing = {
        "set-up and imports": imported - started,
        "buyers and pools": traded - imported,
        "index, audit, reconcile": ended - traded,
    }
    _print_summary(summary, verification, reconciliations, timing, say, retired, pooled)
    engine.dispose()
    return verification, summary


# ------------------------------------------------------------------ buyers


def _corsia_ready(ledger: LedgerClient, batch_id: int, labels: int) -> bool:
    """Whether a buyer may retire the batch for CORSIA: eligible, and for a vintage from 2021
    on (the scheme's first phase) with the corresponding adjustment too, as the contract
    requires."""
    if not labels & Label.CORSIA_ELIGIBLE:
        return False
    if unpack_date(ledger.batch(batch_id).vintage_start) < 20210101:
        return True
    return bool(labels & Label.CORRESPONDING_ADJUSTMENT)


def _live_batches(engine: Engine, program: str, custody: str) -> list[tuple[int, int, Label]]:
    """(batch, tonnes, labels) of batches custody holds entirely live, largest first."""
    b, r, p = s.batches, s.serial_ranges, s.programs
    query = (
        sa.select(b.c.id, b.c.quantity, b.c.labels)
        .join(p, p.c.id == b.c.program_id)
        .join(r, r.c.batch_id == b.c.id)
        .where(
            p.c.code == program,
            r.c.holder == custody.lower(),
            r.c.state == int(RangeState.HELD),
            r.c.first_serial == b.c.first_serial,
            r.c.last_serial == b.c.last_serial,
        )
        .order_by(b.c.quantity.desc(), b.c.id)
    )
    with engine.connect() as conn:
        return [(int(i), int(q), Label(int(lab))) for i, q, lab in conn.execute(query)]


def _buyers(
    admin: LedgerClient,
    keys: IssuerKeys,
    buyers: Sequence[TxSender],
    engine: Engine,
    fees: ImportFees,
    say: Callable[[str], None],
) -> tuple[dict[str, int], dict[str, LedgerClient], list[LedgerClient]]:
    """Transfers from custody to buyers and buyer retirements; returns gas per programme, the
    registries' custody clients and the buyers' clients. (The store is current: the import
    indexed the chain after its last transaction.)"""
    gas: dict[str, int] = {}

    def spend(program: str, results: TxResult | Sequence[TxResult]) -> None:
        for result in results if isinstance(results, Sequence) else [results]:
            gas[program] = gas.get(program, 0) + result.gas_used

    registry = {}
    for program in ("VCS", "GS"):
        account = keys.find(program)
        assert account is not None
        registry[program] = admin.as_account(TxSender(admin.w3, account, admin.abi, fees=fees))
    a, b, c = (admin.as_account(x) for x in buyers)

    vcs = _live_batches(engine, "VCS", registry["VCS"].account)
    corsia = next((x for x in vcs if _corsia_ready(admin, x[0], x[2])), vcs[0])
    plain = next(x for x in vcs if x[0] != corsia[0])
    gs = _live_batches(engine, "GS", registry["GS"].account)[0]

    spend("VCS", registry["VCS"].transfer_quantity(corsia[0], min(5_000, corsia[1]), a.account))
    spend("VCS", registry["VCS"].transfer_quantity(plain[0], min(1_000, plain[1]), b.account))
    spend("GS", registry["GS"].transfer_quantity(gs[0], min(2_000, gs[1]), c.account))
    say(
        f"  registries transferred {min(5_000, corsia[1]):,} t of VCS batch {corsia[0]}, "
        f"{min(1_000, plain[1]):,} t of VCS batch {plain[0]} and {min(2_000, gs[1]):,} t of GS "
        f"batch {gs[0]} to three buyers"
    )
    purpose = Purpose.CORSIA if _corsia_ready(admin, corsia[0], corsia[2]) else Purpose.VOLUNTARY
    spend("VCS", a.retire_quantity(corsia[0], 1_200, "Demo Airways", purpose))
    spend("VCS", b.retire_quantity(plain[0], 250, "Demo Coffee Roasters"))
    held = c.holdings(gs[0], c.account)[0]
    request = RetirementRequest(
        gs[0], held.first, held.first + 499, "Kampala Schools Trust", note="signed by the buyer"
    )
    spend("GS", admin.retire_signed(request, c.sign_retirement(request)))
    say(
        f"  buyers retired 1,200 t ({purpose.name}) and 250 t of VCS, and 500 t of GS by a "
        "signed request the operator relayed"
    )
    return gas, registry, [a, b, c]


# ------------------------------------------------------------------ summary


def _summary(
    engine: Engine, imports: dict[str, ImportReport], spent: dict[str, int]
) -> dict[str, ProgrammeSummary]:
    b, r, p = s.batches, s.retirements, s.programs
    out: dict[str, ProgrammeSummary] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                p.c.code,
                sa.func.count(b.c.id),
                sa.func.sum(b.c.quantity),
                sa.func.sum(b.c.cancelled),
                sa.func.sum(b.c.detokenised),
            )
            .join(b, b.c.program_id == p.c.id)
            .group_by(p.c.code)
        )
        for code, count, quantity, cancelled, detokenised in rows:
            out[str(code)] = ProgrammeSummary(
                int(count), int(quantity), cancelled=int(cancelled), detokenised=int(detokenised)
            )
        retired = conn.execute(
            sa.select(p.c.code, r.c.mirrored, sa.func.sum(r.c.quantity))
            .join(b, b.c.id == r.c.batch_id)
            .join(p, p.c.id == b.c.program_id)
            .group_by(p.c.code, r.c.mirrored)
        )
        for code, mirrored, quantity in retired:
            entry = out[str(code)]
            if mirrored:
                entry.mirrored = int(quantity)
            else:
                entry.retired_on_chain = int(quantity)
    for registry, report in imports.items():
        for program, used in report.gas.items():
            out[program].gas += used
        home = registry.upper()
        if home in out:
            out[home].seconds = report.seconds
    for program, used in spent.items():
        out[program].gas += used
    return out


def _retired_serials(
    engine: Engine, *, exclude: set[int] | frozenset[int] = frozenset()
) -> list[str]:
    """One line per buyer retirement (but those in ``exclude``: the pools list theirs): its
    id, beneficiary, tonnes and purpose, and the exact serials retired as their registry
    writes them (the numbers where it has no serial)."""
    with engine.connect() as conn:
        rows = retirement_rows(conn, s.retirements.c.mirrored.is_(False))
    return [retirement_line(row) for row in rows if int(row.id) not in exclude]


def _write_report(
    folder: Path,
    verification: VerificationReport,
    reconciliations: Sequence[Reconciliation],
    imports: dict[str, ImportReport],
) -> None:
    data = verification.as_json()
    data["reconciliation"] = [r.as_json() for r in reconciliations]
    data["imports"] = {k: {**v.as_json(), "outcomes": None} for k, v in imports.items()}
    (folder / "report.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    for registry, report in imports.items():
        (folder / f"import-{registry}.json").write_text(
            json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n"
        )


def _summary_table(summary: dict[str, ProgrammeSummary]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    table.add_column("programme", no_wrap=True)
    for heading in ("batches", "bridged t", "mirrored t", "retired t", "cancelled t", "gas"):
        table.add_column(heading, justify="right", overflow="fold")  # digits fold, never cut
    table.add_column("import s", justify="right")
    for code, x in sorted(summary.items()):
        table.add_row(
            code,
            f"{x.batches}",
            f"{x.bridged:,}",
            f"{x.mirrored:,}",
            f"{x.retired_on_chain:,}",
            f"{x.cancelled:,}",
            f"{x.gas:,}",
            f"{x.seconds:.1f}" if x.seconds is not None else "(in GS)",
        )
    return table


def _lines(table: Table) -> list[str]:
    """The table as plain lines: as wide as the terminal allows when stdout is one (Rich wraps
    headings and folds cells to fit), at its natural width otherwise."""
    natural = Console(file=io.StringIO(), width=1_000).measure(table).maximum
    width = min(natural, shutil.get_terminal_size().columns) if sys.stdout.isatty() else natural
    text = io.StringIO()
    Console(file=text, width=width, color_system=None).print(table)
    return [line.rstrip() for line in text.getvalue().splitlines()]


def _print_summary(
    summary: dict[str, ProgrammeSummary],
    verification: VerificationReport,
    reconciliations: Sequence[Reconciliation],
    timing: dict[str, float],
    say: Callable[[str], None],
    retired: Sequence[str] = (),
    pooled: Sequence[str] = (),
) -> None:
    elapsed = sum(timing.values())
    say("")
    for line in _lines(_summary_table(summary)):
        say(line)
    say("mirrored: retirements recorded by the registry, replayed as such; retired: by buyers")
    say("")
    for line in retired:
        say(line)
    if retired:
        say("")
    for line in pooled:
        say(line)
    if pooled:
        say("")
    for rec in reconciliations:
        state = "reconciles" if rec.ok else f"{len(rec.discrepancies)} DISCREPANCIES"
        t = rec.file_tonnes
        say(
            f"{rec.file}: {len(rec.rows)} rows {state} (file {t['bridged']:,} t: held "
            f"{t['held']:,}, retired {t['retired']:,}, cancelled {t['cancelled']:,})"
        )
    say(
        f"audit: seq {verification.audit_seq}, head {verification.audit_head}, "
        f"{verification.events} events, {verification.batches} batches"
    )
    say("time: " + ", ".join(f"{k} {v:.1f} s" for k, v in timing.items()))
    if verification.ok:
        say(f"verification passed in {elapsed:.1f} s")
    else:
        for d in verification.discrepancies[:20]:
            say(f"DISCREPANCY {d.kind} {d.event or ''} {d.field}: {d.message}")
        say(
            f"verification FAILED ({len(verification.discrepancies)} discrepancies) "
            f"in {elapsed:.1f} s"
        )
