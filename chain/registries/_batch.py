"""The registry-format serial of a batch on the ledger, and of any sub-range of it.

A batch on the ledger holds its programme, namespace, first..last and the registry reference
its bridger gave. Two sources can give back the registry's own serial string:

1. the registry reference, when it is a registry serial of this batch: it parses under the
   batch's programme to the batch's namespace and project, and its range holds the batch's
   first..last (the importer and the custodial API store exactly the bridged range's serial;
   a batch carried to a successor ledger keeps the reference of the batch it was part of).
   Anything else (a bare block id, arbitrary text an issuer sent straight to the contract, or
   a serial of other serials or of another project) is not trusted;
2. the namespace alone, for registries whose namespace holds every part of the serial but the
   numbers (Gold Standard, ACR, CAR, ART, CCER, J-Credit, Cercarbono, Isometric): the serial
   is composed from it.

Verra, CDM and Puro.earth serials carry parts their namespace does not (``VCS-VCU``, ``RW``,
``PURO-<issuance>``), so a batch of theirs has a registry serial only through (1). Where neither works the answer is ``None``:
callers show the numbers and no registry serial, never an error.

A sub-range is rendered by the adapter's own rule (:meth:`ParsedSerial.with_range`: the same
parts, the numbers replaced), so ``parse(format(sub-range))`` gives back the batch's namespace,
project and vintage with the sub-range's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from chain.registries._adapter import ParsedSerial, SerialAdapter
from chain.registries._model import SerialFormatError, UnknownRegistry
from chain.registries._table import RegistryTable


@dataclass(frozen=True)
class LedgerBatch:
    """What the ledger keeps of a batch that a registry serial is rebuilt from.

    ``project`` is the batch's canonical project id (``None``: not checked)."""

    program: str
    namespace: str
    first: int
    last: int
    reference: str
    project: str | None = None


def _from_reference(table: RegistryTable, batch: LedgerBatch) -> ParsedSerial | None:
    try:
        parsed = table.parse(batch.program, batch.reference)
    except (SerialFormatError, UnknownRegistry):
        return None
    if (parsed.program, parsed.namespace) != (batch.program, batch.namespace):
        return None
    if not parsed.first <= batch.first <= batch.last <= parsed.last:
        return None  # a serial of other serials
    if parsed.project not in (None, batch.project) and batch.project is not None:
        return None
    if (parsed.first, parsed.last) == (batch.first, batch.last):
        return parsed
    try:
        return parsed.with_range(batch.first, batch.last)
    except SerialFormatError:
        return None


def _from_namespace(adapter: SerialAdapter, batch: LedgerBatch) -> ParsedSerial | None:
    values = adapter.namespace_grammar.match(batch.namespace)
    if values is None or adapter.namespace_grammar.check(values) is not None:
        return None
    others = set(adapter.grammars[0].names) - {adapter.first, adapter.last}
    if not others <= set(values):
        return None  # the namespace does not hold every part (Verra, CDM)
    parts: dict[str, str | int] = dict(values)
    parts[adapter.first], parts[adapter.last] = batch.first, batch.last
    try:
        parsed = adapter.compose(parts)
    except SerialFormatError:
        return None
    if parsed.namespace != batch.namespace:
        return None
    if batch.project is not None and parsed.project not in (None, batch.project):
        return None
    return parsed


def batch_serial(table: RegistryTable, batch: LedgerBatch) -> ParsedSerial | None:
    """The registry serial of the whole batch, or ``None`` if the ledger's record of it does
    not determine one (see the module docstring). Never raises for bad stored text."""
    if not isinstance(batch.reference, str) or not batch.first <= batch.last:
        return None
    parsed = _from_reference(table, batch)
    if parsed is not None:
        return parsed
    try:
        adapters = table.adapters_for(batch.program)
    except UnknownRegistry:
        return None
    for adapter in adapters:
        if adapter.program == batch.program:
            parsed = _from_namespace(adapter, batch)
            if parsed is not None:
                return parsed
    return None


def range_serial(table: RegistryTable, batch: LedgerBatch, first: int, last: int) -> str | None:
    """The registry-format serial of ``first..last`` of ``batch``, or ``None`` when the batch
    has no registry serial. Raises :class:`SerialFormatError` if ``first..last`` is not a
    range within the batch (a caller's mistake, not stored data)."""
    if not batch.first <= first <= last <= batch.last:
        raise SerialFormatError(
            f"range {first}..{last} is not within the batch's {batch.first}..{batch.last}"
        )
    whole = _batch_serial_cached(table, table.version, batch)
    if whole is None:
        return None
    if (first, last) == (whole.first, whole.last):
        return whole.text()
    adapter = whole.adapter
    if {adapter.first, adapter.last} & set(adapter.namespace_grammar.names):
        return whole.with_range(first, last).text()  # the numbers shape the namespace
    # The whole batch parsed; numbers within its range are valid parts of the same form (no
    # leading zeros, at most MAX_SERIAL, first <= last) and no other part depends on them,
    # so rendering them in place is what ``with_range`` would validate, without re-parsing.
    values = dict(whole.fields)
    values[adapter.first], values[adapter.last] = str(first), str(last)
    return adapter.grammars[whole.grammar].render(values)


@lru_cache(maxsize=1024)
def _batch_serial_cached(
    table: RegistryTable, version: int, batch: LedgerBatch
) -> ParsedSerial | None:
    """``batch_serial``, remembered per table state (a page renders many ranges of a batch)."""
    return batch_serial(table, batch)
