"""Config merging: JSON Schema defaults and deep merge (mappings merge, the rest replaces)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def schema_defaults(schema: Mapping[str, Any]) -> Any:
    """The value a JSON Schema's ``default``s describe, or None where it gives none.

    An object schema yields the defaults of its properties, recursively, so a
    manifest may set a default deep inside its config.
    """
    if "default" in schema:
        return copy.deepcopy(schema["default"])
    props = schema.get("properties")
    if isinstance(props, Mapping):
        out = {}
        for key, sub in props.items():
            if isinstance(sub, Mapping):
                value = schema_defaults(sub)
                if value is not None:
                    out[key] = value
        return out
    return None


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` merged into a copy of ``base``: mappings recursively, lists and scalars replace."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        current = out.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            out[key] = deep_merge(current, value)
        else:
            out[key] = copy.deepcopy(value)
    return out
