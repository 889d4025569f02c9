"""The ledger's events of one name and one indexed key, searched on the node (no query store).

For callers that have the node but may have no store (the command line): a batch's issuance
(``chain.batch_serials``), a pool's list changes (``chain.pool_lists``). Every audited event
indexes ``seq`` first, so the key searched is the second indexed field (topic 2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chain.events import LedgerEvent, decode_logs, topic0

if TYPE_CHECKING:
    from chain.client import LedgerClient


def topic_word(value: int | bytes) -> str:
    """An indexed topic: an integer or a 32-byte value as the node filters on it."""
    raw = value.to_bytes(32, "big") if isinstance(value, int) else bytes(value)
    return "0x" + raw.hex()


def keyed_events(
    ledger: LedgerClient, name: str, key: int | bytes, *, from_block: int = 0
) -> list[LedgerEvent]:
    """The ledger's ``name`` events whose second indexed field is ``key``, oldest first.
    Searched from ``from_block`` (the ledger's deploy block: some nodes limit a search's span)."""
    logs = ledger.w3.eth.get_logs(
        {
            "address": ledger.address,
            "fromBlock": from_block,
            "toBlock": "latest",
            "topics": [topic_word(topic0(name)), None, topic_word(key)],
        }
    )
    return decode_logs(dict(log) for log in logs)
