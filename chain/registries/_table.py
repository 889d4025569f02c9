"""The table of registered adapters, and ``parse``/``format``/``compose`` over it.

Lookup keys: a *registry key* is lower case (``"vcs"``, ``"gs"``; what ``carbon-ledger import
--registry`` takes) and selects every adapter serving that registry's exports, in registration
order (the Gold Standard export also lists CDM units). A *programme code* is upper case
(``"VCS"``, ``"CDM"``) and selects only that programme's adapters, so ``parse("GS", x)`` never
yields a CDM unit while ``parse("gs", x)`` may. An adapter key (``"gs-cdm"``) selects just
that adapter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from chain.registries._adapter import ParsedSerial, SerialAdapter
from chain.registries._model import SerialFormatError, UnknownRegistry


class RegistryTable:
    """Adapters by key; an importer holds one (usually the module-level default)."""

    def __init__(self, adapters: Iterable[SerialAdapter] = ()) -> None:
        self._adapters: dict[str, SerialAdapter] = {}
        self.version = 0
        """Bumped by every (un)registration: what caches over this table key on."""
        for adapter in adapters:
            self.register(adapter)

    def register(self, adapter: SerialAdapter, *, replace: bool = False) -> SerialAdapter:
        """Add ``adapter`` (its ``registry`` key becomes parseable); ``replace`` to redefine."""
        if adapter.key in self._adapters and not replace:
            raise ValueError(f"an adapter {adapter.key!r} is already registered")
        self._adapters[adapter.key] = adapter
        self.version += 1
        return adapter

    def unregister(self, key: str) -> None:
        """Remove the adapter with this adapter key (``KeyError`` if there is none)."""
        del self._adapters[key]
        self.version += 1

    def adapter(self, key: str) -> SerialAdapter:
        """The adapter with this adapter key (``"gs-cdm"``)."""
        try:
            return self._adapters[key]
        except KeyError:
            raise UnknownRegistry(f"no serial adapter {key!r}") from None

    def adapters(self) -> tuple[SerialAdapter, ...]:
        return tuple(self._adapters.values())

    def registries(self) -> tuple[str, ...]:
        """Registry keys that can be parsed, in registration order."""
        return tuple(dict.fromkeys(a.registry for a in self._adapters.values()))

    def adapters_for(self, key: str) -> tuple[SerialAdapter, ...]:
        """Adapters a registry key or programme code selects (see the module docstring)."""
        found = tuple(a for a in self._adapters.values() if a.registry == key)
        if not found and key in self._adapters:
            found = (self._adapters[key],)
        if not found and key.isupper():
            home = tuple(
                a for a in self._adapters.values() if a.program == key and a.registry == key.lower()
            )
            found = home or tuple(a for a in self._adapters.values() if a.program == key)
        if not found:
            known = ", ".join(self.registries())
            raise UnknownRegistry(f"no serial adapter for {key!r} (registries: {known})")
        return found

    def parse(self, key: str, serial: str, row: Mapping[str, str] | None = None) -> ParsedSerial:
        """Parse a registry serial into its canonical range plus the registry's own fields.

        ``key`` is a registry key or a programme code; surrounding whitespace is trimmed and
        anything else malformed raises :class:`SerialFormatError`, whose ``reason`` names the
        part, what was expected and what was found. With ``row`` (a ``csv.DictReader`` row of
        the registry's export) the quantity, project id and vintage columns must agree too.
        """
        adapters = self.adapters_for(key)
        if not isinstance(serial, str):
            raise SerialFormatError(
                f"a serial must be a string, got {type(serial).__name__}", registry=key
            )
        text = serial.strip()
        if not text:
            raise SerialFormatError("the serial is empty", serial=serial, registry=key)
        best: tuple[int, str] | None = None
        for adapter in adapters:
            outcome = adapter.attempt(text)
            if isinstance(outcome, ParsedSerial):
                if row is not None:
                    adapter.check_row(outcome, row, serial, key)
                return outcome
            if best is None or outcome[0] > best[0]:
                best = outcome
        assert best is not None
        raise SerialFormatError(best[1], serial=serial, registry=key)

    def compose(
        self, adapter_key: str, values: Mapping[str, str | int], grammar: int = 0
    ) -> ParsedSerial:
        """Build a serial from its named parts with the adapter ``adapter_key``."""
        return self.adapter(adapter_key).compose(values, grammar)


def format_serial(serial: ParsedSerial) -> str:
    """The registry's own string for a parsed serial: ``format(parse(k, x)) == x.strip()``."""
    return serial.adapter.render(serial)
