"""A store holding pools, written from the synthetic pool events of the mirror's tests
(``tests.chain.indexer.pool_events``) through the indexer's own writer: the read routes and
the pages are tested on it without a chain. Pool 1 has the mirror's life (deposits from two
batches, transfers, a redemption and a two-range retirement); pool 2 has a hostile name and
symbol and holds batch 2's serials 2400..2500."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from chain.indexer.writer import AuditPosition, StoreWriter
from chain.store import schema as s
from chain.store.engine import open_store
from tests.chain.indexer.pool_events import BOB, TOKEN_2, Log, lifecycle, rules

HOSTILE_NAME = '<script>alert("pool")</script> & 碳汇 "池"'
HOSTILE_SYMBOL = "<b>X</b>"


def pool_log() -> Log:
    log = lifecycle()
    log.block()
    log.create_pool(
        pool_id=2,
        token=TOKEN_2,
        name=HOSTILE_NAME,
        symbol=HOSTILE_SYMBOL,
        pool_rules=rules(programmes=1 << 1, vintage_from=0, modes=(2, 0, 0)),
        lists=((0, "<img src=x onerror=alert(1)>"),),
    )
    log.deposit(BOB, 2, 2400, 2500, pool=2, token=TOKEN_2)
    return log


def pool_engine(tmp: Path) -> sa.Engine:
    engine = open_store(f"sqlite:///{tmp / 'pools.sqlite3'}")
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
    writer = StoreWriter()
    position = AuditPosition(0, b"\0" * 32)
    with engine.begin() as conn:
        position = writer.apply(conn, pool_log().events, position)[0]
    return engine
