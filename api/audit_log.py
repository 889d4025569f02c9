"""The API's own audit log: append-only, hash-chained, and linked to the ledger's trail.

Every authenticated request gets a ``request`` entry before anything is attempted, and an
``outcome`` entry with the HTTP status it was answered with, the transaction it sent and the
ledger audit ``seq`` that transaction reached. A request answered 202 (still pending) gets a
second ``outcome`` entry when its transaction settles.

Entry ``n``'s hash is ``sha256(prev ‖ canonical JSON of entry n)``: ``prev`` is the 32 bytes of
entry ``n-1``'s hash (32 zero bytes for entry 1) and the JSON holds every column but ``hash``
and ``prev_hash`` (``ENTRY_FIELDS``), keys sorted, no spaces, UTF-8, nulls kept. Editing,
deleting, inserting or reordering an entry breaks every hash after it (docs/API.md shows the
ten-line check).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from web3 import Web3

from api import tables
from api.journal import memo
from chain.events import decode_logs
from chain.store import schema as s
from chain.verify import Discrepancy, VerificationReport

GENESIS = "0x" + "00" * 32
ENTRY_FIELDS = (
    "seq",
    "kind",
    "request_seq",
    "at",
    "key_id",
    "scope",
    "method",
    "path",
    "body_hash",
    "idempotency_key",
    "status",
    "outcome",
    "tx_hash",
    "ledger_seq",
)
KINDS = ("request", "outcome")


_INSERT = tables.api_audit_log.insert()


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    document = {name: entry.get(name) for name in ENTRY_FIELDS}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(bytes.fromhex(prev_hash[2:]) + text.encode("utf-8"))
    return "0x" + digest.hexdigest()


def body_hash(body: bytes) -> str | None:
    return "0x" + hashlib.sha256(body).hexdigest() if body else None


def now_ms() -> int:
    return int(time.time() * 1000)


def append(**values: Any) -> Callable[[Connection], int]:
    """A journal job appending one entry (``ENTRY_FIELDS`` but ``seq``/``at``); returns its seq.

    The tail is read inside the job: jobs run one at a time in the journal's transaction, and
    a second writer elsewhere would collide on the primary key rather than fork the chain."""
    unknown = set(values) - set(ENTRY_FIELDS)
    if unknown or values.get("kind") not in KINDS:
        raise ValueError(f"bad audit entry fields {sorted(unknown)} / kind {values.get('kind')}")

    def job(conn: Connection) -> int:
        scratch = memo(conn)
        tail: tuple[int, str] | None = scratch.get("audit_tail")
        if tail is None:
            last = conn.execute(
                sa.select(tables.api_audit_log.c.seq, tables.api_audit_log.c.hash)
                .order_by(tables.api_audit_log.c.seq.desc())
                .limit(1)
            ).first()
            tail = (0, GENESIS) if last is None else (int(last.seq), str(last.hash))
        seq, prev = tail[0] + 1, tail[1]
        row = {name: None for name in ENTRY_FIELDS} | values | {"seq": seq, "at": now_ms()}
        row["prev_hash"] = prev
        row["hash"] = entry_hash(prev, row)
        conn.execute(_INSERT, row)
        scratch["audit_tail"] = (seq, row["hash"])
        return seq

    return job


# ------------------------------------------------------------------ outcomes


class AuditOutcomes:
    """ASGI middleware: the ``outcome`` entry of every request that got a ``request`` entry,
    written before the response starts, so no client sees an answer the log does not hold.

    Routes add what they did through ``request.state.audit_outcome`` (``outcome``,
    ``tx_hash``, ``ledger_seq``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        started = False

        async def record(status: int) -> None:
            seq = state.get("audit_request")
            if seq is None:
                return
            principal = state.get("principal")
            done: dict[str, Any] = state.get("audit_outcome") or {}
            path = scope["path"] + (
                f"?{scope['query_string'].decode()}" if scope.get("query_string") else ""
            )
            await scope["app"].state.services.journal.run(
                append(
                    kind="outcome",
                    request_seq=seq,
                    key_id=getattr(principal, "key_id", None),
                    scope=getattr(principal, "scope", None),
                    method=scope["method"],
                    path=path,
                    status=status,
                    outcome=done.get("outcome"),
                    tx_hash=done.get("tx_hash"),
                    ledger_seq=done.get("ledger_seq"),
                )
            )

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                await record(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            if not started:
                await record(500)
            raise


# ------------------------------------------------------------------ verification


@dataclass
class LogCheck:
    """What checking the API log found: its size, head, and every discrepancy."""

    entries: int = 0
    head: str = GENESIS
    linked: int = 0
    """Outcome entries whose ledger seq was matched against the chain's events."""
    discrepancies: list[Discrepancy] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "head": self.head,
            "linked": self.linked,
            "ok": not self.discrepancies,
        }


def _problem(seq: int, column: str, message: str) -> Discrepancy:
    return Discrepancy("api-log", None, f"api_audit_log seq {seq}", column, message)


def _rows(engine: Engine) -> Iterator[Any]:
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=5000).execute(
            sa.select(tables.api_audit_log).order_by(tables.api_audit_log.c.seq)
        )
        yield from result


