"""Decode the ledger's logs straight from their topics and data.

web3.py's event objects cost about 20x more per log than decoding the ABI directly, so this
module keeps one small table per event (topic0 → field names and types) and decodes raw logs
itself. Struct fields (``Issuance``, ``Retirement``, ``Project``) decode to plain dicts.

Even eth_abi costs tens of microseconds per log, so each event also gets a precompiled decoder
(``_FastEvent``): indexed topics are read as words (a uint from its bytes, an address from the
last 20), and data laid out canonically (as Solidity emits it: heads, then each tail right after
the previous one) is read word by word with the same range, padding and UTF-8 checks eth_abi
makes. Anything else (a non-canonical but valid layout, a malformed log, a type the fast
decoder does not know) falls back to eth_abi, so results and errors are eth_abi's exactly.

Decoding a large answer runs with the cyclic garbage collector paused (``gc_paused``).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from operator import attrgetter
from typing import Any

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils.abi import event_abi_to_log_topic

from chain.abi import abi_type
from chain.artifacts import load_artifact
from chain.errors import CarbonLedgerError


@dataclass(frozen=True)
class _Field:
    name: str
    abi_type: str
    components: tuple[_Field, ...]  # for tuples: their fields

    def convert(self, value: Any) -> Any:
        if self.components and isinstance(value, tuple):
            return {c.name: c.convert(v) for c, v in zip(self.components, value, strict=True)}
        if self.abi_type == "address" and isinstance(value, str):
            return value.lower()
        return value


def _field(entry: Mapping[str, Any]) -> _Field:
    comps = tuple(_field(c) for c in entry.get("components", ()))
    return _Field(str(entry["name"]), abi_type(dict(entry)), comps)


@dataclass(frozen=True)
class _EventSpec:
    name: str
    indexed: tuple[_Field, ...]
    data: tuple[_Field, ...]


@dataclass(frozen=True)
class LedgerEvent:
    """One audited event: where it is in the chain, its ``seq`` and its decoded fields."""

    name: str
    seq: int
    block_number: int
    block_hash: str
    tx_hash: str
    tx_index: int
    log_index: int
    fields: dict[str, Any]
    topics: tuple[bytes, ...]
    data: bytes

    @property
    def position(self) -> tuple[int, int, int]:
        """Canonical order of logs: (block, transaction index, log index)."""
        return (self.block_number, self.tx_index, self.log_index)


@lru_cache(maxsize=4)
def event_specs(contract: str = "CarbonLedger") -> dict[bytes, _EventSpec]:
    """topic0 → spec for every event in the contract's ABI."""
    specs: dict[bytes, _EventSpec] = {}
    for entry in load_artifact(contract).abi:
        if entry.get("type") != "event":
            continue
        inputs = entry["inputs"]
        specs[bytes(event_abi_to_log_topic(entry))] = _EventSpec(  # type: ignore[arg-type]
            name=str(entry["name"]),
            indexed=tuple(_field(i) for i in inputs if i["indexed"]),
            data=tuple(_field(i) for i in inputs if not i["indexed"]),
        )
    return specs


def topic0(name: str, contract: str = "CarbonLedger") -> bytes:
    """The topic0 of event ``name``."""
    for topic, spec in event_specs(contract).items():
        if spec.name == name:
            return topic
    raise KeyError(name)


def hex_string(value: Any) -> str:
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") else "0x" + value.lower()
    return "0x" + bytes(value).hex()


def quantity(value: Any) -> int:
    """A JSON-RPC quantity (``"0x1a"``) or an already-decoded int."""
    return int(value, 16) if isinstance(value, str) else int(value)


def decode_log(log: Mapping[str, Any], contract: str = "CarbonLedger") -> LedgerEvent | None:
    """Decode one raw log (as returned by eth_getLogs); ``None`` if it is not a ledger event."""
    try:
        return _decode_fast(log, _fast_events(contract))
    except Exception:
        # Malformed, non-canonical or unusual: eth_abi decides, and raises what it raises.
        return _decode_with_eth_abi(log, contract)


def _decode_with_eth_abi(log: Mapping[str, Any], contract: str) -> LedgerEvent | None:
    topics = tuple(bytes.fromhex(hex_string(t)[2:]) for t in log["topics"])
    if not topics:
        return None
    spec = event_specs(contract).get(topics[0])
    if spec is None or len(topics) != 1 + len(spec.indexed):
        return None  # not ours, or another contract's event sharing the selector
    raw_data = bytes.fromhex(hex_string(log["data"])[2:])
    fields: dict[str, Any] = {}
    try:
        for f, topic in zip(spec.indexed, topics[1:], strict=True):
            (value,) = decode([f.abi_type], topic)
            fields[f.name] = f.convert(value)
        values = decode([f.abi_type for f in spec.data], raw_data)
    except DecodingError:
        return None
    for f, value in zip(spec.data, values, strict=True):
        fields[f.name] = f.convert(value)
    return LedgerEvent(
        name=spec.name,
        seq=int(fields.get("seq", 0)),
        block_number=quantity(log["blockNumber"]),
        block_hash=hex_string(log["blockHash"]),
        tx_hash=hex_string(log["transactionHash"]),
        tx_index=quantity(log["transactionIndex"]),
        log_index=quantity(log["logIndex"]),
        fields=fields,
        topics=topics,
        data=raw_data,
    )


