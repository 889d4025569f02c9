"""Synthetic ledger events for the pool mirror's tests: a pool's life written as the contract
logs it (field names and order as in ``ICarbonLedgerEvents``), so the writer, the rollback and
the store queries can be tested on both stores with values at the contract's bounds, without
a chain. The whole pipeline on a real contract is tested in ``test_pools_chain.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from chain.domain import RangeState
from chain.events import LedgerEvent
from chain.indexer.writer import AuditPosition, StoreWriter
from chain.store import schema as s
from chain.store.engine import open_store

ZERO = "0x" + "0" * 40
ALICE = "0x" + "a1" * 20
BOB = "0x" + "b0" * 20
CAROL = "0x" + "c0" * 20
DAVE = "0x" + "d0" * 20
TOKEN = "0x" + "70" * 20
TOKEN_2 = "0x" + "72" * 20
ADMIN = "0x" + "ad" * 20
PROJECT_KEY = b"\x01" * 32
OTHER_KEY = b"\x02" * 32
MAX_UINT256 = 2**256 - 1

POOL_NAME = "Naturbasierte Gutschriften — 自然碳汇 ñ 🌳"
LONG_SYMBOL = "Ω" * 32  # 64 bytes of UTF-8: the longest symbol the contract accepts


def rules(
    programmes: int = 1 << 1,
    vintage_from: int = 20150101,
    vintage_to: int = 0,
    labels: int = 0,
    modes: tuple[int, int, int] = (0, 0, 0),
) -> dict[str, Any]:
    return {
        "programmes": programmes,
        "vintageFrom": vintage_from,
        "vintageTo": vintage_to,
        "labelsRequired": labels,
        "countryMode": modes[0],
        "typeMode": modes[1],
        "methodologyMode": modes[2],
    }


@dataclass
class Log:
    """Events in chain order: one block per ``block()``, one transaction per ``tx()``."""

    events: list[LedgerEvent] = field(default_factory=list)
    number: int = 1
    tx_count: int = 0
    log_index: int = 0
    retirements: int = 0

    def block(self) -> None:
        self.number += 1
        self.tx_count = 0
        self.log_index = 0

    def tx(self) -> None:
        self.tx_count += 1

    def add(self, event_name: str, /, **fields: Any) -> LedgerEvent:
        seq = len(self.events) + 1
        event = LedgerEvent(
            name=event_name,
            seq=seq,
            block_number=self.number,
            block_hash="0x" + f"{self.number:064x}",
            tx_hash="0x" + f"{self.number:032x}{self.tx_count:032x}",
            tx_index=self.tx_count,
            log_index=self.log_index,
            fields={"seq": seq, **fields},
            topics=(seq.to_bytes(32),),
            data=b"",
        )
        self.log_index += 1
        self.events.append(event)
        return event

    # ------------------------------------------------------------ ledger operations

    def setup(self) -> None:
        """A programme (id 1), two projects, two batches of different vintages."""
        self.tx()
        self.add("ProgramRegistered", programId=1, actor=ADMIN, code=b"VCS")
        self.tx()
        for key, pid, country, kind in (
            (PROJECT_KEY, "1340", "ET", "AFOLU"),
            (OTHER_KEY, "981", "BR", "Énergie renouvelable"),
        ):
            self.add(
                "ProjectRegistered",
                projectKey=key,
                actor=ADMIN,
                programId=1,
                project={
                    "projectId": pid,
                    "name": f"Project {pid}",
                    "country": country,
                    "methodology": "VM0015",
                    "projectType": kind,
                },
            )
        self.bridge(1, PROJECT_KEY, 1, 1000, ALICE, 20200101)
        self.bridge(2, OTHER_KEY, 2001, 2500, BOB, 20160701)

    def bridge(
        self, batch_id: int, key: bytes, first: int, last: int, to: str, vintage: int
    ) -> None:
        self.tx()
        self.add(
            "BatchBridged",
            batchId=batch_id,
            actor=ADMIN,
            issuance={
                "programId": 1,
                "projectKey": key,
                "namespace": f"NS-{batch_id}",
                "firstSerial": first,
                "lastSerial": last,
                "recipient": to,
                "vintageStart": vintage,
                "vintageEnd": vintage + 1130,
                "labels": 1,
                "metadataHash": b"\x00" * 32,
                "registryReference": f"REF-{batch_id}",
            },
        )
        self.moved(batch_id, ZERO, to, first, last)

    def moved(
        self, batch_id: int, sender: str, to: str, first: int, last: int, state: int = 1
    ) -> None:
        self.add(
            "SerialsMoved",
            batchId=batch_id,
            **{"from": sender},
            to=to,
            firstSerial=first,
            lastSerial=last,
            state=state,
            actor=to if sender == ZERO else sender,
        )

    def create_pool(
        self,
        pool_id: int = 1,
        token: str = TOKEN,
        name: str = POOL_NAME,
        symbol: str = LONG_SYMBOL,
        pool_rules: dict[str, Any] | None = None,
        lists: tuple[tuple[int, str], ...] = ((0, "ET"), (0, "BR"), (1, "AFOLU")),
    ) -> None:
        self.tx()
        self.add(
            "PoolCreated",
            poolId=pool_id,
            token=token,
            name=name,
            symbol=symbol,
            rules=pool_rules or rules(modes=(1, 2, 0)),
            actor=ADMIN,
        )
        for kind, value in lists:
            self.add(
                "PoolListUpdated",
                poolId=pool_id,
                actor=ADMIN,
                kind=kind,
                value=value,
                listed=True,
            )

    def units(self, pool_id: int, sender: str, to: str, amount: int, actor: str) -> None:
        self.add(
            "PoolUnitsMoved",
            poolId=pool_id,
            **{"from": sender},
            to=to,
            amount=amount,
            actor=actor,
        )

    def deposit(
        self, who: str, batch_id: int, first: int, last: int, pool: int = 1, token: str = TOKEN
    ) -> None:
        self.tx()
        self.moved(batch_id, who, token, first, last)
        self.units(pool, ZERO, who, last - first + 1, who)

    def redeem(
        self,
        who: str,
        spans: list[tuple[int, int, int]],
        pool: int = 1,
        token: str = TOKEN,
    ) -> None:
        self.tx()
        for batch_id, first, last in spans:
            self.moved(batch_id, token, who, first, last)
        self.units(pool, who, ZERO, sum(last - first + 1 for _, first, last in spans), who)

    def retire(
        self,
        who: str,
        spans: list[tuple[int, int, int]],
        pool: int = 1,
        token: str = TOKEN,
        beneficiary: str = "Bénéficiaire 受益人",
    ) -> None:
        self.tx()
        for batch_id, first, last in spans:
            self.moved(batch_id, token, who, first, last, int(RangeState.RETIRED))
            self.retirements += 1
            self.add(
                "CreditsRetired",
                retirementId=self.retirements,
                holder=who,
                retirement={
                    "batchId": batch_id,
                    "firstSerial": first,
                    "lastSerial": last,
                    "beneficiary": beneficiary,
                    "purpose": 0,
                    "jurisdiction": "",
                    "consumptionStart": 0,
                    "consumptionEnd": 0,
                    "note": "",
                },
                retiredOn=20261207,
                mirrored=False,
                actor=who,
                labels=1,
            )
        self.units(pool, who, ZERO, sum(last - first + 1 for _, first, last in spans), who)

    def transfer(self, sender: str, to: str, amount: int, actor: str, pool: int = 1) -> None:
        self.tx()
        self.units(pool, sender, to, amount, actor)

    def approve(self, owner: str, spender: str, amount: int, pool: int = 1) -> None:
        self.tx()
        self.add("PoolUnitsApproved", poolId=pool, owner=owner, spender=spender, amount=amount)

    def tighten(
        self, pool: int, pool_rules: dict[str, Any], lists: tuple[tuple[int, str], ...] = ()
    ) -> None:
        """A tightening, then the lists of the kinds it moves from any, in one transaction."""
        self.tx()
        self.add("PoolRulesTightened", poolId=pool, actor=ADMIN, rules=pool_rules)
        for kind, value in lists:
            self.add(
                "PoolListUpdated", poolId=pool, actor=ADMIN, kind=kind, value=value, listed=True
            )

    def list_update(self, pool: int, kind: int, value: str, listed: bool) -> None:
        self.tx()
        self.add("PoolListUpdated", poolId=pool, actor=ADMIN, kind=kind, value=value, listed=listed)

    def program_unit(self, program_id: int, grams: int) -> None:
        self.tx()
        self.add("ProgramUnitSet", programId=program_id, actor=ADMIN, unitGrams=grams)


def lifecycle() -> Log:
    """A pool's whole life over several blocks: created with lists, deposits from two
    batches, allowances (one unlimited), transfers and a transferFrom, a redeem and a
    retirement across two batches in redeem order, a tightening listing the methodology it
    moves from any (in its own transaction), and a list change."""
    log = Log()
    log.setup()
    log.program_unit(1, 0)
    log.create_pool()
    log.block()
    log.deposit(ALICE, 1, 1, 100)
    log.deposit(BOB, 2, 2001, 2050)
    log.deposit(ALICE, 1, 101, 150)
    log.block()
    log.approve(ALICE, CAROL, MAX_UINT256)
    log.transfer(ALICE, DAVE, 30, CAROL)  # transferFrom by carol: unlimited, not spent
    log.approve(ALICE, BOB, 10)
    log.transfer(ALICE, BOB, 10, BOB)  # transferFrom by bob: spends all of it
    log.transfer(BOB, CAROL, 5, BOB)
    log.block()
    log.redeem(DAVE, [(2, 2001, 2020)])  # oldest vintage first: batch 2 (2016)
    log.retire(ALICE, [(2, 2021, 2050), (1, 1, 30)])
    log.block()
    log.tighten(1, rules(vintage_from=20160101, labels=1, modes=(1, 2, 2)), ((2, "VM0007"),))
    log.list_update(1, 0, "BR", False)
    return log


def open_mirror(store_factory: Callable[[], str]) -> sa.Engine:
    """A migrated store of the test's backend with a chain and a checkpoint (as the indexer
    makes them), ready for events."""
    engine = open_store(store_factory())
    with engine.begin() as conn:
        conn.execute(
            s.chain_info.insert().values(
                id=1,
                chain_id=31337,
                genesis_hash="0x" + "11" * 32,
                contract_address="0x" + "22" * 20,
                deploy_block=1,
                deploy_block_hash="0x" + "33" * 32,
            )
        )
        conn.execute(
            s.checkpoint.insert().values(
                id=1,
                block_number=0,
                block_hash="0x" + "00" * 32,
                audit_seq=0,
                audit_head="0x" + "00" * 32,
                paused=False,
                updated_at=0,
            )
        )
    return engine


def write_events(
    engine: sa.Engine, events: Sequence[LedgerEvent], *, per_block: bool = True
) -> None:
    """Apply ``events`` as the indexer does: a chunk per block (or all in one), one writer."""
    writer = StoreWriter()
    with engine.connect() as conn:
        last = conn.execute(
            sa.select(s.events.c.seq, s.events.c.audit_head)
            .order_by(s.events.c.seq.desc())
            .limit(1)
        ).one_or_none()
    position = (
        AuditPosition(0, b"\0" * 32)
        if last is None
        else AuditPosition(int(last.seq), bytes.fromhex(str(last.audit_head)[2:]))
    )
    chunks: dict[int, list[LedgerEvent]] = {}
    for e in events:
        chunks.setdefault(e.block_number if per_block else 0, []).append(e)
    for chunk in chunks.values():
        with engine.begin() as conn:
            position = writer.apply(conn, chunk, position)[0]
