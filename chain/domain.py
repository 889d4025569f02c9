"""The ledger's nouns in Python: what the contract stores and emits, typed.

Serial numbers are the registry's own; one serial is one tonne CO2e. Dates on-chain are
``YYYYMMDD`` integers (``0`` = not given) so that registry dates survive unchanged.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from chain.errors import ConfigurationError

MAX_BATCH_QUANTITY = 2**32 - 1
"""Largest number of tonnes one bridged range (one batch) may hold."""


class RangeState(enum.IntEnum):
    NONE = 0
    HELD = 1
    RETIRED = 2
    DETOKENISED = 3
    CANCELLED = 4

    @property
    def label(self) -> str:
        return self.name.lower()


class Purpose(enum.IntEnum):
    """Why credits are retired; CORSIA and Article 6 need the matching batch label."""

    VOLUNTARY = 0
    CORSIA = 1
    ARTICLE6 = 2
    COMPLIANCE = 3


class Label(enum.IntFlag):
    """Batch labels, set by the issuing registry; bit values match ``Labels`` in Solidity."""

    NONE = 0
    CORSIA_ELIGIBLE = 1 << 0
    CCP_APPROVED = 1 << 1
    ARTICLE6_AUTHORISED = 1 << 2
    CORRESPONDING_ADJUSTMENT = 1 << 3


ALL_LABELS = (
    Label.CORSIA_ELIGIBLE
    | Label.CCP_APPROVED
    | Label.ARTICLE6_AUTHORISED
    | Label.CORRESPONDING_ADJUSTMENT
)


StateName = Literal["held", "retired", "detokenised", "cancelled"]
"""A holding range's state by name, as the API and the pages show it."""
LabelName = Literal[
    "corsia_eligible", "ccp_approved", "article6_authorised", "corresponding_adjustment"
]
PurposeName = Literal["voluntary", "corsia", "article6", "compliance"]

LABEL_BITS: dict[LabelName, int] = {
    "corsia_eligible": int(Label.CORSIA_ELIGIBLE),
    "ccp_approved": int(Label.CCP_APPROVED),
    "article6_authorised": int(Label.ARTICLE6_AUTHORISED),
    "corresponding_adjustment": int(Label.CORRESPONDING_ADJUSTMENT),
}
"""Label names and their bits (plain ints: IntFlag arithmetic is slow on every row)."""


def label_names(bits: int) -> list[LabelName]:
    """The labels set in ``bits``, in bit order (``["corsia_eligible", ...]``)."""
    return [name for name, bit in LABEL_BITS.items() if bits & bit]


def state_name(state: int) -> StateName:
    """A stored range's state by name; a range always has one, so ``NONE`` is refused."""
    label = RangeState(state).label
    if label == "none":
        raise ValueError("a holding range always has a state")
    return label  # type: ignore[return-value]


def purpose_name(purpose: int) -> PurposeName:
    return Purpose(purpose).name.lower()  # type: ignore[return-value]


def date_to_int(value: dt.date | None) -> int:
    """``date(2020, 1, 1)`` → ``20200101``; ``None`` → ``0``."""
    return 0 if value is None else value.year * 10000 + value.month * 100 + value.day


