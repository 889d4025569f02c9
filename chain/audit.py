"""Recompute the contract's audit hash chain from raw logs (docs/AUDIT.md is the spec).

``auditHead_n = keccak256(auditHead_{n-1} ‖ topic0 ‖ topic1 ‖ topic2 ‖ topic3 ‖ data)`` over each
audited log's raw bytes in ``seq`` order, starting from 32 zero bytes; topic1 is ``seq``. This
module needs only keccak: no ABI, no node, so an auditor can run it on any copy of the logs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from eth_utils.crypto import keccak

GENESIS_HEAD = b"\0" * 32


@dataclass(frozen=True)
class AuditState:
    seq: int
    head: bytes

    @property
    def head_hex(self) -> str:
        return "0x" + self.head.hex()


@dataclass(frozen=True)
class AuditGap:
    """The log sequence is not 1, 2, 3, …: ``expected`` was due, ``found`` came."""

    expected: int
    found: int


def fold(head: bytes, topics: Iterable[bytes], data: bytes) -> bytes:
    """One step of the chain: the new head after the log with these topics and data."""
    return keccak(head + b"".join(topics) + data)


def recompute(
    logs: Iterable[tuple[tuple[bytes, ...], bytes]], start: AuditState | None = None
) -> AuditState:
    """Fold ``(topics, data)`` of audited logs, in order, onto ``start`` (the genesis by default).

    Raises ``ValueError`` naming the first sequence gap: a missing, repeated or reordered log.
    """
    state = start or AuditState(0, GENESIS_HEAD)
    for topics, data in logs:
        seq = int.from_bytes(topics[1])
        if seq != state.seq + 1:
            raise ValueError(f"audit sequence gap: expected seq {state.seq + 1}, found {seq}")
        state = AuditState(seq, fold(state.head, topics, data))
    return state
