"""The 4-registry consortium of issue 14, end to end on anvil, through the command line
(docs/CONSORTIUM.md walks the same steps): VCS, GS, CDM and CCER each governed by its own
admin key; each admin grants its issuer; the issuers bridge real registry rows; a wrong
bridging is voided and bridged again; a lost key's credits are recovered; a CDM project linked
to its VCS successor refuses a period bridged twice; the ledger moves to
a successor (the link too) and ``audit verify`` passes across the boundary, and fails naming
the double counting when an issuer bridges again on the successor what was retired on the predecessor.

The typed client stands in where no command exists (transfers and retirements by holders, a
bridging outside an export)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from chain.anvil import LocalNode
from chain.artifacts import ledger_abi
from chain.client import LedgerClient
from chain.connect import ANVIL_DEV_KEY, OPERATOR_KEY_ENV, connect
from chain.deployment import Deployment
from chain.domain import Issuance, Project, RangeState, int_to_date, project_key
from chain.errors import LinkedPeriodClaimed
from chain.importer.keys import ISSUER_KEY_ENV, KEYSTORE_PASSWORD_ENV
from chain.migration import read_state
from chain.transactions import TxSender
from cli.main import main
from tests.chain.importer.support import DATA, subset
from tests.cli.conftest import PASSWORD, Cli

pytestmark = [pytest.mark.anvil, pytest.mark.slow]

REGISTRIES = {"VCS": "vcs", "GS": "gs", "CDM": "cdm", "CCER": "ccer"}
EXPORTS = {
    # Verra: two retired blocks (mirrored retirements) and four live ones; Gold Standard:
    # three issued blocks; the CDM and CCER samples whole (tests/data/registries/HANDMADE.md).
    "VCS": (DATA / "verra" / "transactions.csv", [2, 3, 103, 104, 131, 132]),
    "GS": (DATA / "gold-standard" / "issuances.csv", [2, 3, 4]),
    "CDM": (DATA / "cdm" / "issuances.csv", None),
    "CCER": (DATA / "ccer" / "issuances.csv", None),
}
LIGHT_SCRYPT = 2**14  # keystores the test unlocks dozens of times


@dataclass(frozen=True)
class Key:
    account: LocalAccount
    keystore: Path
    password_file: Path

    @property
    def address(self) -> str:
        return str(self.account.address)

    @property
    def flags(self) -> list[str]:
        return ["--keystore", str(self.keystore), "--password-file", str(self.password_file)]


@dataclass
class Consortium:
    cli: Cli
    url: str
    w3: Web3
    operator: Key
    compliance: Key
    pauser: Key
    admins: dict[str, Key]
    issuers: dict[str, Key]
    buyer: Key
    lost: Key
    new: Key

    def run(self, *args: str, key: Key | None = None) -> dict[str, Any]:
        """``carbon-ledger ARGS --rpc URL [--keystore ...] --json``: must succeed."""
        return self.cli.json(*args, "--rpc", self.url, *(key.flags if key else []))

    def client(self, key: Key) -> LedgerClient:
        deployment = Deployment.load(self.cli.data_dir / "deployment.json")
        return LedgerClient.for_deployment(
            self.w3, deployment, TxSender(self.w3, key.account, ledger_abi())
        )


def _key(folder: Path, name: str, password_file: Path, key: str | None = None) -> Key:
    """A key (new, or ``key``) in a keystore of its own."""
    account: LocalAccount = Account.from_key(key) if key else Account.create()
    path = folder / f"{name}.json"
    document = Account.encrypt(account.key, PASSWORD, kdf="scrypt", iterations=LIGHT_SCRYPT)
    path.write_text(json.dumps(document))
    return Key(account, path, password_file)


@pytest.fixture
def consortium(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Consortium]:
    monkeypatch.delenv(KEYSTORE_PASSWORD_ENV, raising=False)
    keys = tmp_path / "keys"
    keys.mkdir()
    password_file = keys / "password"
    password_file.write_text(PASSWORD + "\n")
    operator = _key(keys, "operator", password_file, ANVIL_DEV_KEY)
    # On a real node the ledger admin, compliance and the pauser are three keys.
    compliance = _key(keys, "compliance", password_file)
    pauser = _key(keys, "pauser", password_file)
    data_dir = tmp_path / "consortium"
    with LocalNode(tmp_path / "node") as node:
        # The ledger admin deploys, with no programme of its own: each registry governs its own.
        monkeypatch.setenv(OPERATOR_KEY_ENV, ANVIL_DEV_KEY)
        assert (
            main(
                [
                    "deploy",
                    "--data-dir",
                    str(data_dir),
                    "--rpc",
                    node.url,
                    "--admin-delay",
                    "0",
                    "--no-programmes",
                    "--compliance",
                    compliance.address,
                    "--pauser",
                    pauser.address,
                ]
            )
            == 0
        )
        monkeypatch.delenv(OPERATOR_KEY_ENV)
        w3 = connect(data_dir, node.url)
        funder = TxSender(w3, operator.account, ledger_abi())
        c = Consortium(
            cli=Cli(data_dir, capsys),
            url=node.url,
            w3=w3,
            operator=operator,
            compliance=compliance,
            pauser=pauser,
            admins={code: _key(keys, f"admin-{code}", password_file) for code in REGISTRIES},
            issuers={code: _key(keys, f"issuer-{code}", password_file) for code in REGISTRIES},
            buyer=_key(keys, "buyer", password_file),
            lost=_key(keys, "lost", password_file),
            new=_key(keys, "new", password_file),
        )
        for key in [*c.admins.values(), *c.issuers.values(), c.buyer, compliance]:
            funder.wait(funder.send_eth(key.address, Web3.to_wei(100, "ether")))
        yield c


def _batches(client: LedgerClient, holder: str) -> list[tuple[int, int, int]]:
    """``(batch, first, last)`` of every live range ``holder`` holds."""
    return [
        (b, r.first, r.last)
        for b in range(1, client.batch_count() + 1)
        for r in client.holdings(b, holder)
        if r.state == RangeState.HELD
    ]


def test_four_registries_govern_bridge_correct_recover_and_move_to_a_successor(
    consortium: Consortium, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = consortium
    op = c.operator

    # 1. The ledger admin registers each programme naming its registry's admin key.
    for code, admin in c.admins.items():
        registered = c.run("programme", "register", code, "--admin", admin.address, key=op)
        assert registered["admin"] == admin.address
    # 2. Each registry's admin applies its identity policy and grants its issuer; the ledger
    #    admin cannot grant a programme's issuer.
    err = c.cli.refused(
        "issuer", "grant", "VCS", c.issuers["VCS"].address, "--rpc", c.url, *op.flags
    )
    assert "AccessControlUnauthorizedAccount" in err
    for code, admin in c.admins.items():
        c.run("programme", "policy", code, key=admin)
        granted = c.run("issuer", "grant", code, c.issuers[code].address, key=admin)
        assert granted["issuer"] is True
    # 3. Compliance allowlists the issuers (their custody accounts) and the holders.
    for key in [*c.issuers.values(), c.buyer, c.lost, c.new]:
        c.run("account", "allow", key.address, key=c.compliance)

    # 4. Each issuer bridges its registry's rows with its own key.
    for code, registry in REGISTRIES.items():
        source, rows = EXPORTS[code]
        export = subset(source, tmp_path / f"{registry}.csv", rows)
        monkeypatch.setenv(ISSUER_KEY_ENV, "0x" + bytes(c.issuers[code].account.key).hex())
        imported = c.cli.json(
            "import", "--registry", registry, "--issuances", str(export), "--rpc", c.url
        )
        assert imported["rows_rejected"] == 0, imported["rejected"]
        assert imported["tonnes"]["bridged"] > 0
    monkeypatch.delenv(ISSUER_KEY_ENV)

    vcs = c.client(c.issuers["VCS"])
    gs = c.client(c.issuers["GS"])
    vcs_live = _batches(vcs, vcs.account)
    gs_live = _batches(gs, gs.account)
    assert len(vcs_live) == 4 and len(gs_live) == 3
    # A buyer buys VCS and GS credits and retires some; another holder receives some.
    batch, first, _ = vcs_live[0]
    vcs.transfer(batch, first, first + 99, c.buyer.address)
    vcs.transfer(batch, first + 100, first + 149, c.lost.address)
    g_batch, g_first, _ = gs_live[0]
    gs.transfer(g_batch, g_first, g_first + 9, c.buyer.address)
    buyer = c.client(c.buyer)
    retired = buyer.retire_quantity(batch, 40, "Consortium test buyer")[0]

    # 5. A wrong bridging (wrong vintage), voided by the VCS admin and bridged again rightly.
    project = vcs.ensure_project(
        vcs.program_id("VCS"),
        Project("2941", "Wind power project in India", "IN", "ACM0002", "Energy industries"),
    )
    block = Issuance(
        program_id=vcs.program_id("VCS"),
        project_key=project,
        namespace="VCS-VCU",
        first_serial=942037638,
        last_serial=942076321,
        recipient=vcs.account,
        vintage_start=dt.date(2022, 1, 1),  # the registry says 2023-01-01..2023-02-15
        vintage_end=dt.date(2022, 2, 15),
        registry_reference="19402",
    )
    wrong = vcs.bridge(block).batch_id
    voided = c.run(
        "batch",
        "void",
        str(wrong),
        "--namespace",
        "VCS-VCU",
        "--reason",
        "wrong vintage",
        key=c.admins["VCS"],
    )
    assert voided["batch_id"] == wrong
    right = vcs.bridge(
        Issuance(
            **{
                **vars(block),
                "vintage_start": dt.date(2023, 1, 1),
                "vintage_end": dt.date(2023, 2, 15),
            }
        )
    ).batch_id
    c.run("batch", "correct", str(wrong), str(right), key=c.admins["VCS"])

    # 6. A holder loses its key: compliance freezes it and recovers its credits to its new one.
    c.run("account", "freeze", c.lost.address, key=c.compliance)
    recovered = c.run("account", "recover", c.lost.address, c.new.address, key=c.compliance)
    assert recovered["ranges"] == [{"batch_id": batch, "first_serial": first + 100}]
    assert vcs.balance_of(c.new.address, batch) == 50

    # 7. CDM project 7014 moves to VCS: the CDM and VCS admins each agree to link it with its
    #    VCS successor; from then on no period is bridged under both programmes.
    cdm = c.client(c.issuers["CDM"])
    cdm_key = cdm.ensure_project(
        cdm.program_id("CDM"),
        Project("7014", "Transitioned cookstoves", "RW", "AMS-II.G", "Energy demand"),
    )
    vcs_key = vcs.ensure_project(
        vcs.program_id("VCS"),
        Project("4823", "Transitioned cookstoves", "RW", "VMR0006", "Energy demand"),
    )
    c.run(
        "project",
        "link",
        "--program",
        "CDM",
        "--project",
        "7014",
        "--with",
        "VCS:4823",
        key=c.admins["CDM"],
    )
    linked = c.run(
        "project",
        "link",
        "--program",
        "VCS",
        "--project",
        "4823",
        "--with",
        "CDM:7014",
        key=c.admins["VCS"],
    )
    assert linked["link_group"] > 0
    # The CDM registry issues the first half of 2020 under CDM ...
    cdm.bridge(
        Issuance(
            program_id=cdm.program_id("CDM"),
            project_key=cdm_key,
            namespace="RW",
            first_serial=1_470_000,
            last_serial=1_470_999,
            recipient=cdm.account,
            vintage_start=dt.date(2020, 1, 1),
            vintage_end=dt.date(2020, 6, 30),
            registry_reference="CDM-7014-2020H1",
        )
    )
    transition = Issuance(
        program_id=vcs.program_id("VCS"),
        project_key=vcs_key,
        namespace="VCS-VCU",
        first_serial=990_000_000,
        last_serial=990_000_999,
        recipient=vcs.account,
        vintage_start=dt.date(2020, 1, 1),  # the whole of 2020: its first half is CDM's
        vintage_end=dt.date(2020, 12, 31),
        registry_reference="VCS-4823-2020",
    )
    # ... so VCS may not issue those months again, only what follows.
    with pytest.raises(LinkedPeriodClaimed) as refusal:
        vcs.bridge(transition)
    assert refusal.value.arguments["programId"] == cdm.program_id("CDM")
    vcs.bridge(replace(transition, vintage_start=dt.date(2020, 7, 1)))

    before = c.run("audit", "verify")
    assert before["ok"] is True, before["discrepancies"]

    # 8. Migration: the ledger admin seals (announced; the delay is 0 here) and deploys the
    #    successor; each programme admin carries its programme, compliance the accounts, each
    #    issuer its live credits, then compliance again (freezes).
    old = Deployment.load(c.cli.data_dir / "deployment.json")
    err = c.cli.refused("ledger", "carry-credits", "VCS", "--rpc", c.url, *c.issuers["VCS"].flags)
    assert "succeeds no ledger this data folder knows" in err
    succeeded = c.run("ledger", "succeed", key=op)
    assert succeeded["predecessor"] == old.address
    assert (c.cli.data_dir / f"deployment-{old.address}.json").exists()
    assert (c.cli.data_dir / f"ledger-{old.address}.sqlite3").exists()  # the import's store
    # Only the programme's issuer carries its credits; only its admin its programme.
    err = c.cli.refused("ledger", "carry-credits", "VCS", "--rpc", c.url, *c.buyer.flags)
    assert "AccessControlUnauthorizedAccount" in err
    err = c.cli.refused("ledger", "carry-programme", "GS", "--rpc", c.url, *c.admins["VCS"].flags)
    assert "AccessControlUnauthorizedAccount" in err
    for code, admin in c.admins.items():
        c.run("ledger", "carry-programme", code, key=admin)
    c.run("ledger", "carry-accounts", key=c.compliance)
    carried = {
        code: c.run("ledger", "carry-credits", code, key=issuer)
        for code, issuer in c.issuers.items()
    }
    c.run("ledger", "carry-accounts", key=c.compliance)
    assert all(carried[code]["batches"] for code in REGISTRIES)
    # Then the CDM and VCS admins each carry the 7014 ⇄ 4823 link (the first proposes, the
    # second accepts): the months CDM claims on the successor bind VCS there too.
    c.run("ledger", "carry-links", "CDM", key=c.admins["CDM"])
    relinked = c.run("ledger", "carry-links", "VCS", key=c.admins["VCS"])
    assert [link["status"] for link in relinked["links"]] == ["accepted"]
    c.client(c.issuers["CDM"]).bridge(
        replace(
            transition,
            program_id=cdm.program_id("CDM"),
            project_key=cdm_key,
            namespace="RW",
            first_serial=1_471_000,
            last_serial=1_471_499,
            recipient=cdm.account,
            vintage_start=dt.date(2021, 1, 1),
            vintage_end=dt.date(2021, 6, 30),
            registry_reference="CDM-7014-2021H1",
        )
    )
    with pytest.raises(LinkedPeriodClaimed):
        c.client(c.issuers["VCS"]).bridge(
            replace(
                transition,
                first_serial=990_001_000,
                last_serial=990_001_999,
                vintage_start=dt.date(2021, 1, 1),
                vintage_end=dt.date(2021, 12, 31),
                registry_reference="VCS-4823-2021",
            )
        )

    verified = c.run("audit", "verify")
    assert verified["ok"] is True, verified["discrepancies"]
    [predecessor] = verified["predecessors"]
    assert predecessor["address"] == old.address
    assert predecessor["not_carried"] == 0
    assert predecessor["carried_links"] == predecessor["links"] == 1
    assert predecessor["carried_tonnes"] == predecessor["live_tonnes"] > 0
    shown = c.run("ledger", "show")
    assert shown["predecessor"] == old.address and shown["carry_problems"] == 0

    # The holders hold on the successor exactly what they held live before.
    new_vcs = c.client(c.issuers["VCS"])
    assert new_vcs.address != vcs.address
    assert sum(r[2] - r[1] + 1 for r in _batches(new_vcs, c.buyer.address)) == 60 + 10
    assert sum(r[2] - r[1] + 1 for r in _batches(new_vcs, c.new.address)) == 50
    assert new_vcs.account_status(c.lost.address).frozen

    # Importing the Verra export again on the successor bridges nothing: the blocks retired
    # at the registry stay the predecessor's history, the live ones arrived by the carry-over.
    count = new_vcs.batch_count()
    monkeypatch.setenv(ISSUER_KEY_ENV, "0x" + bytes(c.issuers["VCS"].account.key).hex())
    again = c.cli.json(
        "import", "--registry", "vcs", "--issuances", str(tmp_path / "vcs.csv"), "--rpc", c.url
    )
    monkeypatch.delenv(ISSUER_KEY_ENV)
    assert new_vcs.batch_count() == count
    retired_rows = [r for r in again["rejected"] if "on the predecessor ledger" in r["reason"]]
    assert len(retired_rows) == 2, again["rejected"]
    assert all("were retired on the predecessor" in r["reason"] for r in retired_rows)

    # 9. An issuer bridging again on the successor what the buyer retired on the predecessor
    #    is double counting: audit verify names it.

    origin = read_state(c.w3, old).batches[batch]
    start, end = int_to_date(origin.vintage_start), int_to_date(origin.vintage_end)
    assert start is not None and end is not None
    pid = new_vcs.program_id("VCS")
    new_vcs.bridge(
        Issuance(
            program_id=pid,
            project_key=project_key(pid, origin.project_id),
            namespace=origin.namespace,
            first_serial=retired.first_serial,
            last_serial=retired.last_serial,
            recipient=new_vcs.account,
            vintage_start=start,
            vintage_end=end,
            registry_reference=origin.registry_reference,
        )
    )
    status, out, _ = c.cli("audit", "verify", "--rpc", c.url)
    assert status == 1
    assert (
        f"double counting: serials {retired.first_serial}..{retired.last_serial} were retired "
        "on the predecessor"
    ) in out
