"""The messages on NATS: gateway <-> router and router <-> worker.

Every message carries ``"type": "hookwire.v1.<message>"`` (always encoded; a
receiver accepts it missing). Schema evolution (schemas/json/README.md): new
fields get defaults and are appended; a field's type never changes; the ``v1``
in the type changes only for a breaking change.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from ._payloads import EntityType

WIRE_VERSION = 1

#: Longest hook name an event may carry (a longer one is a malformed event).
MAX_HOOK_LENGTH = 128
#: Longest ``request_id`` an event may carry (a longer one is a malformed event).
MAX_REQUEST_ID_LENGTH = 256
#: Deepest nesting of arrays and objects in an event, the event object being level 1.
MAX_NESTING = 128
#: Most warnings one plugin reply may carry (``Continue(warnings=...)``); the worker keeps
#: the first ones and a longer worker reply is unreadable (the plugin's error).
MAX_PLUGIN_WARNINGS = 8
#: Longest warning a plugin reply may carry, in characters (the worker cuts longer ones).
MAX_WARNING_LENGTH = 512

HookName = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_HOOK_LENGTH)]
RequestId = Annotated[str, msgspec.Meta(max_length=MAX_REQUEST_ID_LENGTH)]
Seconds = Annotated[float, msgspec.Meta(gt=0)]
WarningText = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_WARNING_LENGTH)]

Decision = Literal["allow", "block", "error"]
ExecutionStatus = Literal["completed", "blocked", "error", "timeout", "skipped", "disabled"]


class _Wire(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Base of every part of a wire message."""


def _tag(name: str) -> str:
    return f"hookwire.v{WIRE_VERSION}.{name}"


#: "No payload" in a Raw field: encodes as JSON null whether omitted or not.
NO_PAYLOAD = msgspec.Raw(b"null")


def raw_present(raw: msgspec.Raw) -> bool:
    """Whether a payload field holds a value (empty or JSON ``null`` means absent)."""
    n = len(raw)
    return n > 0 and not (n == 4 and bytes(raw) == b"null")


class Entity(_Wire, frozen=True, kw_only=True):
    """What an entity hook event is about: a tool, prompt, resource, agent ..."""

    type: EntityType
    name: str
    id: str | None = None
    tags: list[str] = []
    metadata: dict[str, Any] = {}


class Violation(_Wire, frozen=True, kw_only=True):
    """Why a plugin blocked an event (cpex's PluginViolation)."""

    reason: str
    description: str = ""
    code: str = ""
    details: dict[str, Any] = {}
    plugin_name: str = ""
    http_status_code: int | None = None
    http_headers: dict[str, str] | None = None


class RequestContext(_Wire, frozen=True, kw_only=True):
    """What a plugin may know about the request beyond its payload."""

    request_id: str = ""
    hook: str = ""
    entity: Entity | None = None
    server_name: str | None = None
    server_id: str | None = None
    gateway_id: str | None = None
    user: str | None = None
    tenant_id: str | None = None
    agent: str | None = None


class GatewayRequest(
    _Wire, frozen=True, kw_only=True, tag_field="type", tag=_tag("gateway_request")
):
    """A hook event, published by a gateway to ``hookwire.hook.<hook>``.

    ``payload`` is the hook's payload (see ``payloads/<hook>.json``); ``state`` is
    what the matching pre reply returned, sent back with the post event;
    ``timeout`` is the whole event's budget in seconds (> 0; the router's
    ``event_timeout`` caps it).
    """

    hook: HookName
    request_id: RequestId = ""
    entity: Entity | None = None
    server_name: str | None = None
    server_id: str | None = None
    gateway_id: str | None = None
    user: str | None = None
    tenant_id: str | None = None
    agent: str | None = None
    payload: msgspec.Raw = msgspec.Raw(b"{}")
    state: dict[str, Any] = {}
    timeout: Seconds | None = None


class PluginWarning(_Wire, frozen=True, kw_only=True):
    """A violation or error that did not stop the event.

    A plugin's own warning (``Continue(warnings=...)``) is a ``violation`` whose
    ``violation.code`` is ``plugin_warning`` and whose ``reason`` is the warning's text.
    """

    plugin: str
    instance: str
    kind: Literal["violation", "error"]
    message: str
    violation: Violation | None = None


class ExecutionRecord(_Wire, frozen=True, kw_only=True):
    """What happened to one plugin instance for one event."""

    plugin: str
    instance: str
    mode: str
    status: ExecutionStatus
    duration_ms: float = 0.0
    payload_modified: bool = False
    error: str | None = None


class ErrorInfo(_Wire, frozen=True, kw_only=True):
    """Why an event got an ``error`` decision."""

    code: str
    message: str


class GatewayReply(_Wire, frozen=True, kw_only=True, tag_field="type", tag=_tag("gateway_reply")):
    """The router's answer to a hook event.

    ``result`` is the hook's result (``results/<hook>.json``), null when no plugin gave
    one; ``decided_by`` names the plugins that gave a result or blocked, in the order
    they ran, so "allowed because nothing decided" is told apart from "granted";
    ``metadata`` is each plugin's ``metadata``, by plugin name.
    """

    request_id: str = ""
    decision: Decision
    payload: msgspec.Raw = NO_PAYLOAD
    modified: bool = False
    violation: Violation | None = None
    warnings: list[PluginWarning] = []
    state: dict[str, Any] = {}
    trace: list[ExecutionRecord] = []
    error: ErrorInfo | None = None
    result: msgspec.Raw = NO_PAYLOAD
    decided_by: list[str] = []
    metadata: dict[str, dict[str, Any]] = {}


class WorkerRequest(_Wire, frozen=True, kw_only=True, tag_field="type", tag=_tag("worker_request")):
    """The router's call to one plugin instance on ``hookwire.plugin.<plugin>.<hook>``.

    ``config`` is the instance's effective config (JSON object); a worker decodes
    it once per instance id. ``timeout`` is the time left (seconds) for this call:
    a worker does not start work that can no longer be used.
    """

    instance: str
    plugin: str
    hook: str
    payload: msgspec.Raw
    config: msgspec.Raw = msgspec.Raw(b"{}")
    context: RequestContext = RequestContext()
    state: dict[str, Any] = {}
    timeout: float | None = None


class WorkerReply(_Wire, frozen=True, kw_only=True, tag_field="type", tag=_tag("worker_reply")):
    """A plugin instance's answer (cpex's PluginResult, plus ``error`` and ``result``).

    ``result`` is the hook's result (``results/<hook>.json``), given with
    ``Continue(result=...)``; null when the plugin gives none. ``warnings`` are short
    reasons given with ``Continue(warnings=...)``: at most ``MAX_PLUGIN_WARNINGS`` of at
    most ``MAX_WARNING_LENGTH`` characters; the router lists them in the gateway reply.
    """

    continue_processing: bool = True
    modified_payload: msgspec.Raw = NO_PAYLOAD
    violation: Violation | None = None
    state: dict[str, Any] | None = None
    metadata: dict[str, Any] = {}
    error: str | None = None
    result: msgspec.Raw = NO_PAYLOAD
    warnings: Annotated[list[WarningText], msgspec.Meta(max_length=MAX_PLUGIN_WARNINGS)] = []
