"""Helpers for the importer tests: the bundled exports, edited copies of them, and a fresh
ledger on the embedded chain with its store, ready to import into."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from chain.artifacts import ledger_abi
from chain.client import LedgerClient
from chain.deployment import Deployment, deploy_ledger
from chain.embedded import EmbeddedChain, embedded_chain
from chain.importer.core import ImportTarget, import_exports
from chain.importer.keys import IssuerKeys
from chain.importer.model import FileKind
from chain.importer.report import ImportReport
from chain.importer.run import ImportFees
from chain.store import schema as s
from chain.store.engine import open_store
from chain.transactions import NonceManager, TxSender

DATA = Path(__file__).resolve().parents[2] / "data" / "registries"
VERRA = DATA / "verra" / "transactions.csv"
GS_ISSUANCES = DATA / "gold-standard" / "issuances.csv"
GS_RETIREMENTS = DATA / "gold-standard" / "retirements.csv"


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and data rows of a CSV (row n of a spreadsheet is ``rows[n - 2]``)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, header: list[str], rows: Iterable[dict[str, str]]) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return path


def subset(
    src: Path,
    dest: Path,
    numbers: Iterable[int] | None = None,
    edit: Callable[[int, dict[str, str]], dict[str, str]] | None = None,
) -> Path:
    """A copy of ``src`` with the given spreadsheet rows (all if None), each optionally edited
    by ``edit(row_number, row)``."""
    header, rows = read_rows(src)
    chosen = list(numbers) if numbers is not None else range(2, len(rows) + 2)
    out = []
    for n in chosen:
        row = dict(rows[n - 2])
        out.append(edit(n, row) if edit else row)
    return write_rows(dest, header, out)


@dataclass
class Env:
    """A fresh ledger on the embedded chain (VCS and GS registered; the operator is admin
    and compliance), its SQLite store in ``folder``, and an import target for it."""

    chain: EmbeddedChain
    deployment: Deployment
    engine: Engine
    admin: LedgerClient
    operator: TxSender
    folder: Path
    target: ImportTarget

    def run(
        self, registry: str, *, verify: bool = False, group_size: int = 25, **files: Path
    ) -> ImportReport:
        self.target.group_size = group_size
        pairs = [(FileKind(k), p) for k, p in files.items()]
        return import_exports(self.target, registry, pairs, verify=verify)

    def issuer(self, program: str) -> LedgerClient:
        account = self.target.keys.find(program)
        assert account is not None
        sender = TxSender(self.chain.w3, account, self.admin.abi, nonces=self.operator.nonces)
        return self.admin.as_account(sender)

    def buyer(self, index: int) -> LedgerClient:
        sender = TxSender(
            self.chain.w3, self.chain.accounts[index], self.admin.abi, nonces=self.operator.nonces
        )
        self.admin.set_account(sender.address)
        return self.admin.as_account(sender)

    def audit_seq(self) -> int:
        return self.admin.audit_state().seq

    def rows(self, table: sa.Table) -> list[dict[str, object]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(table)).mappings()]

    def batches(self) -> list[dict[str, object]]:
        return sorted(self.rows(s.batches), key=lambda b: int(str(b["id"])))


def make_env(folder: Path) -> Env:
    chain = embedded_chain()
    abi = ledger_abi()
    fees = ImportFees(chain.w3)
    operator = TxSender(chain.w3, chain.accounts[0], abi, nonces=NonceManager(chain.w3), fees=fees)
    deployment = deploy_ledger(operator, admin_delay=3600)
    admin = LedgerClient.for_deployment(chain.w3, deployment, operator)
    admin.grant_role(admin.role("COMPLIANCE_ROLE"), operator.address)
    for code in ("VCS", "GS"):
        admin.register_program(code)
    engine = open_store(f"sqlite:///{folder / 'ledger.sqlite3'}")
    target = ImportTarget(
        chain.w3,
        deployment,
        engine,
        IssuerKeys(folder, local=True),
        operator=operator,
        fees=fees,
        nonces=operator.nonces,
    )
    return Env(chain, deployment, engine, admin, operator, folder, target)
