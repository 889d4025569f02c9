"""A store holding pools, written from the synthetic pool events of the mirror's tests
(``tests.chain.indexer.pool_events``) through the indexer's own writer: the read routes and
the pages are tested on it without a chain. Pool 1 has the mirror's life (deposits from two
batches, transfers, a redemption and a two-range retirement); pool 2 has a hostile name and
symbol and holds batch 2's serials 2400..2500."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.chain.indexer.pool_events import (
    BOB,
    TOKEN_2,
    Log,
    lifecycle,
    open_mirror,
    rules,
    write_events,
)

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
    engine = open_mirror(lambda: f"sqlite:///{tmp / 'pools.sqlite3'}")
    write_events(engine, pool_log().events, per_block=False)
    return engine
