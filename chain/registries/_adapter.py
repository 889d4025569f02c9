"""The declarative description of one registry's serials, the machinery that applies it, and
the :class:`ParsedSerial` it yields (kept here because the two refer to each other: a parsed
serial renders and narrows itself through its adapter).

A :class:`SerialAdapter` says, as data: the serial's textual form(s) (templates), the kind of
each named part, which parts give the first and last serial number, how the namespace is built
from the parts, which part is the project id and which the registry's batch reference, how the
vintage is encoded, and which export columns the serial is cross-checked against. Only the
vintage rule is code, and only where a format needs it. Adding a registry is adding one such
description to the table (``chain.registries.register``); nothing else changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from chain.canonical import TextRejected, identifier_problem
from chain.errors import ConfigurationError
from chain.registries._fields import INTEGER, FieldKind
from chain.registries._grammar import PLACEHOLDER, Grammar, label
from chain.registries._model import CanonicalSerial, SerialFormatError
from chain.registries._rows import RowColumns, RowError
from chain.registries._vintage import VintageRule

_KEY = re.compile(r"[a-z][a-z0-9-]*")


@dataclass(frozen=True, eq=False)
class SerialAdapter:
    """How one registry writes its serials (see the module docstring).

    - ``key``: unique adapter key (``"vcs"``, ``"gs-cdm"``); ``registry``: the export/registry
      key it serves (``"gs"``; defaults to ``key``). Several adapters may serve one registry
      key (the Gold Standard export lists CDM units next to its own); they are tried in order.
    - ``program``: the programme code the canonical serial carries (``"VCS"``).
    - ``templates``: textual forms, e.g. ``"{batch}-{first} to {last}"``; the first is the
      preferred one for :meth:`compose`; ``kinds``: the kind of every named part.
    - ``namespace``: template of the namespace over the same parts (may be a constant).
    - ``first``/``last``/``project``/``reference``: names of the parts with those roles.
    - ``vintage``: the vintage rule; ``row``: the export columns checked against the serial.
    - ``rationale``: why the namespace is what it is (documentation, shown by tools).
    - ``fixed_namespaces``: for a registry that numbers serials in registry-wide spaces, every
      namespace there is; the programme's governance fixes them on the ledger, so no issuer
      can open a parallel one (``chain.programmes``). ``None``: namespaces follow the template.
    - ``project_prefixes``: how the registry writes its project ids in front of the number
      the serial holds (``"ACR1185"``, ``"VCS 1340"``); :meth:`canonical_project` drops them.
    - ``upper_namespace``: the namespace is written in upper case (a part the registry writes
      in lower case, Puro's issuance UUID, would not be a canonical identifier otherwise).
    """

    key: str
    program: str
    templates: tuple[str, ...]
    kinds: Mapping[str, FieldKind]
    namespace: str
    registry: str = ""
    first: str = "first"
    last: str = "last"
    project: str | None = None
    reference: str | None = None
    vintage: VintageRule | None = None
    row: RowColumns = field(default_factory=RowColumns)
    rationale: str = ""
    fixed_namespaces: frozenset[str] | None = None
    project_prefixes: tuple[str, ...] = ()
    upper_namespace: bool = False
    grammars: tuple[Grammar, ...] = field(init=False, repr=False)
    namespace_grammar: Grammar = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not _KEY.fullmatch(self.key):
            raise ConfigurationError(f"adapter key must be lower-case, got {self.key!r}")
        if not self.registry:
            object.__setattr__(self, "registry", self.key)
        if not self.templates:
            raise ConfigurationError(f"adapter {self.key}: at least one template is needed")
        grammars = tuple(Grammar(t, self.kinds) for t in self.templates)
        object.__setattr__(self, "grammars", grammars)
        roles = [self.first, self.last, self.project, self.reference]
        roles += [getattr(self.vintage, a, None) for a in ("start", "end", "year")]
        roles += [getattr(self.vintage, a, None) for a in ("original", "applicable")]
        needed = {r for r in roles if isinstance(r, str)}
        needed |= set(PLACEHOLDER.findall(self.namespace))
        for grammar in grammars:
            missing = needed - set(grammar.names)
            if missing:
                raise ConfigurationError(
                    f"adapter {self.key}: template {grammar.template!r} lacks {sorted(missing)}"
                )
        object.__setattr__(self, "namespace_grammar", Grammar(self.namespace, self.kinds))
        if self.first == self.last:
            raise ConfigurationError(f"adapter {self.key}: first and last must be distinct parts")
        for role in (self.first, self.last):
            if self.kinds.get(role) is not INTEGER:
                raise ConfigurationError(f"adapter {self.key}: {{{role}}} must be an INTEGER part")

    # -- canonical identity ------------------------------------------------------------------

    @property
    def numeric_projects(self) -> bool:
        """Whether this registry's project ids are numbers (the serial's project part is)."""
        return self.project is not None and self.kinds[self.project] is INTEGER

    def canonical_project(self, text: str) -> str:
        """The canonical form of a project id as the registry or a person writes it:
        ``"ACR1185"``, ``"acr 1185"``, ``"1185"`` all give ``"1185"`` for ACR; raises
        :class:`chain.canonical.TextRejected` naming what is wrong."""
        value = text.strip().upper()
        for prefix in self.project_prefixes:
            if value.startswith(prefix) and value[len(prefix) :].lstrip(" -_")[:1].isdigit():
                value = value[len(prefix) :].lstrip(" -_")
                break
        problem = identifier_problem(value, numeric=self.numeric_projects)
        if problem is not None:
            shown = "a number" if self.numeric_projects else "a canonical identifier"
            raise TextRejected(
                f"{text!r} is not a {self.program} project id ({shown}): it {problem}"
            )
        return value

    def namespace_problem(self, namespace: str) -> str | None:
        """Why ``namespace`` cannot be one of this registry's (``None`` if it can): not a
        canonical identifier, not one the programme fixes, or not of the namespace's form."""
        problem = identifier_problem(namespace)
        if problem is not None:
            return f"the namespace {problem}"
        if self.fixed_namespaces is not None:
            if namespace in self.fixed_namespaces:
                return None
            return f"{namespace!r} is not a {self.program} namespace"
        values = self.namespace_grammar.match(namespace)
        if values is None:
            return self.namespace_grammar.diagnose(namespace)[1]
        return self.namespace_grammar.check(values)

    # -- parsing -----------------------------------------------------------------------------

    def _error(self, reason: str, text: str, registry: str | None = None) -> SerialFormatError:
        return SerialFormatError(reason, serial=text, registry=registry or self.program)

    def attempt(self, text: str) -> ParsedSerial | tuple[int, str]:
        """Parse ``text`` (already trimmed) without a row: the serial, or how far the best
        form got and why it failed (used to pick the most telling reason across adapters)."""
        best: tuple[int, str] | None = None
        for index, grammar in enumerate(self.grammars):
            values = grammar.match(text)
            if values is None:
                progress = grammar.diagnose(text)
                if len(self.grammars) > 1:  # say which form the reason is about
                    progress = (progress[0], f"{progress[1]} (read as {grammar.template!r})")
                if best is None or progress[0] > best[0]:
                    best = progress
                continue
            problem = grammar.check(values)
            if problem is None:
                problem = self._check_parts(values)
            if problem is not None:
                return len(text) + 1, problem  # right form, wrong content: the best reason
            return self._build(values, index)
        assert best is not None
        return best

    def _check_parts(self, values: Mapping[str, str]) -> str | None:
        first, last = int(values[self.first]), int(values[self.last])
        if first > last:
            return f"first serial {first} is greater than last serial {last}"
        return None if self.vintage is None else self.vintage.check_serial(values)

    def _build(self, values: Mapping[str, str], grammar: int) -> ParsedSerial:
        namespace = PLACEHOLDER.sub(lambda m: values[m.group(1)], self.namespace)
        if self.upper_namespace:
            namespace = namespace.upper()
        names = self.grammars[grammar].names
        return ParsedSerial(
            program=self.program,
            namespace=namespace,
            first=int(values[self.first]),
            last=int(values[self.last]),
            scheme=self.key,
            grammar=grammar,
            fields=tuple((name, values[name]) for name in names),
            adapter=self,
        )

    def parse(self, serial: str, row: Mapping[str, str] | None = None) -> ParsedSerial:
        """Parse one serial of this adapter's form, cross-checked against ``row`` if given."""
        if not isinstance(serial, str):
            raise self._error(f"a serial must be a string, got {type(serial).__name__}", "")
        if not serial.strip():
            raise self._error("the serial is empty", serial)
        outcome = self.attempt(serial.strip())
        if not isinstance(outcome, ParsedSerial):
            raise self._error(outcome[1], serial)
        if row is not None:
            self.check_row(outcome, row, serial)
        return outcome

    def check_row(
        self,
        parsed: ParsedSerial,
        row: Mapping[str, str],
        serial: str | None = None,
        registry: str | None = None,
    ) -> None:
        """Raise :class:`SerialFormatError` if ``row`` disagrees with ``parsed``: quantity,
        project id or vintage (each only where this adapter declares the columns).
        ``serial``/``registry`` are the string and key to name in the error."""
        text = parsed.text() if serial is None else serial
        try:
            problem = self._row_problem(parsed, row)
        except RowError as exc:
            problem = str(exc)
        if problem is not None:
            raise self._error(problem, text, registry)

    def _row_problem(self, parsed: ParsedSerial, row: Mapping[str, str]) -> str | None:
        values = parsed.components
        quantity = self.row.quantity_of(row)
        if quantity is not None and quantity[1] != parsed.quantity:
            return (
                f"quantity column {quantity[0]!r} = {quantity[1]} disagrees with the range "
                f"{parsed.first}..{parsed.last}, which holds {parsed.quantity}"
            )
        if self.project is not None:
            project = self.row.project_of(row)
            if project is not None and project[1] != values[self.project]:
                # The row may write the registry's own spelling (ACR1185, VCS 1340).
                try:
                    same = self.canonical_project(project[1]) == values[self.project]
                except TextRejected:
                    same = False
                if same:
                    project = None
            if project is not None and project[1] != values[self.project]:
                return (
                    f"{label(self.project)} id {values[self.project]!r} in the serial "
                    f"disagrees with row column {project[0]!r} = {project[1]!r}"
                )
        if self.vintage is not None:
            vintage = self.row.vintage_of(row)
            if vintage is not None:
                return self.vintage.check_row(values, vintage)
        return None

    # -- rendering ---------------------------------------------------------------------------

    def render(self, parsed: ParsedSerial) -> str:
        """``parsed`` in the textual form it was read in."""
        return self.grammars[parsed.grammar].render(parsed.components)

    def compose(self, values: Mapping[str, str | int], grammar: int = 0) -> ParsedSerial:
        """Build a serial from its named parts (ints are written in decimal), validated
        exactly as if the rendered text had been parsed; ``grammar`` picks the textual form."""
        if not 0 <= grammar < len(self.grammars):
            raise ConfigurationError(f"adapter {self.key} has no textual form #{grammar}")
        form = self.grammars[grammar]
        missing = [name for name in form.names if name not in values]
        if missing:
            raise self._error(f"missing parts {missing}", "")
        text = form.render({name: str(values[name]) for name in form.names})
        outcome = self.attempt(text)
        if not isinstance(outcome, ParsedSerial):
            raise self._error(outcome[1], text)
        wanted = tuple((name, str(values[name])) for name in form.names)
        if outcome.grammar != grammar or outcome.fields != wanted:
            # A part held a separator, so the text reads back as different parts.
            raise self._error("parts do not read back as given (a part holds a separator?)", text)
        return outcome


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
