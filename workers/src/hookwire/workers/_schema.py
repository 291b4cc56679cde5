"""Checking an instance config against its plugin's ``config_schema``, in the plugin venv.

A plugin venv holds no JSON Schema library (it gets hookwire-workers and the plugin
only), so this checks the keywords config schemas use: ``type``, ``properties``,
``required``, ``additionalProperties``, ``enum``, ``const``, ``items``, ``minLength``,
``maxLength``, ``pattern``, ``minimum``, ``maximum``, ``minItems``, ``maxItems``.
Other keywords are not checked here; the router checks the whole schema (jsonschema)
when it loads a config or ``hookwire apply`` stores one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["schema_errors"]

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _is(value: Any, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(kind, object))


def schema_errors(value: Any, schema: Mapping[str, Any], path: str = "$") -> Iterator[str]:
    """Each way ``value`` breaks ``schema``, as ``"$.where: what"``."""
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        if not any(_is(value, k) for k in kinds):
            yield f"{path}: expected {' or '.join(kinds)}, got {type(value).__name__}"
            return
    if "enum" in schema and value not in schema["enum"]:
        yield f"{path}: {value!r} is not one of {schema['enum']!r}"
    if "const" in schema and value != schema["const"]:
        yield f"{path}: expected {schema['const']!r}"
    if isinstance(value, str):
        yield from _string(value, schema, path)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            yield f"{path}: {value} is less than the minimum {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            yield f"{path}: {value} is more than the maximum {schema['maximum']}"
    elif isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            yield f"{path}: fewer than {schema['minItems']} items"
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            yield f"{path}: more than {schema['maxItems']} items"
        items = schema.get("items")
        if isinstance(items, Mapping):
            for i, item in enumerate(value):
                yield from schema_errors(item, items, f"{path}[{i}]")
    elif isinstance(value, dict):
        yield from _object(value, schema, path)


def _string(value: str, schema: Mapping[str, Any], path: str) -> Iterator[str]:
    if "minLength" in schema and len(value) < schema["minLength"]:
        yield f"{path}: shorter than {schema['minLength']} characters"
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        yield f"{path}: longer than {schema['maxLength']} characters"
    if "pattern" in schema and re.search(schema["pattern"], value) is None:
        yield f"{path}: does not match {schema['pattern']!r}"


def _object(value: dict[str, Any], schema: Mapping[str, Any], path: str) -> Iterator[str]:
    for name in schema.get("required", ()):
        if name not in value:
            yield f"{path}: {name!r} is required"
    properties: Mapping[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        where = f"{path}.{name}"
        if name in properties:
            yield from schema_errors(item, properties[name], where)
        elif extra is False:
            yield f"{where}: not allowed (additionalProperties is false)"
        elif isinstance(extra, Mapping):
            yield from schema_errors(item, extra, where)
