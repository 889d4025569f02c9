"""``carbon-ledger demo``: a whole ledger lifecycle on the embedded chain, verified at the end.

Until the registry importer lands, the demo bridges a few real issuance blocks taken from the
bundled Verra and Gold Standard exports (serials, projects and beneficiaries as the registries
published them), moves and retires them as buyers would, then audits the result from the raw
logs. It exits 0 only if the audit finds nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from chain.artifacts import load_artifact
from chain.client import LedgerClient, TxResult
from chain.deployment import deploy_ledger
from chain.domain import Issuance, Label, Project, Purpose, RetirementRequest
from chain.embedded import embedded_chain
from chain.transactions import NonceManager, TxSender
from chain.verify import VerificationReport, verify_chain


@dataclass(frozen=True)
class DemoBlock:
    """One registry issuance block as the export lists it."""

    program: str
    project: Project
    namespace: str
    first: int
    last: int
    vintage_start: dt.date
    vintage_end: dt.date
    reference: str
    labels: Label = Label.NONE


BALE = Project("1340", "Bale Mountains Eco-region REDD+ project", "ET", "VM0015", "AFOLU")
TONGXU = Project(
    "3005", "Tongxu Biogas Recovery and Utilization Project", "CN", "ACM0010", "Energy industries"
)
BIOLITE = Project(
    "GS11236",
    "BioLite Improved Cook stoves Programme - CPA 028 supported by Republic of Korea",
    "UG",
    "",
    "Energy Efficiency - Domestic",
)
KENYA = Project(
    "GS11603",
    "GS10789 VPA8: Efficient and Clean Cooking for households in Kenya",
    "KE",
    "GS TPDDTEC v3.1",
    "Energy Efficiency - Domestic",
)

# verra/transactions.csv rows 2 and 4; gold-standard/issuances.csv rows 2 and 53.
BLOCKS = (
    DemoBlock(
        "VCS", BALE, "VCS-VCU-1507-VER-ET-14-1340-01012020-31122020", 941467007, 941467431,
        dt.date(2020, 1, 1), dt.date(2020, 12, 31), "19385",
    ),
    DemoBlock(
        "VCS", TONGXU, "VCS-VCU-1310-VER-CN-13-3005-01012022-31102022", 941412555, 941441125,
        dt.date(2022, 1, 1), dt.date(2022, 10, 31), "19381",
    ),
    DemoBlock(
        "GS", BIOLITE, "GS1-1-UG-GS11236-16-2024-30307", 1, 19149,
        dt.date(2024, 1, 1), dt.date(2024, 12, 8), "30307",
    ),
    DemoBlock(
        "GS", KENYA, "GS1-1-KE-GS11603-16-2025-30256", 1, 5485,
        dt.date(2024, 3, 2), dt.date(2025, 3, 10), "30256",
    ),
)  # fmt: skip


@dataclass
class ProgrammeSummary:
    batches: int = 0
    bridged: int = 0
    retired: int = 0
    detokenised: int = 0
    gas: int = 0


def run_demo(
    data_dir: Path, *, say: Callable[[str], None] = print
) -> tuple[VerificationReport, dict[str, ProgrammeSummary]]:
    """Run the scenario in a fresh ``data_dir/demo`` and return the audit and the summary."""
    started = time.monotonic()
    demo_dir = data_dir / "demo"
    shutil.rmtree(demo_dir, ignore_errors=True)
    demo_dir.mkdir(parents=True)

    chain = embedded_chain()
    abi = load_artifact().abi
    nonces = NonceManager(chain.w3)
    operator, vcs_registry, gs_registry, buyer_a, buyer_b, buyer_c = (
        TxSender(chain.w3, a, abi, nonces=nonces) for a in chain.accounts[:6]
    )
    summary: dict[str, ProgrammeSummary] = defaultdict(ProgrammeSummary)

    def spend(program: str, result: TxResult | Sequence[TxResult]) -> None:
        for r in result if isinstance(result, Sequence) else [result]:
            summary[program].gas += r.gas_used

    say("deploying CarbonLedger on the embedded chain (eth-tester + py-evm)")
    deployment = deploy_ledger(operator, admin_delay=24 * 3600)
    deployment.save(demo_dir / "deployment.json")
    admin = LedgerClient.for_deployment(chain.w3, deployment, operator)
    admin.grant_role(admin.role("COMPLIANCE_ROLE"), operator.address)
    registries = {"VCS": admin.as_account(vcs_registry), "GS": admin.as_account(gs_registry)}
    programs = {code: admin.register_program(code) for code in registries}
    for code, registry in registries.items():
        admin.grant_issuer(programs[code], registry.account)
    for account in (vcs_registry, gs_registry, buyer_a, buyer_b, buyer_c):
        admin.set_account(account.address)

    say(f"bridging {len(BLOCKS)} real registry blocks")
    holders = [buyer_a, buyer_b, buyer_a, buyer_c]
    batch_ids = []
    for block, holder in zip(BLOCKS, holders, strict=True):
        registry, program_id = registries[block.program], programs[block.program]
        key = registry.ensure_project(program_id, block.project)
        result = registry.bridge(
            Issuance(
                program_id, key, block.namespace, block.first, block.last, holder.address,
                block.vintage_start, block.vintage_end, block.labels, b"\0" * 32, block.reference,
            )
        )  # fmt: skip
        batch_ids.append(result.batch_id)
        summary[block.program].batches += 1
        summary[block.program].bridged += block.last - block.first + 1
        spend(block.program, result)
        say(
            f"  batch {result.batch_id}: {block.program} {block.namespace} {block.first}..{block.last}"
        )

    a, b, c = (admin.as_account(s) for s in (buyer_a, buyer_b, buyer_c))
    bale, tongxu, biolite, kenya = batch_ids
    say("buyers transfer and retire")
    spend("VCS", a.transfer_quantity(bale, 200, buyer_b.address))
    # The registries' own recorded retirements, replayed with their exact serials.
    lindblad = b.retire(
        RetirementRequest(tongxu, 941412555, 941441125, "Lindblad Expeditions Family of Companies")
    )
    hilti = c.retire(RetirementRequest(kenya, 110, 5463, "Hilti Corporation", Purpose.VOLUNTARY))
    spend("VCS", lindblad)
    spend("GS", hilti)
    spend("VCS", b.retire_quantity(bale, 50, "Demo Airline", Purpose.VOLUNTARY))
    signed_request = RetirementRequest(biolite, 1, 1000, "Kampala Schools Trust")
    relayed = admin.retire_signed(signed_request, a.sign_retirement(signed_request))
    spend("GS", relayed)
    spend("GS", a.detokenise(biolite, 19000, 19149, "GS-return-30307"))
    for block, batch_id in zip(BLOCKS, batch_ids, strict=True):
        batch = admin.batch(batch_id)
        summary[block.program].retired += batch.retired
        summary[block.program].detokenised += batch.detokenised

    say("auditing the ledger from its raw logs")
    report = verify_chain(chain.w3, deployment)
    (demo_dir / "report.json").write_text(json.dumps(report.as_json(), indent=2) + "\n")
    elapsed = time.monotonic() - started
    _print_summary(summary, report, elapsed, say)
    return report, summary


def _print_summary(
    summary: dict[str, ProgrammeSummary],
    report: VerificationReport,
    elapsed: float,
    say: Callable[[str], None],
) -> None:
    say("")
    say(
        f"{'programme':<10}{'batches':>8}{'bridged t':>12}{'retired t':>12}{'detok. t':>10}{'gas':>12}"
    )
    for program, s in sorted(summary.items()):
        say(
            f"{program:<10}{s.batches:>8}{s.bridged:>12,}{s.retired:>12,}{s.detokenised:>10,}{s.gas:>12,}"
        )
    say("")
    say(
        f"audit: seq {report.audit_seq}, head {report.audit_head}, {report.events} events, {report.batches} batches"
    )
    if report.ok:
        say(f"verification passed in {elapsed:.1f} s")
    else:
        for d in report.discrepancies:
            say(f"DISCREPANCY {d.kind} block {d.block} {d.event}.{d.field}: {d.message}")
        say(f"verification FAILED ({len(report.discrepancies)} discrepancies) in {elapsed:.1f} s")
