"""A small ledger for the export tests, with everything an export must reconcile: real Verra
and Gold Standard blocks (the registries' own retirements and cancellations mirrored), then
transfers, retirements, a detokenisation, a cancellation and a void, and text a spreadsheet
would run as a formula (``=``, ``+``, ``-``, ``@``), quotes, commas, CJK and a leading
apostrophe in project names and beneficiaries. Indexed into the env's SQLite store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from chain.client import LedgerClient
from chain.domain import Issuance, Label, Project, Purpose, RetirementRequest
from chain.indexer.core import Indexer
from tests.chain.importer.support import GS_ISSUANCES, GS_RETIREMENTS, VERRA, Env, make_env, subset

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?x=1","click, here")'
HOSTILE_BENEFICIARIES = (
    "=1+2",
    "+SUM(A1:A9)",
    "-2+3",
    "@cmd|' /C calc'!A0",
    "'already quoted",
    '北京 "碳" 中和, 有限公司',
    "\u3000\uff1dSUM(1)",  # an ideographic space, then a full-width equals sign
)


@dataclass
class Built:
    env: Env
    alice: LedgerClient
    bob: LedgerClient
    hostile_batch: int
    voided_batch: int
    beneficiaries: list[str] = field(default_factory=list)


def build(folder: Path) -> Built:
    env = make_env(folder)
    env.run("vcs", issuances=subset(VERRA, folder / "vcs.csv", range(2, 40)))
    env.run(
        "gs",
        issuances=subset(GS_ISSUANCES, folder / "gs-i.csv", range(2, 30)),
        retirements=subset(GS_RETIREMENTS, folder / "gs-r.csv", range(2, 10)),
    )
    issuer = env.issuer("VCS")
    alice, bob = env.buyer(1), env.buyer(2)
    project = Project("9999001", HOSTILE_NAME, "CN", "-VM0042", "@Agriculture")
    key = issuer.ensure_project(1, project)

    def bridge(first: int, last: int, labels: Label) -> int:
        return issuer.bridge(
            Issuance(
                1,
                key,
                "VCS-EXPORT-TEST",
                first,
                last,
                issuer.account,
                dt.date(2022, 1, 1),
                dt.date(2022, 12, 31),
                labels,
                registry_reference="+ref-1",
            )
        ).batch_id

    labels = Label.CORSIA_ELIGIBLE | Label.CORRESPONDING_ADJUSTMENT
    batch = bridge(1_000_001, 1_001_000, labels)
    voided = bridge(2_000_001, 2_000_100, Label.NONE)
    issuer.transfer(batch, 1_000_001, 1_000_600, alice.account)
    alice.transfer(batch, 1_000_401, 1_000_600, bob.account)
    built = Built(env, alice, bob, batch, voided)
    first = 1_000_001
    for i, who in enumerate(HOSTILE_BENEFICIARIES):
        request = RetirementRequest(
            batch,
            first + 10 * i,
            first + 10 * i + 9,
            who,
            Purpose.CORSIA if i == 0 else Purpose.VOLUNTARY,
            jurisdiction="CN",
            note='=note, "quoted"',
        )
        alice.retire(request)
        built.beneficiaries.append(who)
    bob.detokenise(batch, 1_000_501, 1_000_550, "-VCS-RETURN")
    env.admin.cancel(batch, bob.account, 1_000_551, 1_000_560, "@reversal")
    env.admin.void_batch(voided, "VCS-EXPORT-TEST", "bridged in error")
    Indexer(env.chain.w3, env.engine, env.deployment, confirmations=0).sync()
    return built
