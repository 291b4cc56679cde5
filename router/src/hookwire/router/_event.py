"""What the rule engine reads from an event: its static key and its ``when`` names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from hookwire.schemas import GatewayRequest

from ._rules import StaticKey
from ._when import base_names

_decode = msgspec.json.Decoder()


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


def event_names(event: GatewayRequest) -> dict[str, Any]:
    """The names a ``when`` expression reads for ``event`` (ROUTING.md section 7)."""
    payload = payload_mapping(event)
    args = payload.get("args") if isinstance(payload, Mapping) else None
    entity = event.entity
    names = base_names()
    names.update(
        hook=event.hook,
        server_name=event.server_name,
        server_id=event.server_id,
        gateway_id=event.gateway_id,
        user=event.user,
        tenant_id=event.tenant_id,
        agent=event.agent,
        payload=payload,
        args=args if isinstance(args, Mapping) else {},
    )
    if entity is None:
        names.update(name=None, entity_type=None, entity_id=None, tags=[], metadata={}, entity=None)
    else:
        names.update(
            name=entity.name,
            entity_type=entity.type,
            entity_id=entity.id,
            tags=list(entity.tags),
            metadata=entity.metadata,
            entity={
                "name": entity.name,
                "type": entity.type,
                "id": entity.id,
                "tags": list(entity.tags),
                "metadata": entity.metadata,
            },
        )
    return names
