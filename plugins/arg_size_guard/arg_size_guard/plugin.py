"""The arg_size_guard plugin: limits JSON size, string length and nesting depth of arguments.

Checks run in this order and the first overrun blocks: the JSON size of the whole
input, then, in document order, any string longer than ``max_string_length`` or any
object/array nested deeper than ``max_depth``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

import msgspec

from hookwire.schemas import AgentPreInvokePayload, ToolPreInvokePayload
from hookwire.workers import Block, Context, Plugin

_ENCODER = msgspec.json.Encoder()

REASONS: dict[str, str] = {
    "max_bytes": "{path} is {actual} bytes as JSON, over the limit of {limit} (max_bytes)",
    "max_string_length": (
        "{path} is a string of {actual} characters, over the limit of {limit} (max_string_length)"
    ),
    "max_depth": "{path} nests {actual} levels deep, over the limit of {limit} (max_depth)",
}


@dataclass(frozen=True, slots=True)
class Limits:
    """The three limits of one instance."""

    max_bytes: int = 65536
    max_string_length: int = 16384
    max_depth: int = 20

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        values: dict[str, int] = {}
        for f in fields(cls):
            value = config.get(f.name, f.default)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{f.name} must be a non-negative integer, got {value!r}")
            values[f.name] = value
        return cls(**values)


class Overrun(NamedTuple):
    """Which limit was passed, by how much, and where."""

    check: str
    limit: int
    actual: int
    path: str


def child_path(path: str, key: object) -> str:
    """``args.query``, ``args['odd key']``, ``args[0]``; a bare key under the empty root."""
    if isinstance(key, str) and key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def _children(value: Any) -> Iterable[tuple[object, Any]] | None:
    if isinstance(value, dict):
        return value.items()
    if isinstance(value, list | tuple):
        return enumerate(value)
    return None


def nesting(value: Any) -> int:
    """Levels of objects/arrays in ``value``, itself included (0 for a scalar); no recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = _children(item)
        if children is None:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for _, child in children)
    return deepest


def scan(value: Any, path: str, depth: int, limits: Limits) -> Overrun | None:
    """The first string or container in ``value`` (at ``depth``) that passes a limit."""
    if isinstance(value, str):
        if len(value) > limits.max_string_length:
            return Overrun("max_string_length", limits.max_string_length, len(value), path)
        return None
    children = _children(value)
    if children is None:
        return None
    if depth > limits.max_depth:
        return Overrun("max_depth", limits.max_depth, depth - 1 + nesting(value), path)
    for key, child in children:
        found = scan(child, child_path(path, key), depth + 1, limits)
        if found is not None:
            return found
    return None


class ArgSizeGuard(Plugin):
    """Blocks with code ``args_too_large`` and details ``{check, limit, actual, path}``."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.limits = Limits.from_config(config)

    async def tool_pre_invoke(self, payload: ToolPreInvokePayload, ctx: Context) -> Block | None:
        return self._check(payload.args, "args", _ENCODER.encode(payload.args), depth=1)

    async def agent_pre_invoke(self, payload: AgentPreInvokePayload, ctx: Context) -> Block | None:
        # Size: the whole payload ("$"). Strings and depth: its content fields, each a level 1.
        subject = {
            "messages": payload.messages,
            "parameters": payload.parameters,
            "system_prompt": payload.system_prompt,
            "tools": payload.tools,
        }
        return self._check(subject, "", _ENCODER.encode(payload), depth=0, whole="$")

    def _check(
        self, value: Any, root: str, encoded: bytes, *, depth: int, whole: str | None = None
    ) -> Block | None:
        found: Overrun | None = None
        if len(encoded) > self.limits.max_bytes:
            found = Overrun("max_bytes", self.limits.max_bytes, len(encoded), whole or root)
        else:
            found = scan(value, root, depth, self.limits)
        if found is None:
            return None
        return Block(
            REASONS[found.check].format(**found._asdict()),
            code="args_too_large",
            description="The arguments are larger than this deployment allows.",
            details=found._asdict(),
            http_status_code=413,
        )
