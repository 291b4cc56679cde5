"""A compiled fast path for schemas whose meaning is the same under draft 7 and 2020-12.

``fastjsonschema`` turns a schema into Python code once; checking valid data is then an
order of magnitude faster than ``jsonschema``. It stops at the first error, so a failing
instance is checked again by ``jsonschema`` for the full list. It is used only when it
cannot disagree with ``jsonschema``:

- for schemas from the config (the operator's own): it generates and runs code from the
  schema, which hookwire does not do for schemas an event carries;
- when no keyword whose meaning differs between the drafts appears anywhere in the
  schema (``prefixItems``, ``unevaluated*``, ``dependent*``, dynamic and recursive
  references, ``items`` as a list, ``$ref`` with sibling keywords ...);
- when every ``$ref`` points inside the schema (``#...``): nothing is fetched;
- without format assertions (``check_formats: false``), since the two libraries check
  formats differently. Defaults are never filled in.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import fastjsonschema

#: Keywords that mean something else, or nothing, under draft 7.
DIVERGENT = frozenset(
    {
        "prefixItems",
        "unevaluatedProperties",
        "unevaluatedItems",
        "dependentRequired",
        "dependentSchemas",
        "$dynamicRef",
        "$dynamicAnchor",
        "$recursiveRef",
        "$recursiveAnchor",
        "$anchor",
        "$vocabulary",
        "minContains",
        "maxContains",
        "contentSchema",
        "dependencies",
        "additionalItems",
        "$id",
        "id",
        "definitions",
    }
)
#: Keywords whose value is a map of subschemas, or a list of them.
_MAPS = frozenset({"properties", "patternProperties", "$defs"})
_LISTS = frozenset({"allOf", "anyOf", "oneOf"})
_DIALECTS = frozenset(
    {
        "https://json-schema.org/draft/2020-12/schema",
        "http://json-schema.org/draft-07/schema#",
        "http://json-schema.org/draft-07/schema",
    }
)


def eligible(schema: Any) -> bool:
    """Whether ``schema`` means the same to fastjsonschema (draft 7) and jsonschema."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, Mapping):
        return False
    if "$schema" in schema and schema["$schema"] not in _DIALECTS:
        return False
    for key, value in schema.items():
        if key in DIVERGENT:
            return False
        if key == "$ref" and (len(schema) > 1 or not str(value).startswith("#")):
            return False
        if key == "items" and not eligible(value):  # a list of schemas is not one
            return False
        if key in _MAPS and not (
            isinstance(value, Mapping) and all(eligible(v) for v in value.values())
        ):
            return False
        if key in _LISTS and not (isinstance(value, list) and all(eligible(v) for v in value)):
            return False
        if key in {"not", "if", "then", "else", "contains", "propertyNames"} and not eligible(
            value
        ):
            return False
        if key == "additionalProperties" and not eligible(value):
            return False
    return True


def _no_fetch(uri: str) -> Any:
    raise ValueError(f"remote $ref {uri!r} is not fetched")


def compile_fast(schema: Any) -> Callable[[Any], Any] | None:
    """fastjsonschema's validator of ``schema``, or None when it may not be used."""
    if not eligible(schema):
        return None
    definition = copy.deepcopy(schema)
    if isinstance(definition, dict):
        definition["$schema"] = "http://json-schema.org/draft-07/schema#"
        # 2020-12's $defs are found by JSON pointer, which fastjsonschema follows as is
    try:
        return fastjsonschema.compile(
            definition,
            handlers={"http": _no_fetch, "https": _no_fetch},
            use_default=False,
            use_formats=False,
        )
    except fastjsonschema.JsonSchemaDefinitionException:
        return None
