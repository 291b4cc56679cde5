"""schema_guard: validates tool args and results against the tools' JSON Schemas."""

from ._validators import BadSchema, SchemaCache, compile_schema, failures
from .plugin import SchemaGuard

__all__ = ["BadSchema", "SchemaCache", "SchemaGuard", "compile_schema", "failures"]
