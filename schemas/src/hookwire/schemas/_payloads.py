"""Per-hook payloads of the built-in hooks (field names follow cpex)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

EntityType = Literal["tool", "prompt", "resource", "agent", "virtual_server", "mcp_server"]
ENTITY_TYPES: tuple[str, ...] = (
    "tool",
    "prompt",
    "resource",
    "agent",
    "virtual_server",
    "mcp_server",
)


class _Payload(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every hook payload: immutable; plugins return a changed copy."""


class ToolPreInvokePayload(_Payload, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    args: dict[str, Any] = {}
    headers: dict[str, str] | None = None


class ToolPostInvokePayload(_Payload, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    result: Any = None


class PromptPrehookPayload(_Payload, frozen=True, kw_only=True, forbid_unknown_fields=True):
    prompt_id: str
    args: dict[str, str] = {}


class PromptPosthookPayload(_Payload, frozen=True, kw_only=True, forbid_unknown_fields=True):
    prompt_id: str
    result: Any = None


class ResourcePreFetchPayload(_Payload, frozen=True, kw_only=True, forbid_unknown_fields=True):
    uri: str
    metadata: dict[str, Any] = {}


class ResourcePostFetchPayload(_Payload, frozen=True, kw_only=True, forbid_unknown_fields=True):
    uri: str
    content: Any = None


class AgentPreInvokePayload(_Payload, frozen=True, kw_only=True, forbid_unknown_fields=True):
    agent_id: str
    messages: list[dict[str, Any]] = []
    tools: list[str] | None = None
    headers: dict[str, str] | None = None
    model: str | None = None
    system_prompt: str | None = None
    parameters: dict[str, Any] = {}


class AgentPostInvokePayload(_Payload, frozen=True, kw_only=True, forbid_unknown_fields=True):
    agent_id: str
    messages: list[dict[str, Any]] = []
    tool_calls: list[dict[str, Any]] | None = None


class HttpPreRequestPayload(_Payload, frozen=True, kw_only=True, forbid_unknown_fields=True):
    path: str
    method: str
    client_host: str | None = None
    client_port: int | None = None
    headers: dict[str, str] = {}


class HttpPostRequestPayload(_Payload, frozen=True, kw_only=True, forbid_unknown_fields=True):
    path: str
    method: str
    client_host: str | None = None
    client_port: int | None = None
    headers: dict[str, str] = {}
    response_headers: dict[str, str] | None = None
    status_code: int | None = None


class HttpAuthResolveUserPayload(_Payload, frozen=True, kw_only=True, forbid_unknown_fields=True):
    credentials: dict[str, Any] | None = None
    headers: dict[str, str] = {}
    client_host: str | None = None
    client_port: int | None = None


class HttpAuthCheckPermissionPayload(
    _Payload, frozen=True, kw_only=True, forbid_unknown_fields=True
):
    user_email: str
    permission: str
    resource_type: str | None = None
    team_id: str | None = None
    is_admin: bool = False
    auth_method: str | None = None
    client_host: str | None = None
    user_agent: str | None = None


#: The payload type of every built-in hook. Custom hooks carry a plain mapping.
HOOK_PAYLOADS: dict[str, type[_Payload]] = {
    "tool_pre_invoke": ToolPreInvokePayload,
    "tool_post_invoke": ToolPostInvokePayload,
    "prompt_pre_fetch": PromptPrehookPayload,
    "prompt_post_fetch": PromptPosthookPayload,
    "resource_pre_fetch": ResourcePreFetchPayload,
    "resource_post_fetch": ResourcePostFetchPayload,
    "agent_pre_invoke": AgentPreInvokePayload,
    "agent_post_invoke": AgentPostInvokePayload,
    "http_pre_request": HttpPreRequestPayload,
    "http_post_request": HttpPostRequestPayload,
    "http_auth_resolve_user": HttpAuthResolveUserPayload,
    "http_auth_check_permission": HttpAuthCheckPermissionPayload,
}

BUILTIN_HOOKS: tuple[str, ...] = tuple(HOOK_PAYLOADS)


def is_post_hook(hook: str) -> bool:
    """A hook whose name contains ``_post_`` is a post hook; every other is a pre hook."""
    return "_post_" in hook


def is_http_hook(hook: str) -> bool:
    """Events of ``http_*`` hooks carry no entity: they are HTTP-level events."""
    return hook.startswith("http_")
