"""Reading a gateway's event off the wire: everything that makes it malformed.

An event is refused with an ``error`` reply, never half-read: too deep, not UTF-8,
not the GatewayRequest schema, sent to another hook's subject, an unknown hook, a
payload that breaks the hook's schema, or an entity that disagrees with the hook
and payload. An entity hook event without an entity gets the one its payload names,
so routing follows what the plugins will see. Nothing unbounded is echoed back.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from itertools import accumulate
from typing import Any

import msgspec

from hookwire.router.pipeline._calls import NotUtf8, read_payload
from hookwire.router.routing._event import EventMismatch, complete_event
from hookwire.schemas import MAX_NESTING, MAX_REQUEST_ID_LENGTH, GatewayRequest, HookwireError

#: Longest piece of a sender's input quoted in an error message.
MAX_QUOTE = 64
#: Longest error message in a reply.
MAX_MESSAGE = 1024

_decode_event = msgspec.json.Decoder(GatewayRequest).decode
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = tuple(1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256))


class Rejected(HookwireError):
    """An event that gets an ``error`` reply with ``code`` (always malformed input)."""

    def __init__(self, code: str, message: str, request_id: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = clip(message, MAX_MESSAGE)
        self.request_id = request_id


class _RequestId(msgspec.Struct):
    """Reads only ``request_id`` from an event that does not fit the schema."""

    request_id: Any = None


_decode_request_id = msgspec.json.Decoder(_RequestId).decode


def clip(text: str, limit: int = MAX_QUOTE) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def quote(value: str) -> str:
    """A sender's string, quoted and bounded, for an error message."""
    return repr(clip(value))


def too_deep(data: bytes, limit: int = MAX_NESTING) -> bool:
    """Whether the JSON in ``data`` nests arrays and objects deeper than ``limit``.

    Cheap for almost every event: with no more than ``limit`` brackets it cannot be.
    Otherwise escapes and strings are cut out and the brackets counted, all in C loops.
    """
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    outside = b"".join(_ESCAPE.sub(b"", data).split(b'"')[::2])
    brackets = outside.translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit


def _request_id(data: bytes) -> str:
    """The event's request_id if it can be read and is not too long, else ""."""
    try:
        value = _decode_request_id(data).request_id
    except (msgspec.MsgspecError, ValueError, RecursionError):
        return ""
    if isinstance(value, str) and len(value) <= MAX_REQUEST_ID_LENGTH:
        return value
    return ""


def decode_event(data: bytes) -> GatewayRequest:
    """The GatewayRequest in ``data``, or ``Rejected`` (``malformed_event``)."""
    if too_deep(data):
        raise Rejected(
            "malformed_event",
            f"event nests arrays and objects deeper than {MAX_NESTING} levels",
            _request_id(data),
        )
    try:
        return _decode_event(data)
    except UnicodeDecodeError as exc:
        message = f"event is not valid UTF-8 (byte {exc.start})"
    except (msgspec.MsgspecError, ValueError) as exc:
        message = f"event does not fit the GatewayRequest schema: {exc}"
    raise Rejected("malformed_event", message, _request_id(data))


def check_event(
    event: GatewayRequest, subject_hook: str, known_hooks: Collection[str]
) -> GatewayRequest:
    """``event`` checked against its subject, hook and payload, its entity filled in.

    Raises ``Rejected`` with ``hook_mismatch``, ``unknown_hook``, ``invalid_payload``
    or ``malformed_event``.
    """
    rid = event.request_id
    if event.hook != subject_hook:
        raise Rejected(
            "hook_mismatch",
            f"event hook {quote(event.hook)} was sent to the subject of {quote(subject_hook)}",
            rid,
        )
    if event.hook not in known_hooks:
        raise Rejected(
            "unknown_hook",
            f"unknown hook {quote(event.hook)}: not built in nor declared by a plugin",
            rid,
        )
    try:
        payload = read_payload(event.hook, event.payload)
    except NotUtf8 as exc:
        raise Rejected("malformed_event", f"event is {exc}", rid) from None
    except ValueError as exc:
        raise Rejected(
            "invalid_payload", f"payload does not fit the {event.hook} schema: {exc}", rid
        ) from None
    try:
        return complete_event(event, payload)
    except EventMismatch as exc:
        raise Rejected("malformed_event", str(exc), rid) from None
