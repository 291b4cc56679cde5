"""The schema_guard plugin: tool args against the input schema, results against the output one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema.protocols import Validator

from hookwire.schemas import ToolPostInvokePayload, ToolPreInvokePayload
from hookwire.workers import Block, Context, Continue, Plugin

from ._validators import BadSchema, Checker, SchemaCache, checker, failures

#: field checked -> (the config key and entity.metadata key of its schema, what it is)
SCHEMA_KEYS = {"args": "input_schema", "result": "output_schema"}
MISSING = ("allow", "block")


class SchemaGuard(Plugin):
    """Blocks a tool call whose args, or a result that, breaks the tool's JSON Schema."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        formats = bool(config.get("check_formats", False))
        self.max_errors = int(config.get("max_errors", 20))
        self.values = bool(config.get("include_values", False))
        self.use_metadata = bool(config.get("use_entity_metadata", True))
        self.validate_results = bool(config.get("validate_results", True))
        self.missing = config.get("missing_schema", "allow")
        if self.missing not in MISSING:
            raise ValueError(f"missing_schema must be one of {list(MISSING)}, got {self.missing!r}")
        self.tools: dict[tuple[str, str], Checker] = {}
        for name, schemas in dict(config.get("tools") or {}).items():
            if not isinstance(schemas, Mapping):
                raise ValueError(f"tools.{name} must be a mapping with input_schema/output_schema")
            for key in SCHEMA_KEYS.values():
                if key in schemas:
                    where = f"tools.{name}.{key}"
                    self.tools[(name, key)] = checker(
                        schemas[key], where, formats=formats, fast=True
                    )
        self.cache = SchemaCache(int(config.get("cache_size", 256)), formats)

    async def tool_pre_invoke(self, payload: ToolPreInvokePayload, ctx: Context) -> Block | None:
        return self._check(payload.name, "args", payload.args, ctx)

    async def tool_post_invoke(
        self, payload: ToolPostInvokePayload, ctx: Context
    ) -> Block | Continue | None:
        if not self.validate_results:
            return None
        return self._check(payload.name, "result", payload.result, ctx)

    def _validator(
        self, tool: str, key: str, ctx: Context
    ) -> tuple[Checker | Validator | None, str]:
        """The validator for ``tool``'s ``key`` schema and where it came from."""
        validator = self.tools.get((tool, key))
        if validator is not None:
            return validator, "config"
        entity = ctx.request.entity
        if self.use_metadata and entity is not None and key in entity.metadata:
            return self.cache.get(entity.metadata[key], f"entity.metadata.{key}"), "entity"
        return None, ""

    def _check(self, tool: str, field: str, value: Any, ctx: Context) -> Block | None:
        key = SCHEMA_KEYS[field]
        try:
            validator, source = self._validator(tool, key, ctx)
            if validator is None:
                if self.missing == "block":
                    return Block(
                        f"tool {tool!r} has no {key} to check its {field} against",
                        code="schema_missing",
                        description="This instance blocks tools it has no schema for.",
                        details={"tool": tool, "field": field},
                    )
                return None
            found, total = failures(validator, value, self.max_errors, self.values)
        except BadSchema as exc:
            return Block(
                f"tool {tool!r}: {exc}",
                code="schema_invalid",
                description="The tool's schema cannot be used, so its data cannot be checked.",
                details={"tool": tool, "field": field},
            )
        if not found:
            return None
        listed = "; ".join(f"{f.path}: {f.message}" for f in found)
        more = f" (and {total - len(found)} more)" if total > len(found) else ""
        what = "errors" if total > 1 else "error"
        return Block(
            f"tool {tool!r}: {field} failed {key} validation with {total} {what}: {listed}{more}",
            code="schema_violation",
            description=f"The tool's {field} failed validation against its JSON Schema.",
            details={
                "tool": tool,
                "field": field,
                "schema_source": source,
                "error_count": total,
                "errors": [f.as_dict() for f in found],
            },
        )
