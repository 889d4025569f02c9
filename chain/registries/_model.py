"""The canonical serial, the parsed serial that keeps the registry's own fields, and the error.

A registry serial names an inclusive range ``first..last`` of integer serial numbers inside a
``namespace``: the scope within which the registry guarantees those numbers are unique. The
ledger refuses overlapping ranges within one namespace, so (program, namespace, first, last)
is all it needs; everything else in the serial is kept in :class:`ParsedSerial` so the
registry's exact string can be rendered again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chain.canonical import MAX_SERIAL
from chain.errors import CarbonLedgerError

if TYPE_CHECKING:
    from chain.registries._adapter import SerialAdapter

__all__ = ["MAX_SERIAL", "CanonicalSerial", "ParsedSerial", "SerialFormatError", "UnknownRegistry"]


class SerialFormatError(CarbonLedgerError):
    """A registry serial is malformed or disagrees with its export row.

    ``reason`` says what is wrong: which part, what was expected and what was found.
    ``serial`` is the offending string (as given) and ``registry`` the key it was parsed for.
    """

    def __init__(self, reason: str, *, serial: str = "", registry: str = "") -> None:
        self.reason = reason
        self.serial = serial
        self.registry = registry
        where = f"{registry} serial {serial!r}" if registry else f"serial {serial!r}"
        super().__init__(f"invalid {where}: {reason}" if serial or registry else reason)


class UnknownRegistry(CarbonLedgerError, LookupError):
    """No serial adapter is registered under that registry key or programme code."""


@dataclass(frozen=True)
class CanonicalSerial:
    """``first..last`` (inclusive) of ``namespace`` under ``program``: what the ledger stores."""

    program: str
    namespace: str
    first: int
    last: int

    def __post_init__(self) -> None:
        for name in ("first", "last"):
            value = getattr(self, name)
            if type(value) is not int or not 0 <= value <= MAX_SERIAL:
                raise SerialFormatError(f"{name} serial must be an integer in 0..{MAX_SERIAL}")
        if self.first > self.last:
            raise SerialFormatError(
                f"first serial {self.first} is greater than last serial {self.last}"
            )
        if not self.program or not self.namespace:
            raise SerialFormatError("program and namespace must not be empty")

    @property
    def quantity(self) -> int:
        """Number of serials (tonnes) in the range."""
        return self.last - self.first + 1

    @property
    def canonical(self) -> CanonicalSerial:
        """This range as a plain :class:`CanonicalSerial` (drops any registry fields)."""
        return CanonicalSerial(self.program, self.namespace, self.first, self.last)

    def contains(self, serial: int) -> bool:
        return self.first <= serial <= self.last


@dataclass(frozen=True)
class ParsedSerial(CanonicalSerial):
    """A canonical serial plus the registry's other fields, enough to render it back exactly.

    ``scheme`` is the key of the adapter that parsed it (``"vcs"``, ``"gs-cdm"``, ...),
    ``grammar`` the index of the textual form it was written in, and ``fields`` every named part
    of the serial as written (``("project", "1340")``, ...).
    """

    scheme: str
    grammar: int
    fields: tuple[tuple[str, str], ...]
    adapter: SerialAdapter = field(repr=False, compare=False)

    @property
    def components(self) -> Mapping[str, str]:
        """The serial's named parts as written, e.g. ``{"project": "1340", ...}``."""
        return dict(self.fields)

    def part(self, name: str) -> str:
        """One named part as written; ``KeyError`` if the format has no such part."""
        return dict(self.fields)[name]

    @property
    def project(self) -> str | None:
        """The registry project id as written in the serial (``None`` if the format has none)."""
        name = self.adapter.project
        return None if name is None else self.part(name)

    @property
    def reference(self) -> str | None:
        """The registry's own issuance/batch reference in the serial, if the format has one."""
        name = self.adapter.reference
        return None if name is None else self.part(name)

    def text(self) -> str:
        """The serial rendered in the registry's own format (``format(parse(x)) == x``)."""
        return self.adapter.render(self)

    def with_range(self, first: int, last: int) -> ParsedSerial:
        """The same block narrowed (or moved) to ``first..last``, validated like a parse."""
        values = dict(self.fields)
        values[self.adapter.first] = str(first)
        values[self.adapter.last] = str(last)
        return self.adapter.compose(values, grammar=self.grammar)
