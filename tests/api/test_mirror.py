"""``api.mirror``: writes wait for their block on one waiter. Woken together by the indexer's
reports; without reports, by one read of the store's checkpoint for all of them; and told the
truth (``False``) when the store does not get there in time."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import sqlalchemy as sa

from api.mirror import Mirror
from chain.store import schema as s
from chain.store.engine import open_store


def _store(tmp_path: Path, block: int) -> sa.Engine:
    engine = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(
            s.checkpoint.insert().values(
                id=1,
                block_number=block,
                block_hash="0x" + "00" * 32,
                audit_seq=0,
                audit_head="0x" + "00" * 32,
                paused=False,
                updated_at=0,
            )
        )
    return engine


def _move(engine: sa.Engine, block: int) -> None:
    with engine.begin() as conn:
        conn.execute(s.checkpoint.update().values(block_number=block))


def test_waiting_writes_are_woken_by_the_reports_of_their_blocks(tmp_path: Path) -> None:
    mirror = Mirror(_store(tmp_path, 0))

    async def scenario() -> list[bool]:
        waits = [asyncio.create_task(mirror.reached(b, 10)) for b in (5, 6, 9)]
        await asyncio.sleep(0.05)
        mirror.advance(6)
        await asyncio.sleep(0.05)
        assert [w.done() for w in waits] == [True, True, False]
        mirror.advance(9)
        return list(await asyncio.gather(*waits))

    try:
        assert asyncio.run(scenario()) == [True, True, True]
        assert asyncio.run(mirror.reached(3, 0)) is True  # already held: no wait at all
    finally:
        mirror.close()


def test_without_reports_the_store_itself_releases_the_waiting_writes(tmp_path: Path) -> None:
    """Another indexer fills the store (or the relay has not reported yet): one thread reads
    the checkpoint for every waiting write once the relay has been quiet for a while."""
    engine = _store(tmp_path, 0)
    mirror = Mirror(engine)

    async def scenario() -> float:
        started = time.monotonic()
        waits = [asyncio.create_task(mirror.reached(7, 10)) for _ in range(50)]
        await asyncio.sleep(0.05)
        await asyncio.to_thread(_move, engine, 7)
        assert all(await asyncio.gather(*waits))
        return time.monotonic() - started

    try:
        assert asyncio.run(scenario()) < 10
        assert mirror.block == 7
    finally:
        mirror.close()


def test_a_block_the_store_does_not_reach_in_time_is_no(tmp_path: Path) -> None:
    mirror = Mirror(_store(tmp_path, 4))
    try:
        assert asyncio.run(mirror.reached(5, 0.2)) is False
        assert asyncio.run(mirror.reached(4, 0.2)) is True  # the store's own word, at the end
    finally:
        mirror.close()
