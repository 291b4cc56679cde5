"""Pure building blocks of an event: its payload, its default entity, its reply's payload."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from hookwire.schemas import (
    HOOK_PAYLOADS,
    HOOK_RESULTS,
    Entity,
    EntityType,
    is_http_hook,
    raw_present,
)

from ._errors import InvalidPayload, InvalidReply

__all__ = [
    "ENTITY_NAME_FIELDS",
    "Payload",
    "decode_payload",
    "decode_result",
    "default_entity",
    "encode_payload",
    "entity_type_of",
    "normalize_payload",
]

#: What an event's payload may be: a payload Struct or a JSON object.
Payload = msgspec.Struct | Mapping[str, Any]

#: Per entity hook family: the entity type and the payload field that names the entity.
ENTITY_NAME_FIELDS: dict[str, tuple[EntityType, str]] = {
    "tool": ("tool", "name"),
    "prompt": ("prompt", "prompt_id"),
    "resource": ("resource", "uri"),
    "agent": ("agent", "agent_id"),
}

_ENCODER = msgspec.json.Encoder()
_DICT_DECODER = msgspec.json.Decoder(dict[str, Any])
_PAYLOAD_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    hook: msgspec.json.Decoder(payload_type) for hook, payload_type in HOOK_PAYLOADS.items()
}


def entity_type_of(hook: str) -> EntityType | None:
    """The entity type a built-in entity hook is about (``tool_pre_invoke`` -> ``tool``)."""
    if hook not in HOOK_PAYLOADS or is_http_hook(hook):
        return None
    family = ENTITY_NAME_FIELDS.get(hook.split("_", 1)[0])
    return None if family is None else family[0]


def normalize_payload(hook: str, payload: Payload) -> Any:
    """A built-in hook's payload as its payload Struct; a custom hook's as given.

    A mapping for a built-in hook is converted (and so checked) here, so a wrong
    field fails at once with msgspec's message instead of a round trip later.
    """
    payload_type = HOOK_PAYLOADS.get(hook)
    if payload_type is None:
        if isinstance(payload, msgspec.Struct | dict):
            return payload
        return dict(payload)
    if isinstance(payload, payload_type):
        return payload
    if isinstance(payload, msgspec.Struct):
        raise InvalidPayload(
            hook,
            f"expected {payload_type.__name__}, got {type(payload).__name__}",
        )
    try:
        return msgspec.convert(payload, payload_type)
    except msgspec.ValidationError as exc:
        raise InvalidPayload(hook, str(exc)) from exc


def encode_payload(payload: Any) -> bytes:
    """JSON of a (normalized) payload."""
    return _ENCODER.encode(payload)


def default_entity(
    hook: str,
    payload: Any,
    *,
    entity_id: str | None = None,
    tags: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
) -> Entity | None:
    """The entity a built-in entity hook's event is about, named from its payload.

    None for HTTP hooks and custom hooks: their events carry no entity unless given.
    """
    entity_type = entity_type_of(hook)
    if entity_type is None:
        return None
    field = ENTITY_NAME_FIELDS[entity_type][1]
    name = payload.get(field) if isinstance(payload, Mapping) else getattr(payload, field, None)
    if not isinstance(name, str):
        raise InvalidPayload(hook, f"no `{field}` to name the {entity_type} entity after")
    return Entity(
        type=entity_type,
        name=name,
        id=entity_id,
        tags=list(tags),
        metadata=dict(metadata or {}),
    )


def decode_payload(hook: str, raw: bytes | msgspec.Raw) -> Any:
    """A reply's payload: the hook's payload Struct when built in, else a dict."""
    decoder = _PAYLOAD_DECODERS.get(hook, _DICT_DECODER)
    try:
        return decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise InvalidReply(hook, f"payload: {exc}") from exc


_RESULT_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    hook: msgspec.json.Decoder(result_type) for hook, result_type in HOOK_RESULTS.items()
}
_ANY_DECODER = msgspec.json.Decoder()


def decode_result(hook: str, raw: msgspec.Raw) -> Any:
    """A reply's result: the hook's result Struct when it has one, else plain JSON; None
    when no plugin gave one."""
    if not raw_present(raw):
        return None
    try:
        return _RESULT_DECODERS.get(hook, _ANY_DECODER).decode(raw)
    except msgspec.DecodeError as exc:
        raise InvalidReply(hook, f"result: {exc}") from exc


def as_result_payload(hook: str, sent: Any) -> Any:
    """What a result's payload is when the reply carried none: the payload as sent."""
    if hook in HOOK_PAYLOADS or isinstance(sent, dict):
        return sent
    return msgspec.to_builtins(sent)