def int_to_date(value: int | None) -> dt.date | None:
    """``20200101`` → ``date(2020, 1, 1)``; ``0``, ``None`` or digits that are no date (a store
    may predate the contract's date check) → ``None``, so every reader can show any row."""
    if not value or value < 0:
        return None
    try:
        return dt.date(value // 10000, value // 100 % 100, value % 100)
    except ValueError:
        return None


def program_code(code: str) -> bytes:
    """A programme code (``"VCS"``) as the contract's ``bytes32``."""
    raw = code.encode("ascii")
    if not raw or len(raw) > 32:
        raise ConfigurationError(f"programme code must be 1-32 ASCII characters, got {code!r}")
    return raw.ljust(32, b"\0")


@dataclass(frozen=True)
class Project:
    """A registry project, registered once per programme before its first batch."""

    project_id: str
    name: str
    country: str
    methodology: str
    project_type: str

    def as_abi(self) -> tuple[str, str, str, str, str]:
        return (self.project_id, self.name, self.country, self.methodology, self.project_type)


@dataclass(frozen=True)
class Issuance:
    """One registry issuance block to bridge: ``first_serial..last_serial`` of ``namespace``."""

    program_id: int
    project_key: bytes
    namespace: str
    first_serial: int
    last_serial: int
    recipient: str
    vintage_start: dt.date
    vintage_end: dt.date
    labels: Label = Label.NONE
    metadata_hash: bytes = b"\0" * 32
    registry_reference: str = ""

    @property
    def quantity(self) -> int:
        return self.last_serial - self.first_serial + 1

    def as_abi(self) -> tuple[Any, ...]:
        return (
            self.program_id,
            self.project_key,
            self.namespace,
            self.first_serial,
            self.last_serial,
            to_checksum_address(self.recipient),
            date_to_int(self.vintage_start),
            date_to_int(self.vintage_end),
            int(self.labels),
            self.metadata_hash,
            self.registry_reference,
        )


@dataclass(frozen=True)
class RetirementRequest:
    """Retire exactly ``first_serial..last_serial`` of a batch, for a beneficiary and purpose."""

    batch_id: int
    first_serial: int
    last_serial: int
    beneficiary: str
    purpose: Purpose = Purpose.VOLUNTARY
    jurisdiction: str = ""
    consumption_start: dt.date | None = None
    consumption_end: dt.date | None = None
    note: str = ""

    @property
    def quantity(self) -> int:
        return self.last_serial - self.first_serial + 1

    def as_abi(self) -> tuple[Any, ...]:
        return (
            self.batch_id,
            self.first_serial,
            self.last_serial,
            self.beneficiary,
            int(self.purpose),
            self.jurisdiction,
            date_to_int(self.consumption_start),
            date_to_int(self.consumption_end),
            self.note,
        )


@dataclass(frozen=True)
class HoldingRange:
    """A holding range: serials ``first..last`` of a batch, their holder (for a spent range, the
    account that spent it) and state. The ranges of a batch tile it (Solidity ``HoldingRange``,
    stored at its ``first``)."""

    first: int
    last: int
    holder: str
    state: RangeState

    @property
    def quantity(self) -> int:
        return self.last - self.first + 1

    def contains(self, serial: int) -> bool:
        return self.first <= serial <= self.last


@dataclass(frozen=True)
class Batch:
    """A bridged batch as the contract stores it. Held = quantity - spent totals."""

    batch_id: int
    program_id: int
    labels: Label
    frozen: bool
    first_serial: int
    quantity: int
    retired: int
    detokenised: int
    cancelled: int
    vintage_start: int = 0
    """YYYYMMDD; the contract stores it packed (``unpack_date``)."""

    @property
    def last_serial(self) -> int:
        return self.first_serial + self.quantity - 1

    @property
    def held(self) -> int:
        return self.quantity - self.retired - self.detokenised - self.cancelled


@dataclass(frozen=True)
class ProgramPolicy:
    """A programme's code and the identity policy its admin set (``ProgramRecord`` on-chain)."""

    code: str
    fixed_namespaces: bool
    numeric_project_ids: bool


class LinkStep(enum.IntEnum):
    """``ProjectLinkRecorded.step``: a programme admin proposed a link, withdrew its proposal,
    or accepted the other's (the two projects are linked from then on, for good)."""

    PROPOSED = 0
    WITHDRAWN = 1
    LINKED = 2


@dataclass(frozen=True)
class LinkClaim:
    """One member programme of a project link group and the vintage period it claimed there
    since the link (``None`` while it bridged nothing): its bridgings never overlap another
    member programme's claim (``LinkedPeriodClaimed``)."""

    program_id: int
    start: dt.date | None
    end: dt.date | None


@dataclass(frozen=True)
class AccountStatus:
    allowed: bool
    frozen: bool


def unpack_date(packed: int) -> int:
    """A date the contract packs as ``year << 9 | month << 5 | day``, as YYYYMMDD."""
    return (packed >> 9) * 10000 + ((packed >> 5) & 15) * 100 + (packed & 31)


def project_key(program_id: int, project_id: str) -> bytes:
    """``keccak256(abi.encode(uint16 programId, string projectId))``, as the contract computes."""
    from eth_abi.abi import encode

    return keccak(encode(["uint16", "string"], [program_id, project_id]))


def namespace_id(program_id: int, namespace: str) -> int:
    """Top 160 bits of ``keccak256(abi.encode(uint16 programId, string namespace))``."""
    from eth_abi.abi import encode

    return int.from_bytes(keccak(encode(["uint16", "string"], [program_id, namespace]))) >> 96


def part_key(ns_id: int, first_serial: int) -> int:
    """Key of a bridged part in the contract's sorted list: ``ns_id << 64 | first``."""
    return (ns_id << 64) | first_serial


# ---------------------------------------------------------------- pools


class PoolMode(enum.IntEnum):
    """How a pool's country, project-type or methodology rule reads its list."""

    ANY = 0
    ONLY = 1
    """Only the listed values."""
    EXCEPT = 2
    """All but the listed values."""


class PoolKind(enum.IntEnum):
    """The kinds of a pool's lists."""

    COUNTRY = 0
    PROJECT_TYPE = 1
    METHODOLOGY = 2


@dataclass(frozen=True)
class PoolRules:
    """Which batches a pool admits (``PoolRules`` in contracts/CreditTypes.sol)."""

    programmes: frozenset[int]
    """Admitted programme ids (1..255)."""
    vintage_from: dt.date | None = None
    """Earliest admitted vintage start (``None``: open)."""
    vintage_to: dt.date | None = None
    """Latest admitted vintage start (``None``: open)."""
    labels_required: Label = Label.NONE
    country_mode: PoolMode = PoolMode.ANY
    type_mode: PoolMode = PoolMode.ANY
    methodology_mode: PoolMode = PoolMode.ANY

    def as_abi(self) -> tuple[int, int, int, int, int, int, int]:
        bitmap = 0
        for program_id in self.programmes:
            if not 1 <= program_id <= 255:
                raise ValueError(f"programme id {program_id} cannot be pooled: ids 1..255 only")
            bitmap |= 1 << program_id
        return (
            bitmap,
            date_to_int(self.vintage_from),
            date_to_int(self.vintage_to),
            int(self.labels_required),
            int(self.country_mode),
            int(self.type_mode),
            int(self.methodology_mode),
        )

    @classmethod
    def from_abi(cls, raw: Sequence[int]) -> PoolRules:
        bitmap, vfrom, vto, labels, country, kind, methodology = raw
        return cls(
            programmes=frozenset(i for i in range(1, 256) if bitmap >> i & 1),
            vintage_from=int_to_date(vfrom),
            vintage_to=int_to_date(vto),
            labels_required=Label(labels),
            country_mode=PoolMode(country),
            type_mode=PoolMode(kind),
            methodology_mode=PoolMode(methodology),
        )


@dataclass(frozen=True)
class Pool:
    """A pool as ``pool(poolId)`` shows it."""

    pool_id: int
    rules: PoolRules
    token: str
    """The pool's ERC-20 address, which is also its ledger account (it holds the serials)."""
    supply: int
    """Units in circulation = tonnes the pool holds."""
    ranges: int
    """Holding ranges in the pool's order list."""


@dataclass(frozen=True)
class PoolRange:
    """One range of a pool's order list."""

    key: int
    batch_id: int
    first_serial: int
    last_serial: int

    @property
    def quantity(self) -> int:
        return self.last_serial - self.first_serial + 1


def pool_key(vintage_start: dt.date, batch_id: int, last_serial: int) -> int:
    """Order key of a pool range: ``packed vintage start << 128 | batchId << 64 | last``."""
    packed = vintage_start.year << 9 | vintage_start.month << 5 | vintage_start.day
    return packed << 128 | batch_id << 64 | last_serial


def text_tag(text: str) -> bytes:
    """``bytes8(keccak256(bytes(text)))``: how project classes and pool lists store a text."""
    return keccak(text.encode())[:8]
