"""The canonical serial and the errors of reading one.

A registry serial names an inclusive range ``first..last`` of integer serial numbers inside a
``namespace``: the scope within which the registry guarantees those numbers are unique. The
ledger refuses overlapping ranges within one namespace, so (program, namespace, first, last)
is all it needs; everything else in the serial is kept in ``_adapter.ParsedSerial`` so the
registry's exact string can be rendered again. That class lives with the adapter that reads and
renders it, so this module depends on nothing else of the package.
"""

from __future__ import annotations

from dataclasses import dataclass

from chain.canonical import MAX_SERIAL
from chain.errors import CarbonLedgerError

__all__ = ["MAX_SERIAL", "CanonicalSerial", "SerialFormatError", "UnknownRegistry"]


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
