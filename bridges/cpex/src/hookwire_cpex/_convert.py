"""cpex <-> hookwire: payloads, the request context, and the reply as a ``PluginResult``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from cpex.framework.constants import GATEWAY_METADATA, TOOL_METADATA
from cpex.framework.hooks.registry import get_hook_registry
from cpex.framework.models import (
    GlobalContext,
    PluginPayload,
    PluginResult,
    PluginViolation,
)

from hookwire import client as hw
from hookwire.schemas import Entity, Violation

__all__ = [
    "event_options",
    "failure_violation",
    "result_from_reply",
    "wire_payload",
]


def wire_payload(payload: Any) -> Any:
    """The cpex payload as JSON-ready data (a pydantic model dumped; a mapping as is)."""
    if isinstance(payload, PluginPayload):
        return payload.model_dump(mode="json", exclude_none=True)
    return payload


def _field(obj: Any, name: str) -> Any:
    """``obj.name`` or ``obj[name]``: the gateway hands models, TypedDicts or dicts."""
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _user(ctx: GlobalContext) -> str | None:
    """The user as one string: the gateway sends an email, a dict, or a UserContext."""
    user = ctx.user
    if isinstance(user, str):
        return user or None
    for source in (user, ctx.user_context):
        if source is None:
            continue
        for key in ("email", "user_id", "id", "username", "sub"):
            value = _field(source, key)
            if value:
                return str(value)
    return None


def _entity(hook: str, wire: Any, ctx: GlobalContext) -> Entity | None:
    """The tool with its id and tags when the gateway put its metadata in the context;
    None lets the client name the entity from the payload."""
    tool = ctx.metadata.get(TOOL_METADATA)
    if tool is None or not hook.startswith("tool_") or not isinstance(wire, Mapping):
        return None
    name = wire.get("name")
    if not isinstance(name, str):
        return None
    tags = _field(tool, "tags")
    ident = _field(tool, "id")
    return Entity(
        type="tool",
        name=name,
        id=str(ident) if ident else None,
        tags=[str(t) for t in tags] if isinstance(tags, list | tuple) else [],
    )


def event_options(hook: str, wire: Any, ctx: GlobalContext) -> dict[str, Any]:
    """The hookwire event's context, filled from cpex's ``GlobalContext``."""
    gateway = ctx.metadata.get(GATEWAY_METADATA)
    gateway_id = _field(gateway, "id") or _field(gateway, "name") if gateway is not None else None
    return {
        "entity": _entity(hook, wire, ctx),
        "request_id": ctx.request_id,
        "user": _user(ctx),
        "tenant_id": ctx.tenant_id,
        "server_id": ctx.server_id,
        "gateway_id": str(gateway_id) if gateway_id else None,
    }


def _violation(v: Violation) -> PluginViolation:
    return PluginViolation(
        reason=v.reason,
        description=v.description,
        code=v.code,
        details=dict(v.details),
        http_status_code=v.http_status_code,
        http_headers=dict(v.http_headers) if v.http_headers is not None else None,
    )


def result_type(hook: str) -> type[PluginResult[Any]]:
    """cpex's result type of ``hook`` (plain ``PluginResult`` for a hook it does not know)."""
    found: type[PluginResult[Any]] | None = get_hook_registry().get_result_type(hook)
    return found if found is not None else PluginResult


def result_from_reply(hook: str, reply: hw.HookResult[Any]) -> PluginResult[Any]:
    """hookwire's decision as cpex's ``PluginResult`` of the hook's result type.

    ``allow`` continues (with the modified payload, as the hook's payload model, when a
    plugin changed it); ``block`` stops with the violation. An ``error`` decision is not
    handled here: the bridge fails closed or open on it.
    """
    cls = result_type(hook)
    metadata: dict[str, Any] = {}
    if reply.warnings:
        metadata["hookwire_warnings"] = [msgspec.to_builtins(w) for w in reply.warnings]
    if reply.blocked:
        violation = reply.violation or Violation(reason="blocked by hookwire", code="BLOCKED")
        return cls(continue_processing=False, violation=_violation(violation), metadata=metadata)
    modified = None
    if reply.modified:
        payload_type = get_hook_registry().get_payload_type(hook)
        data = msgspec.to_builtins(reply.payload)
        modified = payload_type.model_validate(data) if payload_type is not None else data
    return cls(continue_processing=True, modified_payload=modified, metadata=metadata)


def failure_violation(code: str, message: str) -> PluginViolation:
    """The violation of a request blocked because hookwire gave no decision (fail closed)."""
    return PluginViolation(
        reason="hookwire gave no decision",
        description=message,
        code=code,
        details={},
        http_status_code=503,
    )