def decode_logs(
    logs: Iterable[Mapping[str, Any]], contract: str = "CarbonLedger"
) -> list[LedgerEvent]:
    """Decode the ledger events among ``logs``, in canonical (block, tx, log) order."""
    with gc_paused():
        events = [e for e in map(decode_log, logs, repeat(contract)) if e is not None]
    events.sort(key=_POSITION)
    return events


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (for the whole process) while the block runs.

    For bursts of allocations that all stay alive and form no cycles (a getLogs answer parsed,
    its events decoded, their rows derived): every few hundred allocations the collector
    runs, and as they pile up it re-scans all that is alive, about a quarter of the time such
    a burst takes. Reference counting still frees everything as usual; cycles (from any
    thread) wait until the last pause ends. Pauses may nest and overlap across threads."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


_POSITION = attrgetter("block_number", "tx_index", "log_index")


# ---------------------------------------------------------------- the fast decoder


class _NotFast(CarbonLedgerError):
    """The fast decoder declines: eth_abi decodes this log instead."""


_ZERO_WORD = bytes(32)
_ZERO_PADDING = bytes(12)  # above an address
_ONE_WORD = (1).to_bytes(32)

WordDecoder = Callable[[bytes], Any]
"""Decodes one 32-byte word to eth_abi's value for it, or raises ``_NotFast``."""

TupleReader = Callable[[bytes, int], tuple[list[Any], int]]
"""Reads a tuple whose head starts at the offset given: its values and where its tails end."""


def _word_decoder(abi_type: str) -> WordDecoder | None:
    """The decoder of a static elementary type, or ``None`` if the fast path lacks one."""
    if abi_type.startswith("uint") and (abi_type[4:] or "256").isdigit():
        limit = 1 << int(abi_type[4:] or 256)

        def uint(word: bytes) -> int:
            value = int.from_bytes(word)
            if value >= limit:
                raise _NotFast
            return value

        return uint
    if abi_type == "address":

        def address(word: bytes) -> str:
            if word[:12] != _ZERO_PADDING:
                raise _NotFast
            return "0x" + word[12:].hex()

        return address
    if abi_type == "bool":

        def boolean(word: bytes) -> bool:
            if word == _ZERO_WORD:
                return False
            if word == _ONE_WORD:
                return True
            raise _NotFast

        return boolean
    if abi_type.startswith("bytes") and abi_type[5:].isdigit() and 0 < int(abi_type[5:]) <= 32:
        size = int(abi_type[5:])

        def fixed_bytes(word: bytes) -> bytes:
            if word[size:] != _ZERO_WORD[size:]:
                raise _NotFast
            return word[:size]

        return fixed_bytes
    return None


def _read_string(data: bytes, at: int) -> tuple[str, int]:
    """The UTF-8 string whose length word is at ``at``, and where its padded bytes end."""
    if at + 32 > len(data):
        raise _NotFast
    length = int.from_bytes(data[at : at + 32])
    start = at + 32
    end = start + (length + 31) // 32 * 32
    if end > len(data) or data[start + length : end] != bytes(end - start - length):
        raise _NotFast
    return data[start : start + length].decode("utf-8"), end


def _read_bytes(data: bytes, at: int) -> tuple[bytes, int]:
    if at + 32 > len(data):
        raise _NotFast
    length = int.from_bytes(data[at : at + 32])
    start = at + 32
    end = start + (length + 31) // 32 * 32
    if end > len(data) or data[start + length : end] != bytes(end - start - length):
        raise _NotFast
    return data[start : start + length], end


def _is_static(f: _Field) -> bool:
    if f.components:
        return (
            f.abi_type.startswith("(")
            and f.abi_type.endswith(")")
            and all(_is_static(c) for c in f.components)
        )
    return f.abi_type not in ("string", "bytes") and not f.abi_type.endswith("]")


def _head_words(f: _Field) -> int:
    if f.components and _is_static(f):
        return sum(_head_words(c) for c in f.components)
    return 1


def _tuple_reader(fields: Sequence[_Field]) -> TupleReader | None:
    """A reader for a canonically encoded tuple of ``fields``, or ``None`` if unsupported.

    Each dynamic member must start exactly where the previous one ended (the first right after
    the head), which is how Solidity encodes; anything else is left to eth_abi.
    """
    words = [None if f.components else _word_decoder(f.abi_type) for f in fields]
    if all(word is not None for word in words):  # only static words: the common, fast case
        head_size = 32 * len(fields)
        at = [(32 * i, 32 * i + 32, word) for i, word in enumerate(words) if word is not None]

        def read_words(data: bytes, base: int) -> tuple[list[Any], int]:
            if base + head_size > len(data):
                raise _NotFast
            if base:
                data = data[base : base + head_size]
            return [word(data[start:end]) for start, end, word in at], base + head_size

        return read_words

    steps: list[tuple[int, bool, _Step]] = []  # (head offset, dynamic?, read)
    head = 0
    for f in fields:
        step = _step(f)
        if step is None:
            return None
        dynamic = not _is_static(f)
        steps.append((head, dynamic, step))
        head += 32 if dynamic else 32 * _head_words(f)
    head_size = head

    def read(data: bytes, base: int) -> tuple[list[Any], int]:
        if base + head_size > len(data):
            raise _NotFast
        cursor = base + head_size
        values = []
        for offset, dynamic, step in steps:
            if dynamic:
                if int.from_bytes(data[base + offset : base + offset + 32]) != cursor - base:
                    raise _NotFast  # not canonical: eth_abi checks and follows the pointer
                value, cursor = step(data, cursor)
            else:
                value, _ = step(data, base + offset)
            values.append(value)
        return values, cursor

    return read


