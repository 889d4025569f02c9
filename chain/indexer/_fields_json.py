"""Each event's ``fields`` column: its decoded fields as JSON, the way SQLAlchemy's JSON type
encodes them, but through a template generated per event kind (a third of the encoder's time).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from typing import Any, cast

from chain.events import event_specs

MAX_SQL_INT = 2**63 - 1
"""The largest integer a store's signed 64-bit column (and a portable JSON number) holds."""


def jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_SQL_INT:
        return str(value)  # JSON numbers beyond 2^63 are not portable
    return value


def _hex_bytes(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def fields_json(fields: dict[str, Any], topic0: bytes = b"") -> str:
    """``fields`` as the ``events.fields`` column stores it: ``json.dumps(jsonable(fields))``,
    the JSON type's encoding of them; for a decoded event, through its kind's template."""
    return encoded(fields, json_template(topic0))


def encoded(fields: dict[str, Any], template: JsonTemplate | None) -> str:
    text = template(fields) if template is not None else None
    return json.dumps(jsonable(fields)) if text is None else text


JsonTemplate = Callable[[dict[str, Any]], str | None]


@lru_cache(maxsize=64)
def json_template(topic0: bytes) -> JsonTemplate | None:
    """For an event kind the ABI describes (without arrays), a function giving exactly
    ``json.dumps(jsonable(fields))`` for its decoded fields, in a third of the C encoder's
    time: the ABI fixes the keys, their order and every value's type, so the text is one
    ``%`` template. It returns ``None`` for fields of another shape or type, or an int beyond
    2^63 - 1, which ``fields_json`` then encodes in full.

    The function is generated (as ``collections.namedtuple`` generates its class): a loop
    over the fields costs as much as the encoder it replaces."""
    spec = event_specs().get(topic0)
    if spec is None:
        return None
    body: list[str] = []
    checks: list[str] = []
    values: list[str] = []
    constants: dict[str, Any] = {"_string": encode_basestring_ascii, "_bytes": (bytes, bytearray)}

    def struct(fields: Sequence[Any], source: str) -> str | None:
        """The template of a JSON object of ``fields``, read from the dict ``source``."""
        keys = f"_k{len(constants)}"
        constants[keys] = tuple(str(f.name) for f in fields)
        names = [f"_v{len(constants)}_{i}" for i in range(len(fields))]
        body.append(f"if type({source}) is not dict or tuple({source}) != {keys}: return None")
        if names:
            body.append(f"{', '.join(names)}, = {source}.values()")
        parts = []
        for f, name in zip(fields, names, strict=True):
            kind = str(f.abi_type)
            key = encode_basestring_ascii(str(f.name)).replace("%", "%%")
            if kind.endswith("]"):
                return None
            if f.components:
                inner = struct(f.components, name)
                if inner is None:
                    return None
                parts.append(f"{key}: {inner}")
            elif kind.startswith(("uint", "int")):
                checks.append(f"type({name}) is int and {name} <= {MAX_SQL_INT}")
                parts.append(f"{key}: %d")
                values.append(name)
            elif kind == "bool":
                checks.append(f"type({name}) is bool")
                parts.append(f"{key}: %s")
                values.append(f'("true" if {name} else "false")')
            elif kind in ("address", "string"):
                parts.append(f"{key}: %s")
                values.append(f"_string({name})")  # a TypeError for anything but a str
            elif kind.startswith("bytes"):
                checks.append(f"isinstance({name}, _bytes)")
                parts.append(f'{key}: "0x%s"')
                values.append(f"{name}.hex()")
            else:
                return None
        return "{" + ", ".join(parts) + "}"

    template = struct((*spec.indexed, *spec.data), "fields")
    if template is None:
        return None
    constants["_template"] = template
    lines = [
        "def encode(fields):",
        *(f"    {line}" for line in body),
        f"    if not ({' and '.join(checks) or 'True'}): return None",
        "    try:",
        f"        return _template % ({''.join(v + ', ' for v in values)})",
        "    except TypeError:",
        "        return None",
    ]
    exec("\n".join(lines), constants)  # only the ABI's names and types go into the source
    return cast(JsonTemplate, constants["encode"])
