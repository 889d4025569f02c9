"""Hints for bridgings: a mirror of the contract's sorted list of bridged parts, with spans.

The contract refuses an overlap in O(1) only if the caller names the bridged part just below the
new range (``partHint``). Many bridgings in flight at once, several of them into one namespace
(Verra's is registry-wide), each need the part the one before will have added: so the book
holds our own bridgings as soon as they are signed, and each new one is hinted against them. It
also refuses an overlap with anything it knows (mined or in flight) before a transaction is
spent on it. A part someone else bridged that the book missed costs one revert
(``InvalidBridgeHint`` or ``SerialsAlreadyBridged``); ``repair`` then reads that neighbourhood
from the chain and the bridging is retried.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache

from chain.domain import namespace_id as _namespace_id
from chain.domain import part_key
from chain.errors import SerialsAlreadyBridged

HEAD = 0
END = 2**224 - 1
namespace_id = lru_cache(maxsize=4096)(_namespace_id)
"""Namespaces repeat (Verra's is registry-wide): a keccak each time would be a tenth of a
bridging's signing work."""
PAGE = 500

PartsPage = Callable[[int, int], tuple[Sequence[int], Sequence[tuple[int, int]]]]
"""``partsFrom(from, maxCount)``: keys and (next, span) of consecutive parts."""


class PartBook:
    def __init__(self, parts_from: PartsPage) -> None:
        self._parts_from = parts_from
        self._keys: list[int] = []
        self._span: dict[int, int] = {}
        self._pending: set[int] = set()
        self._lock = threading.Lock()
        self._loaded = False

    def _load(self) -> None:
        cursor = HEAD
        while True:
            keys, parts = self._parts_from(cursor, PAGE)
            for key, (_, span) in zip(keys, parts, strict=True):
                if key != HEAD and key not in self._span:
                    bisect.insort(self._keys, key)
                    self._span[key] = span
            if not parts or parts[-1][0] == END:
                break
            cursor = parts[-1][0]
        self._loaded = True

    def reserve(self, program_id: int, namespace: str, first: int, last: int) -> int:
        """The hint for bridging ``first..last``, which the book now holds as in flight; raises
        ``SerialsAlreadyBridged`` if it overlaps a part it knows."""
        key = part_key(namespace_id(program_id, namespace), first)
        end = key + (last - first)
        with self._lock:
            if not self._loaded:
                self._load()
            i = bisect.bisect_left(self._keys, key)
            below = self._keys[i - 1] if i > 0 else HEAD
            above = self._keys[i] if i < len(self._keys) else END
            if (below != HEAD and below + self._span[below] >= key) or above <= end:
                raise SerialsAlreadyBridged(
                    "SerialsAlreadyBridged",
                    {
                        "programId": program_id,
                        "namespace": namespace,
                        "firstSerial": first,
                        "lastSerial": last,
                    },
                )
            self._keys.insert(i, key)
            self._span[key] = last - first
            self._pending.add(key)
            return below

    def mined_hint(self, program_id: int, namespace: str, first: int) -> int:
        """The hint against the chain as mined (ignoring bridgings in flight): for a preflight."""
        key = part_key(namespace_id(program_id, namespace), first)
        with self._lock:
            if not self._loaded:
                self._load()
            i = bisect.bisect_left(self._keys, key)
            while i > 0:
                i -= 1
                if self._keys[i] not in self._pending:
                    return self._keys[i]
            return HEAD

    def confirm(self, program_id: int, namespace: str, first: int) -> None:
        with self._lock:
            self._pending.discard(part_key(namespace_id(program_id, namespace), first))

    def release(self, program_id: int, namespace: str, first: int) -> None:
        """Forget an in-flight part whose bridging failed."""
        key = part_key(namespace_id(program_id, namespace), first)
        with self._lock:
            if key in self._pending:
                self._pending.discard(key)
                self._keys.remove(key)
                del self._span[key]

    def repair(self, program_id: int, namespace: str, first: int) -> None:
        """Read the chain's parts from the highest mined part the book has below ``first`` up to
        past it, adding what the book missed."""
        key = part_key(namespace_id(program_id, namespace), first)
        with self._lock:
            if not self._loaded:
                self._load()
                return
            i = bisect.bisect_left(self._keys, key)
            cursor = HEAD
            while i > 0:
                i -= 1
                if self._keys[i] not in self._pending:
                    cursor = self._keys[i]
                    break
            while True:
                keys, parts = self._parts_from(cursor, 16)
                for k, (_, span) in zip(keys, parts, strict=True):
                    if k != HEAD and k not in self._span:
                        bisect.insort(self._keys, k)
                        self._span[k] = span
                if not parts or parts[-1][0] == END or parts[-1][0] > key:
                    return
                cursor = parts[-1][0]

    def __len__(self) -> int:
        return len(self._keys)
