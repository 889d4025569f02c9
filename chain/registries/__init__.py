"""Registry serial numbers: parse them to canonical ranges, check them against export rows,
and write them back exactly.

Usage (what an importer needs)::

    from chain import registries

    s = registries.parse("vcs", row["Serial Number"], row)   # ParsedSerial, or raises
    s.program, s.namespace, s.first, s.last, s.quantity     # the canonical range
    s.project, s.reference                                  # registry project id, block id
    registries.format(s) == row["Serial Number"].strip()    # exact round trip
    s.with_range(s.first, s.first + 99)                      # a part of the block, re-rendered

    b = registries.LedgerBatch(program, namespace, first, last, reference, project)
    registries.range_serial(b, first, first + 99)           # a batch's sub-range, or None
    registries.shown_serial(b, first, first + 99)           # the same, None for any error

``parse`` raises :class:`SerialFormatError` (a ``CarbonLedgerError``) whose ``reason`` names
what is wrong, and :class:`UnknownRegistry` for a key nothing is registered under.

Each registry is one declarative :class:`SerialAdapter` in its own module (``vcs``, ``gs``,
``acr``, ``car``, ``art``, ``cdm``, ``ccer``, ``jcredit``,
``cercarbono``, ``isometric``, ``puro``), which also documents the format's sources and
why its namespace is what it is. A new registry is one more description passed to
:func:`register`; the importer does not change.
"""

from __future__ import annotations

from collections.abc import Mapping

from chain.canonical import clean_identifier, identifier_problem
from chain.errors import CarbonLedgerError
from chain.registries import (
    _batch,
    acr,
    art,
    car,
    ccer,
    cdm,
    cercarbono,
    gs,
    isometric,
    jcredit,
    puro,
    vcs,
)
from chain.registries._adapter import ParsedSerial, SerialAdapter
from chain.registries._batch import LedgerBatch
from chain.registries._fields import (
    ALPHA2,
    CODE,
    CREDIT_TYPE,
    DATE_DMY,
    INTEGER,
    UUID,
    YEAR,
    FieldKind,
    choice,
    sized_code,
)
from chain.registries._grammar import Grammar
from chain.registries._model import (
    MAX_SERIAL,
    CanonicalSerial,
    SerialFormatError,
    UnknownRegistry,
)
from chain.registries._rows import RowColumns
from chain.registries._table import RegistryTable, format_serial
from chain.registries._vintage import CommitmentPeriod, SerialDates, SerialYear, VintageRule

__all__ = [
    "ALPHA2",
    "BUILTIN",
    "CODE",
    "CREDIT_TYPE",
    "DATE_DMY",
    "DEFAULT",
    "INTEGER",
    "MAX_SERIAL",
    "UUID",
    "YEAR",
    "CanonicalSerial",
    "CommitmentPeriod",
    "FieldKind",
    "Grammar",
    "LedgerBatch",
    "ParsedSerial",
    "RegistryTable",
    "RowColumns",
    "SerialAdapter",
    "SerialDates",
    "SerialFormatError",
    "SerialYear",
    "UnknownRegistry",
    "VintageRule",
    "adapters_for",
    "batch_serial",
    "canonical_project",
    "choice",
    "compose",
    "format",
    "format_serial",
    "namespace_problem",
    "parse",
    "range_serial",
    "register",
    "registries",
    "shown_serial",
    "sized_code",
    "unregister",
]

BUILTIN: tuple[SerialAdapter, ...] = (
    vcs.ADAPTER,
    gs.ADAPTER,
    gs.CDM_IN_GS,
    acr.ADAPTER,
    car.ADAPTER,
    art.ADAPTER,
    cdm.ADAPTER,
    ccer.ADAPTER,
    jcredit.ADAPTER,
    cercarbono.ADAPTER,
    isometric.ADAPTER,
    puro.ADAPTER,
)
"""The registries carbon-ledger knows out of the box, in lookup order."""

DEFAULT = RegistryTable(BUILTIN)
"""The table the module-level functions use."""


def parse(
    program_or_registry_key: str, serial: str, row: Mapping[str, str] | None = None
) -> ParsedSerial:
    """Parse ``serial`` for a registry key (``"gs"``) or programme code (``"GS"``); with
    ``row``, also check its quantity, project and vintage columns. See
    :meth:`RegistryTable.parse`."""
    return DEFAULT.parse(program_or_registry_key, serial, row)


def compose(adapter_key: str, values: Mapping[str, str | int], grammar: int = 0) -> ParsedSerial:
    """Build a serial from its named parts (e.g. ``{"block": 19385, "first": 1, ...}``)."""
    return DEFAULT.compose(adapter_key, values, grammar)


format = format_serial
"""The registry's own string for a :class:`ParsedSerial` (alias of :func:`format_serial`)."""


def batch_serial(batch: LedgerBatch) -> ParsedSerial | None:
    """The registry serial of a whole batch on the ledger, or ``None`` when its stored
    reference and namespace do not determine one (``chain.registries._batch``)."""
    return _batch.batch_serial(DEFAULT, batch)


def range_serial(batch: LedgerBatch, first: int, last: int) -> str | None:
    """The registry-format serial of ``first..last`` of a batch on the ledger (Verra: the
    batch serial with its numbers replaced), or ``None`` when the batch has none."""
    return _batch.range_serial(DEFAULT, batch, first, last)


def shown_serial(batch: LedgerBatch, first: int, last: int) -> str | None:
    """:func:`range_serial` for showing a range, whatever the ledger's stored text of its
    batch is (an issuer may bridge arbitrary text): ``None`` instead of any error, so callers
    show the numbers alone and never fail."""
    try:
        return range_serial(batch, first, last)
    except CarbonLedgerError:
        return None


def register(adapter: SerialAdapter, *, replace: bool = False) -> SerialAdapter:
    """Make ``adapter`` usable through :func:`parse` (under ``adapter.registry``)."""
    return DEFAULT.register(adapter, replace=replace)


def unregister(adapter_key: str) -> None:
    """Remove an adapter registered with :func:`register`."""
    DEFAULT.unregister(adapter_key)


def adapters_for(program_or_registry_key: str) -> tuple[SerialAdapter, ...]:
    """The adapters a key selects, in the order :func:`parse` tries them."""
    return DEFAULT.adapters_for(program_or_registry_key)


def namespace_problem(program: str, namespace: str) -> str | None:
    """Why ``namespace`` cannot be one of programme ``program``'s (``None`` if it can): not a
    canonical identifier, not one the programme fixes, or of no form its registry writes.
    A programme without an adapter only needs the canonical identifier."""
    try:
        adapters = [a for a in adapters_for(program) if a.program == program]
    except UnknownRegistry:
        adapters = []
    if not adapters:
        problem = identifier_problem(namespace)
        return None if problem is None else f"the namespace {problem}"
    problems = [a.namespace_problem(namespace) for a in adapters]
    return None if None in problems else problems[0]


def canonical_project(program: str, project_id: str) -> str:
    """The canonical project id of ``project_id`` as written for programme ``program``
    (``"ACR1185"`` → ``"1185"``); a programme without an adapter needs a canonical identifier.
    Raises :class:`chain.canonical.TextRejected` saying why not."""
    try:
        adapters = [a for a in adapters_for(program) if a.program == program]
    except UnknownRegistry:
        adapters = []
    if adapters:
        return adapters[0].canonical_project(project_id)
    return clean_identifier(project_id.strip())


def registries() -> tuple[str, ...]:
    """Registry keys :func:`parse` accepts (programme codes work too)."""
    return DEFAULT.registries()
