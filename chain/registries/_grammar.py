"""A serial's textual form, declared as a template: ``"{block}-{first}-{last}-VCS-VCU-..."``.

``{name}`` is a named part of the kind the adapter declares for it; everything else is literal
text. A part may appear twice (CDM writes the registry, unit type and project at both ends of
the range): both occurrences must then be identical. The template compiles to a regex with
named groups (the structural match) and renders back with the same parts, so
``render(match(x)) == x``. When the regex does not match, the same parts are scanned left to
right to say where and why: which part, what was expected, what was found.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from chain.errors import ConfigurationError
from chain.registries._fields import FieldKind

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
"""A ``{name}`` placeholder in a template (group 1 is the part name)."""


@dataclass(frozen=True)
class _Literal:
    text: str


@dataclass(frozen=True)
class _Slot:
    name: str
    kind: FieldKind


def label(name: str) -> str:
    """Human name of a part: ``first`` → ``first serial``, ``vintage_start`` → ``vintage start``."""
    return {"first": "first serial", "last": "last serial"}.get(name, name.replace("_", " "))


def _snippet(text: str, pos: int) -> str:
    if pos >= len(text):
        return "the end of the serial"
    rest = text[pos:]
    return repr(rest if len(rest) <= 16 else rest[:16] + "...")


def _hint(char: str, *, part: FieldKind | None = None) -> str:
    if part is not None and char in "+-" and part.token == "[0-9]+":
        return " (signs are not allowed)"
    if char.isdigit() and not char.isascii():
        return " (only ASCII digits 0-9 are allowed)"
    if char.isspace():
        return " (whitespace inside a serial is not allowed)"
    return ""


class Grammar:
    """One textual form of a registry's serials (see the module docstring)."""

    def __init__(self, template: str, kinds: Mapping[str, FieldKind]) -> None:
        self.template = template
        parts: list[_Literal | _Slot] = []
        pos = 0
        for m in PLACEHOLDER.finditer(template):
            if m.start() > pos:
                parts.append(_Literal(template[pos : m.start()]))
            name = m.group(1)
            if name not in kinds:
                raise ConfigurationError(f"template {template!r}: no kind declared for {{{name}}}")
            parts.append(_Slot(name, kinds[name]))
            pos = m.end()
        if pos < len(template):
            parts.append(_Literal(template[pos:]))
        if "{" in "".join(p.text for p in parts if isinstance(p, _Literal)):
            raise ConfigurationError(f"template {template!r}: malformed placeholder")
        self._check_deterministic(parts)
        self.parts: tuple[_Literal | _Slot, ...] = tuple(parts)
        self.names: tuple[str, ...] = tuple(
            dict.fromkeys(p.name for p in parts if isinstance(p, _Slot))
        )
        self.regex: re.Pattern[str] = re.compile(self._regex_source())

    def _check_deterministic(self, parts: list[_Literal | _Slot]) -> None:
        # Each part must end where the next one starts, so a left-to-right scan is exact: two
        # parts are never adjacent, and no literal starts with a character its part absorbs.
        for before, after in itertools.pairwise(parts):
            if isinstance(before, _Slot) and isinstance(after, _Slot):
                raise ConfigurationError(
                    f"template {self.template!r}: {{{before.name}}} and {{{after.name}}} need "
                    "a separator between them"
                )
            if (
                isinstance(before, _Slot)
                and isinstance(after, _Literal)
                and re.fullmatch(before.kind.token, after.text[0])
            ):
                raise ConfigurationError(
                    f"template {self.template!r}: {after.text!r} after {{{before.name}}} "
                    "starts with a character the part itself may contain"
                )

    def _regex_source(self) -> str:
        seen: set[str] = set()
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, _Literal):
                out.append(re.escape(part.text))
            elif part.name in seen:
                out.append(f"(?P={part.name})")
            else:
                seen.add(part.name)
                out.append(f"(?P<{part.name}>{part.kind.token})")
        return "".join(out)

    def match(self, text: str) -> dict[str, str] | None:
        """The named parts if ``text`` has this form (parts not yet checked), else ``None``."""
        m = self.regex.fullmatch(text)
        return None if m is None else {name: m.group(name) for name in self.names}

    def check(self, values: Mapping[str, str]) -> str | None:
        """The first part whose exact form is wrong, as a reason; ``None`` if all are right."""
        for part in self.parts:
            if isinstance(part, _Slot):
                problem = part.kind.check(values[part.name])
                if problem is not None:
                    return f"{label(part.name)}: {problem}"
        return None

    def diagnose(self, text: str) -> tuple[int, str]:
        """Why ``text`` does not have this form: (characters matched before failing, reason)."""
        pos = 0
        seen: dict[str, str] = {}
        previous = ""
        for part in self.parts:
            if isinstance(part, _Literal):
                if not text.startswith(part.text, pos):
                    where = f"after {label(previous)}" if previous else "at the start"
                    found = _snippet(text, pos)
                    hint = _hint(text[pos]) if pos < len(text) else ""
                    return pos, (
                        f"expected {part.text!r} {where} (character {pos + 1}), found {found}{hint}"
                    )
                pos += len(part.text)
                continue
            m = re.compile(part.kind.token).match(text, pos)
            if m is None:
                hint = _hint(text[pos], part=part.kind) if pos < len(text) else ""
                return pos, (
                    f"{label(part.name)}: expected {part.kind.description} at character "
                    f"{pos + 1}, found {_snippet(text, pos)}{hint}"
                )
            value = m.group()
            if part.name in seen and seen[part.name] != value:
                return pos, (
                    f"{label(part.name)} differs between the two ends of the range: "
                    f"{seen[part.name]!r} vs {value!r}"
                )
            problem = part.kind.check(value)
            if problem is not None:
                return pos, f"{label(part.name)}: {problem}"
            seen[part.name] = value
            previous = part.name
            pos = m.end()
        if pos < len(text):
            return pos, (
                f"unexpected text after {label(previous)} (character {pos + 1}): "
                f"{_snippet(text, pos)}"
            )
        return pos, "does not match the form"  # unreachable when match() failed

    def render(self, values: Mapping[str, str]) -> str:
        """The template with every part filled in from ``values`` (not validated)."""
        return "".join(
            part.text if isinstance(part, _Literal) else values[part.name] for part in self.parts
        )
