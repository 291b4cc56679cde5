"""JSON Schema validators, built once per schema and kept.

``jsonschema`` picks the dialect from a schema's ``$schema`` (2020-12 when it has none),
checks the schema against its meta-schema, and lists every error of an instance, not
only the first. Remote ``$ref``s are never fetched: the default registry holds only the
bundled meta-schemas, so a schema that refers elsewhere is reported as unresolvable.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import fastjsonschema
import jsonschema
import referencing.exceptions
from jsonschema.protocols import Validator

from ._fast import compile_fast


class BadSchema(ValueError):
    """A schema that is not a valid JSON Schema (or refers to one that cannot be found)."""


@dataclass(frozen=True, slots=True)
class Failure:
    """One way an instance breaks its schema: where, what, which keyword."""

    path: str
    message: str
    keyword: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "keyword": self.keyword}


def json_path(parts: Any) -> str:
    """``$.items[2].name`` for the path parts of an error."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def compile_schema(schema: Any, where: str, *, formats: bool = False) -> Validator:
    """A validator of ``schema``; ``BadSchema`` naming ``where`` and the schema's fault."""
    if not isinstance(schema, dict | bool):
        raise BadSchema(f"{where} must be a JSON Schema (an object), got {type(schema).__name__}")
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)  # type: ignore[arg-type]  # bool schemas are valid too
    except jsonschema.SchemaError as exc:
        at = json_path(exc.absolute_path)
        raise BadSchema(f"{where} is not a valid JSON Schema at {at}: {exc.message}") from None
    checker = cls.FORMAT_CHECKER if formats else None
    return cls(schema, format_checker=checker)


@dataclass(frozen=True, slots=True)
class Checker:
    """``full`` lists every error; ``fast`` (when the schema allows it) only says yes."""

    full: Validator
    fast: Callable[[Any], Any] | None = None


def checker(schema: Any, where: str, *, formats: bool = False, fast: bool = False) -> Checker:
    """A checker of ``schema``; with ``fast``, a compiled fast path where it is safe."""
    full = compile_schema(schema, where, formats=formats)
    return Checker(full, compile_fast(schema) if fast and not formats else None)


def _message(error: jsonschema.ValidationError, values: bool) -> str:
    """jsonschema's message, with the offending value itself left out unless ``values``."""
    if values or isinstance(error.instance, dict | list):
        return error.message
    return error.message.replace(repr(error.instance), "value", 1)


def failures(
    check: Checker | Validator, instance: Any, limit: int, values: bool = False
) -> tuple[list[Failure], int]:
    """Up to ``limit`` failures of ``instance``, ordered by path, and how many there are.

    Messages name the path, not the value (``value is not of type 'string'``): the value
    may be personal data the violation should not carry. ``values`` keeps it."""
    if isinstance(check, Checker):
        if check.fast is not None:
            try:
                check.fast(instance)
                return [], 0
            except fastjsonschema.JsonSchemaValueException:
                pass  # list them all below
        validator = check.full
    else:
        validator = check
    try:
        errors = list(validator.iter_errors(instance))
    except referencing.exceptions.Unresolvable as exc:
        raise BadSchema(f"the schema refers to what cannot be resolved: {exc}") from None
    found = sorted(
        (
            Failure(json_path(e.absolute_path), _message(e, values), str(e.validator))
            for e in errors
        ),
        key=lambda f: (f.path, f.keyword),
    )
    return found[:limit], len(found)


class SchemaCache:
    """Validators of schemas met in events, keyed by their canonical JSON; least recently
    used ones are dropped past ``size``. One per plugin instance."""

    def __init__(self, size: int, formats: bool) -> None:
        self.size = size
        self.formats = formats
        self._validators: OrderedDict[str, Validator] = OrderedDict()

    def __len__(self) -> int:
        return len(self._validators)

    def get(self, schema: Any, where: str) -> Validator:
        key = json.dumps(schema, sort_keys=True, separators=(",", ":"), default=str)
        validator = self._validators.get(key)
        if validator is not None:
            self._validators.move_to_end(key)
            return validator
        validator = compile_schema(schema, where, formats=self.formats)
        self._validators[key] = validator
        if len(self._validators) > self.size:
            self._validators.popitem(last=False)
        return validator