_Step = Callable[[bytes, int], tuple[Any, int]]
"""Reads one member at the offset given: its value and where it ends."""


def _step(f: _Field) -> _Step | None:
    if f.components:
        if not (f.abi_type.startswith("(") and f.abi_type.endswith(")")):
            return None  # an array of tuples
        inner = _tuple_reader(f.components)
        if inner is None:
            return None
        names = [c.name for c in f.components]

        def struct(data: bytes, at: int) -> tuple[Any, int]:
            values, end = inner(data, at)
            return dict(zip(names, values, strict=True)), end

        return struct
    if f.abi_type == "string":
        return _read_string
    if f.abi_type == "bytes":
        return _read_bytes
    word = _word_decoder(f.abi_type)
    if word is None:
        return None

    def static(data: bytes, at: int) -> tuple[Any, int]:
        return word(data[at : at + 32]), at + 32

    return static


@dataclass(frozen=True)
class _FastEvent:
    spec: _EventSpec
    topic_count: int
    names: tuple[str, ...]  # indexed fields, then data fields
    has_seq: bool  # a uint ``seq`` field (else ``LedgerEvent.seq`` is 0)
    topics: tuple[WordDecoder, ...]
    data: TupleReader


@lru_cache(maxsize=4)
def _fast_events(contract: str) -> dict[bytes, _FastEvent | None]:
    """topic0 → the event's fast decoder (``None`` where only eth_abi will do)."""
    out: dict[bytes, _FastEvent | None] = {}
    for topic, spec in event_specs(contract).items():
        words = [_word_decoder(f.abi_type) for f in spec.indexed]
        reader = _tuple_reader(spec.data)
        if reader is None or any(w is None for w in words):
            out[topic] = None
            continue
        out[topic] = _FastEvent(
            spec=spec,
            topic_count=1 + len(spec.indexed),
            names=tuple(f.name for f in (*spec.indexed, *spec.data)),
            has_seq=any(
                f.name == "seq" and f.abi_type.startswith("uint") for f in spec.indexed + spec.data
            ),
            topics=tuple(w for w in words if w is not None),
            data=reader,
        )
    return out


def _from_hex(value: Any) -> bytes:
    """Bytes of a ``0x`` hex string or a bytes-like value (as ``hex_string`` then fromhex)."""
    if isinstance(value, str):
        return bytes.fromhex(value[2:] if value.startswith("0x") else value)
    return bytes(value)


def _decode_fast(
    log: Mapping[str, Any], events: dict[bytes, _FastEvent | None]
) -> LedgerEvent | None:
    raw_topics = log["topics"]
    if not raw_topics:
        return None
    topics = tuple([bytes.fromhex(t[2:]) if t[:2] == "0x" else _from_hex(t) for t in raw_topics])
    fast = events.get(topics[0], _NOT_OURS)
    if fast is _NOT_OURS:
        return None
    if fast is None or len(topics) != fast.topic_count or set(map(len, topics)) != {32}:
        raise _NotFast  # eth_abi decides (and returns None on a wrong topic count)
    values = [word(topic) for word, topic in zip(fast.topics, topics[1:], strict=True)]
    raw_data = _from_hex(log["data"])
    values += fast.data(raw_data, 0)[0]
    fields = dict(zip(fast.names, values, strict=True))
    number, index, position = log["blockNumber"], log["transactionIndex"], log["logIndex"]
    block_hash, tx_hash = log["blockHash"], log["transactionHash"]
    return LedgerEvent(
        name=fast.spec.name,
        seq=fields["seq"] if fast.has_seq else int(fields.get("seq", 0)),
        block_number=int(number, 16) if type(number) is str else quantity(number),
        block_hash=block_hash.lower() if block_hash[:2] == "0x" else hex_string(block_hash),
        tx_hash=tx_hash.lower() if tx_hash[:2] == "0x" else hex_string(tx_hash),
        tx_index=int(index, 16) if type(index) is str else quantity(index),
        log_index=int(position, 16) if type(position) is str else quantity(position),
        fields=fields,
        topics=topics,
        data=raw_data,
    )


_NOT_OURS: Any = object()


def events_named(events: Sequence[LedgerEvent], name: str) -> list[LedgerEvent]:
    return [e for e in events if e.name == name]
