"""Why the indexer stopped, kept in the store (``indexer_halt``) for whoever reads the mirror.

The indexer records a halt when a sync fails (``Indexer.sync``), with the block, audit ``seq``
and event name of the event the store could not take when one is known, and clears it when it
next writes or syncs successfully. ``audit verify``, ``/readyz``, ``/metrics`` and the dashboard
read it: a store that merely lags is catching up, one with a halt recorded has stopped.
``Indexer.follow`` tries a failure that may pass (``chain.errors.is_retryable``: the node
unreachable, a rate limit) again after a pause, and the record stays until a sync succeeds; a
fatal one ends it, recorded.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chain.store import schema as s

MAX_ERROR_CHARS = 2000
"""A database error quotes its statement and parameters: enough of it to say what failed."""


@dataclass(frozen=True)
class Halt:
    error: str
    """The exception's type and message."""
    block: int | None
    """The block of the event the store could not take (or of the problem), when known."""
    seq: int | None
    event: str | None
    """The name of the event that caused the halt, when one event is known to have."""
    stopped_at: int
    """Unix seconds."""

    def where(self) -> str:
        """``block 12 (seq 40, CreditsRetired)``, or less when less is known."""
        if self.block is None:
            return ""
        detail = ", ".join(
            x for x in (f"seq {self.seq}" if self.seq is not None else "", self.event or "") if x
        )
        return f"block {self.block}" + (f" ({detail})" if detail else "")

    def describe(self) -> str:
        where = self.where()
        return f"the indexer stopped{' at ' + where if where else ''}: {self.error}"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def error_text(exc: BaseException) -> str:
    """What to record of ``exc``: its type and message (a database error's own message, not
    the statement SQLAlchemy quotes around it), cut to ``MAX_ERROR_CHARS``."""
    message = str(exc.orig) if isinstance(exc, sa.exc.DBAPIError) else str(exc)
    text = f"{type(exc).__name__}: {message.strip()}"
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def halt_from(exc: BaseException, block: int | None, seq: int | None, event: str | None) -> Halt:
    return Halt(error_text(exc), block, seq, event, int(time.time()))


def record(conn: Connection, halt: Halt) -> None:
    """Replace the recorded halt with ``halt`` (in the caller's transaction)."""
    conn.execute(s.indexer_halt.delete())
    conn.execute(
        s.indexer_halt.insert().values(
            id=1,
            error=halt.error,
            block_number=halt.block,
            seq=halt.seq,
            event=halt.event,
            stopped_at=halt.stopped_at,
        )
    )


def clear(conn: Connection) -> None:
    conn.execute(s.indexer_halt.delete())


def read(conn: Connection) -> Halt | None:
    """The recorded halt, if the indexer has not run successfully since."""
    row = conn.execute(sa.select(s.indexer_halt)).first()
    if row is None:
        return None
    return Halt(row.error, row.block_number, row.seq, row.event, row.stopped_at)
