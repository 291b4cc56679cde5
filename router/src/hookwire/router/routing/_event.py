"""What the rule engine reads from an event: its static key and its ``when`` names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from hookwire.router.routing._rules import StaticKey
from hookwire.router.routing._when import base_names
from hookwire.schemas import HOOK_PAYLOADS, Entity, GatewayRequest, HookwireError, is_http_hook

_decode = msgspec.json.Decoder()


#: Per built-in entity hook family: the entity type, and the payload field that names it.
ENTITY_FIELDS: dict[str, tuple[str, str]] = {
    "tool": ("tool", "name"),
    "prompt": ("prompt", "prompt_id"),
    "resource": ("resource", "uri"),
    "agent": ("agent", "agent_id"),
}


class EventMismatch(HookwireError, ValueError):
    """An event whose entity does not fit its hook or payload (a malformed event)."""


def complete_event(event: GatewayRequest, payload: Any) -> GatewayRequest:
    """``event`` with the entity its hook and payload name (docs/routing.md, Events).

    ``payload`` is the event's payload, decoded (its Struct, or a mapping). An entity
    hook event without an entity gets one (``tool`` named ``payload.name``, and so
    on); an entity whose type does not fit the hook, or whose name disagrees with
    the payload's, raises ``EventMismatch``, and so does an entity on an HTTP-level
    event: routing must follow what the plugins will see. Custom hooks are left as sent.
    """
    hook, entity = event.hook, event.entity
    if hook not in HOOK_PAYLOADS:
        return event
    if is_http_hook(hook):
        if entity is not None:
            raise EventMismatch(f"{hook} events are HTTP-level and carry no entity")
        return event
    entity_type, field = ENTITY_FIELDS[hook.split("_", 1)[0]]
    if isinstance(payload, Mapping):
        name = payload.get(field)
    else:
        name = getattr(payload, field, None)
    if not isinstance(name, str):
        raise EventMismatch(f"payload.{field} must be a string naming the {entity_type}")
    if entity is None:
        return msgspec.structs.replace(event, entity=Entity(type=entity_type, name=name))  # type: ignore[arg-type]
    if entity.type != entity_type:
        raise EventMismatch(
            f"entity.type {entity.type!r} does not fit hook {hook}: it must be {entity_type!r}"
        )
    if entity.name != name:
        raise EventMismatch(
            f"entity.name {_quote(entity.name)} disagrees with payload.{field} {_quote(name)}"
            ": routing must follow what the plugins will see"
        )
    return event


def _quote(value: str, limit: int = 64) -> str:
    """A sender's string, quoted and cut to ``limit`` characters."""
    return repr(value if len(value) <= limit else f"{value[:limit]}... ({len(value)} characters)")


def static_key(event: GatewayRequest) -> StaticKey:
    """The part of an event that decides everything but ``when``."""
    entity = event.entity
    if entity is None:
        return (event.hook, None, None, (), event.server_name, event.server_id, event.gateway_id)
    tags = tuple(sorted(set(entity.tags))) if entity.tags else ()
    return (
        event.hook,
        entity.type,
        entity.name,
        tags,
        event.server_name,
        event.server_id,
        event.gateway_id,
    )


def payload_mapping(event: GatewayRequest) -> Any:
    """The event's payload decoded to plain data ({} when it does not decode)."""
    raw: Any = event.payload
    if isinstance(raw, Mapping):
        return raw
    try:
        return _decode.decode(raw)
    except msgspec.DecodeError:
        return {}


def _entity(event: GatewayRequest) -> dict[str, Any] | None:
    e = event.entity
    if e is None:
        return None
    return {
        "name": e.name,
        "type": e.type,
        "id": e.id,
        "tags": list(e.tags),
        "metadata": e.metadata,
    }


def _args(payload: Any) -> Any:
    args = payload.get("args") if isinstance(payload, Mapping) else None
    return args if isinstance(args, Mapping) else {}


#: How to read each name from an event (entity names are None/empty for HTTP-level events).
_READERS: dict[str, Callable[[GatewayRequest], Any]] = {
    "hook": lambda ev: ev.hook,
    "server_name": lambda ev: ev.server_name,
    "server_id": lambda ev: ev.server_id,
    "gateway_id": lambda ev: ev.gateway_id,
    "user": lambda ev: ev.user,
    "tenant_id": lambda ev: ev.tenant_id,
    "agent": lambda ev: ev.agent,
    "name": lambda ev: ev.entity.name if ev.entity else None,
    "entity_type": lambda ev: ev.entity.type if ev.entity else None,
    "entity_id": lambda ev: ev.entity.id if ev.entity else None,
    "tags": lambda ev: list(ev.entity.tags) if ev.entity else [],
    "metadata": lambda ev: ev.entity.metadata if ev.entity else {},
    "entity": _entity,
}
ALL_NAMES = frozenset({*_READERS, "payload", "args"})


def event_names(event: GatewayRequest, needed: frozenset[str] = ALL_NAMES) -> dict[str, Any]:
    """The names a ``when`` expression reads for ``event`` (docs/routing.md, `when` expressions).

    Only ``needed`` are built: the payload is decoded only when ``payload`` or
    ``args`` is read.
    """
    names = base_names()
    for name in needed:
        reader = _READERS.get(name)
        if reader is not None:
            names[name] = reader(event)
    if "payload" in needed:
        payload = payload_mapping(event)
        names["payload"] = payload
        names["args"] = _args(payload)
    elif "args" in needed:
        names["args"] = _args_only(event)
    return names


class _ArgsOnly(msgspec.Struct):
    """Decodes a payload's ``args`` and skips the rest (a large result costs nothing)."""

    args: Any = None


_decode_args = msgspec.json.Decoder(_ArgsOnly).decode


def _args_only(event: GatewayRequest) -> Any:
    raw: Any = event.payload
    if isinstance(raw, Mapping):
        return _args(raw)
    try:
        args = _decode_args(raw).args
    except msgspec.MsgspecError:
        return {}
    return args if isinstance(args, Mapping) else {}
