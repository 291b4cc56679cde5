"""The compiled fast path: used only where it agrees with jsonschema, never fetches."""

from __future__ import annotations

from typing import Any

import pytest
from schema_guard._fast import compile_fast, eligible
from schema_guard._validators import checker, failures

OBJECT: dict[str, Any] = {
    "type": "object",
    "required": ["a"],
    "properties": {
        "a": {"type": "integer", "minimum": 1},
        "b": {"type": "array", "items": {"$ref": "#/$defs/tag"}},
        "c": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": "x"},
    },
    "$defs": {"tag": {"type": "string", "pattern": "^[a-z]+$"}},
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    "schema",
    [
        {"prefixItems": [{"type": "string"}]},
        {"properties": {"x": {"unevaluatedProperties": False}}},
        {"items": [{"type": "string"}]},
        {"$ref": "#/$defs/a", "type": "object", "$defs": {"a": {}}},
        {"$ref": "https://example.invalid/s.json"},
        {"$schema": "http://json-schema.org/draft-04/schema#"},
        {"dependentRequired": {"a": ["b"]}},
        {"allOf": [{"maxContains": 2}]},
        {"not": {"$dynamicRef": "#x"}},
        "not a schema",
    ],
)
def test_divergent_schemas_take_the_full_path(schema: Any) -> None:
    assert not eligible(schema)
    assert compile_fast(schema) is None


def test_a_common_schema_is_compiled() -> None:
    assert eligible(OBJECT) and eligible(True)
    assert compile_fast(OBJECT) is not None


@pytest.mark.parametrize(
    "instance",
    [
        {"a": 1},
        {"a": 1, "b": ["x", "y"], "c": None},
        {"a": 0},
        {"a": "1"},
        {"b": ["X"]},
        {"a": 2, "d": 1},
        {"a": 2, "c": 3},
        [],
        None,
    ],
)
def test_fast_and_full_agree(instance: Any) -> None:
    fast = checker(OBJECT, "s", fast=True)
    full = checker(OBJECT, "s")
    assert fast.fast is not None and full.fast is None
    assert failures(fast, instance, 50) == failures(full, instance, 50)


def test_defaults_are_never_filled_in() -> None:
    check = checker(OBJECT, "s", fast=True)
    instance: dict[str, Any] = {"a": 1}
    assert failures(check, instance, 5) == ([], 0)
    assert instance == {"a": 1}


def test_format_assertions_take_the_full_path() -> None:
    assert checker({"format": "email"}, "s", formats=True, fast=True).fast is None