def verify_chain_of_entries(engine: Engine) -> LogCheck:
    """Recompute every hash and link; check seq continuity and that outcomes follow requests."""
    check = LogCheck()
    requests: set[int] = set()
    prev = GENESIS
    for row in _rows(engine):
        entry = row._asdict()
        seq = int(entry["seq"])
        check.entries += 1
        found = check.discrepancies
        if seq != check.entries:
            found.append(_problem(seq, "seq", f"expected seq {check.entries}: entries are missing"))
            check.entries = seq
        if entry["prev_hash"] != prev:
            found.append(_problem(seq, "prev_hash", f"links to {entry['prev_hash']}, not {prev}"))
        expected = entry_hash(str(entry["prev_hash"]), entry)
        if entry["hash"] != expected:
            found.append(
                _problem(seq, "hash", f"entry hashes to {expected}, stored {entry['hash']}")
            )
        if entry["kind"] == "request":
            requests.add(seq)
        elif entry["kind"] == "outcome":
            if entry["request_seq"] not in requests:
                found.append(
                    _problem(seq, "request_seq", f"no earlier request entry {entry['request_seq']}")
                )
        else:
            found.append(_problem(seq, "kind", f"unknown kind {entry['kind']!r}"))
        prev = str(entry["hash"])
    check.head = prev
    return check


def link_to_chain(engine: Engine, w3: Web3, check: LogCheck) -> None:
    """Every outcome that claims a ledger seq must name a transaction whose last audited event
    has exactly that seq: from the store's events (which ``audit verify`` proves equal to the
    chain's logs), or, past the store's checkpoint, from the transaction's receipt."""
    with engine.connect() as conn:
        claims = conn.execute(
            sa.select(
                tables.api_audit_log.c.seq,
                tables.api_audit_log.c.tx_hash,
                tables.api_audit_log.c.ledger_seq,
            )
            .where(tables.api_audit_log.c.ledger_seq.is_not(None))
            .order_by(tables.api_audit_log.c.seq)
        ).all()
        hashes = sorted({str(c.tx_hash) for c in claims if c.tx_hash})
        last_seq: dict[str, int] = {}
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            for tx_hash, seq in conn.execute(
                sa.select(s.events.c.tx_hash, sa.func.max(s.events.c.seq))
                .where(s.events.c.tx_hash.in_(chunk))
                .group_by(s.events.c.tx_hash)
            ):
                last_seq[str(tx_hash)] = int(seq)
    for claim in claims:
        if not claim.tx_hash:
            check.discrepancies.append(
                _problem(claim.seq, "tx_hash", "claims a ledger seq without a transaction")
            )
            continue
        on_chain = last_seq.get(claim.tx_hash)
        if on_chain is None:
            on_chain = _receipt_seq(w3, claim.tx_hash)
        if on_chain is None:
            check.discrepancies.append(
                _problem(claim.seq, "tx_hash", f"{claim.tx_hash} emitted no ledger event on chain")
            )
        elif on_chain != claim.ledger_seq:
            check.discrepancies.append(
                _problem(
                    claim.seq,
                    "ledger_seq",
                    f"{claim.tx_hash} ends at ledger seq {on_chain}, entry says {claim.ledger_seq}",
                )
            )
        else:
            check.linked += 1


def _receipt_seq(w3: Web3, tx_hash: str) -> int | None:
    try:
        receipt = w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    except Exception:
        return None
    return last_ledger_seq(receipt["logs"])


def last_ledger_seq(logs: Any) -> int | None:
    """The highest audit seq among a transaction's ledger events (0 marks unaudited ones)."""
    seqs = [e.seq for e in decode_logs(logs) if e.seq]
    return max(seqs) if seqs else None


def verify_api_log(engine: Engine, w3: Web3) -> LogCheck:
    """The whole check ``carbon-ledger audit verify`` runs on a store with API entries."""
    check = verify_chain_of_entries(engine)
    link_to_chain(engine, w3, check)
    return check


def add_to_report(report: VerificationReport, engine: Engine, w3: Web3) -> LogCheck | None:
    """``audit verify``'s check of a store that holds API log entries: its findings join the
    report's discrepancies. ``None`` when the store has no API log."""
    with engine.connect() as conn:
        if conn.execute(sa.select(tables.api_audit_log.c.seq).limit(1)).first() is None:
            return None
    check = verify_api_log(engine, w3)
    report.discrepancies.extend(check.discrepancies)
    report.ok = not report.discrepancies
    return check
