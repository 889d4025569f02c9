"""What the importer reads out of a registry export: one :class:`RegistryBlock` per row.

A block is the registry's own unit of record: one serial range with its project, vintage,
labels and status (issued, retired or cancelled) and, when retired or cancelled, what the
registry recorded about it. Blocks are built by ``chain.importer.readers`` and turned into
ledger actions by ``chain.importer.plan``.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from chain.domain import Label, Project, Purpose
from chain.registries import ParsedSerial


class FileKind(enum.StrEnum):
    """Which export a file is (the ``--issuances``/``--retirements``/``--cancellations`` flag)."""

    ISSUANCES = "issuances"
    RETIREMENTS = "retirements"
    CANCELLATIONS = "cancellations"


class BlockStatus(enum.StrEnum):
    """A block's status at the registry, as its export row states it."""

    ISSUED = "issued"
    RETIRED = "retired"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class RowRef:
    """Where a row comes from: the file as given and its row number (the header is row 1, so
    the first data row is row 2, as a spreadsheet numbers it; a quoted field spanning several
    lines is still one row)."""

    file: str
    row: int
    kind: FileKind

    def __str__(self) -> str:
        return f"{self.file}:{self.row}"


@dataclass(frozen=True)
class RegistryRetirement:
    """What the registry recorded about a retirement (mirrored on-chain as such)."""

    beneficiary: str
    purpose: Purpose
    note: str
    retired_on: dt.date | None


@dataclass(frozen=True)
class RegistryBlock:
    """One serial block of an export row, checked against its row (``chain.registries``)."""

    source: RowRef
    serial: ParsedSerial
    text: str  # the serial exactly as the row writes it (trimmed)
    project: Project
    vintage_start: dt.date
    vintage_end: dt.date
    labels: Label
    status: BlockStatus
    retirement: RegistryRetirement | None
    cancel_reason: str
    metadata_hash: bytes
    # A block of another programme listed in this registry's export (a CDM CER in the Gold
    # Standard's): the row's own project under the registry's programme (its GSID), which
    # the project transitioned to or is also certified under; "" otherwise.
    home_project: str = ""
    # The block is the registry's buffer-pool share of an issuance (Isometric's
    # ``buffer_pool_credit_batch_size_total``, Cercarbono's ``is_buffer``): the import bridges
    # it like any block, and the report marks it (docs/IMPORT.md, "Buffer pools").
    buffer: bool = False

    @property
    def program(self) -> str:
        return self.serial.program

    @property
    def namespace(self) -> str:
        return self.serial.namespace

    @property
    def first(self) -> int:
        return self.serial.first

    @property
    def last(self) -> int:
        return self.serial.last

    @property
    def quantity(self) -> int:
        return self.serial.quantity

    @property
    def reference(self) -> str:
        return self.serial.reference or ""


@dataclass(frozen=True)
class RowRejection:
    """A row that yields no block: it cannot be read, or its registry publishes no serials."""

    source: RowRef
    serial: str
    reason: str
