"""Recompute the contract's audit hash chain from raw logs (docs/AUDIT.md is the spec).

``auditHead_n = keccak256(auditHead_{n-1} ‖ topic0 ‖ topic1 ‖ topic2 ‖ topic3 ‖ data)`` over each
audited log's raw bytes in ``seq`` order, starting from the ledger's genesis head
``keccak256(abi.encode(chainId, ledgerAddress))`` (``genesis``), so two deployments never share
a head; topic1 is ``seq``. This module needs only keccak: no ABI, no node, so an auditor can run
it on any copy of the logs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from eth_utils.crypto import keccak

NO_HEAD = b"\0" * 32
"""Stands for "no head known" in reports that could not read a trail; never a ledger's head."""


def genesis(chain_id: int, address: str, predecessor_head: bytes | None = None) -> bytes:
    """The audit head a ledger starts from: ``keccak256(abi.encode(uint256 chainId, address))``,
    binding its whole trail to one chain and one contract; a successor ledger's is
    ``keccak256(that ‖ predecessor_head)``, chaining its trail to its sealed predecessor's."""
    raw = bytes.fromhex(address.removeprefix("0x"))
    if len(raw) != 20:
        raise ValueError(f"not an address: {address!r}")
    head = keccak(chain_id.to_bytes(32, "big") + raw.rjust(32, b"\0"))
    return head if predecessor_head is None else keccak(head + predecessor_head)


def genesis_state(chain_id: int, address: str, predecessor_head: bytes | None = None) -> AuditState:
    """Sequence 0 at the ledger's genesis head."""
    return AuditState(0, genesis(chain_id, address, predecessor_head))


SUCCEEDED_TOPIC0 = keccak(b"LedgerSucceeded(uint64,address,bytes32,bytes32)")
"""A successor's first event (seq 1) names its predecessor's final head as topic3."""


def split_topics(raw: bytes) -> tuple[bytes, ...]:
    """A log's topics stored back to back (as the store keeps them), one 32-byte word each."""
    return tuple(raw[i : i + 32] for i in range(0, len(raw), 32))


def predecessor_head(first_topics: tuple[bytes, ...] | None) -> bytes | None:
    """The predecessor's final head if the trail's first event says it succeeds one."""
    if first_topics and first_topics[0] == SUCCEEDED_TOPIC0:
        return first_topics[3]
    return None


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


def recompute(logs: Iterable[tuple[tuple[bytes, ...], bytes]], start: AuditState) -> AuditState:
    """Fold ``(topics, data)`` of audited logs, in order, onto ``start`` (``genesis_state`` of
    the ledger, or a state already verified).

    Raises ``ValueError`` naming the first sequence gap: a missing, repeated or reordered log.
    """
    state = start
    for topics, data in logs:
        seq = int.from_bytes(topics[1])
        if seq != state.seq + 1:
            raise ValueError(f"audit sequence gap: expected seq {state.seq + 1}, found {seq}")
        state = AuditState(seq, fold(state.head, topics, data))
    return state
