"""What a hook event maps to in Cedar: principal, action, resource, context, entities.

- principal ``User::"<user>"`` (``anonymous`` without one), attribute ``tenant_id``;
- action ``Action::"<hook>"``;
- resource ``Tool::"<name>"``, ``Prompt::``, ``Resource::``, ``Agent::``,
  ``VirtualServer::`` or ``McpServer::`` after the event's entity, with attributes
  ``tags`` (a set of strings) and ``metadata`` (a record);
- context: the hook's arguments (``context.path`` is the argument ``path``).

``http_auth_check_permission`` has no entity: the principal is ``User::"<user_email>"``
(attributes ``tenant_id`` = ``team_id``, ``is_admin``, ``auth_method``), the resource
``Permission::"<permission>"`` (attribute ``resource_type`` when given) and the context
the payload's other fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hookwire.schemas import (
    AgentPreInvokePayload,
    HttpAuthCheckPermissionPayload,
    PromptPrehookPayload,
    RequestContext,
    ResourcePreFetchPayload,
    ToolPreInvokePayload,
)

from ._values import record, to_cedar

ANONYMOUS = "anonymous"
#: The Cedar entity type of each hookwire entity type.
RESOURCE_TYPES = {
    "tool": "Tool",
    "prompt": "Prompt",
    "resource": "Resource",
    "agent": "Agent",
    "virtual_server": "VirtualServer",
    "mcp_server": "McpServer",
}


@dataclass(frozen=True, slots=True)
class CedarRequest:
    """One authorization question, ready for ``cedarpy.is_authorized``."""

    principal: dict[str, str]
    action: dict[str, str]
    resource: dict[str, str]
    context: dict[str, Any]
    entities: list[dict[str, Any]]

    def as_request(self) -> dict[str, Any]:
        return {
            "principal": self.principal,
            "action": self.action,
            "resource": self.resource,
            "context": self.context,
        }

    def describe(self) -> str:
        def uid(e: dict[str, str]) -> str:
            return f'{e["type"]}::"{e["id"]}"'

        return f"{uid(self.principal)} {uid(self.action)} {uid(self.resource)}"


def _entity(kind: str, ident: str, attrs: dict[str, Any]) -> dict[str, Any]:
    return {"uid": {"type": kind, "id": ident}, "attrs": record(attrs), "parents": []}


def _target(payload: Any, req: RequestContext, hook: str) -> tuple[str, str]:
    """(Cedar type, id) of the resource: the event's entity, else the payload's name."""
    if req.entity is not None:
        return RESOURCE_TYPES.get(req.entity.type, "Entity"), req.entity.name
    if isinstance(payload, ToolPreInvokePayload):
        return "Tool", payload.name
    if isinstance(payload, PromptPrehookPayload):
        return "Prompt", payload.prompt_id
    if isinstance(payload, ResourcePreFetchPayload):
        return "Resource", payload.uri
    if isinstance(payload, AgentPreInvokePayload):
        return "Agent", payload.agent_id
    return "Entity", hook


def _args(payload: Any) -> dict[str, Any]:
    if isinstance(payload, ToolPreInvokePayload | PromptPrehookPayload):
        return dict(payload.args)
    if isinstance(payload, ResourcePreFetchPayload):
        return {"uri": payload.uri, **payload.metadata}
    if isinstance(payload, AgentPreInvokePayload):
        return {"model": payload.model, "tools": payload.tools, **payload.parameters}
    if isinstance(payload, dict):
        return payload
    return {}


def entity_request(payload: Any, req: RequestContext, hook: str) -> CedarRequest:
    """The Cedar request of an entity hook event."""
    user = (req.user or "").strip() or ANONYMOUS
    kind, name = _target(payload, req, hook)
    entity = req.entity
    tags = list(entity.tags) if entity else []
    metadata = dict(entity.metadata) if entity else {}
    principal = _entity("User", user, {"tenant_id": req.tenant_id})
    resource = _entity(kind, name, {"tags": tags, "metadata": metadata})
    return CedarRequest(
        principal=principal["uid"],
        action={"type": "Action", "id": hook},
        resource=resource["uid"],
        context=record(_args(payload)),
        entities=[principal, resource],
    )


def permission_request(payload: HttpAuthCheckPermissionPayload, hook: str) -> CedarRequest:
    """The Cedar request of ``http_auth_check_permission``."""
    principal = _entity(
        "User",
        payload.user_email.strip() or ANONYMOUS,
        {
            "tenant_id": payload.team_id,
            "is_admin": payload.is_admin,
            "auth_method": payload.auth_method,
        },
    )
    resource = _entity("Permission", payload.permission, {"resource_type": payload.resource_type})
    context = {
        "permission": payload.permission,
        "resource_type": payload.resource_type,
        "team_id": payload.team_id,
        "is_admin": payload.is_admin,
        "auth_method": payload.auth_method,
        "client_host": payload.client_host,
        "user_agent": payload.user_agent,
    }
    return CedarRequest(
        principal=principal["uid"],
        action={"type": "Action", "id": hook},
        resource=resource["uid"],
        context={k: v for k, v in ((k, to_cedar(v)) for k, v in context.items()) if v is not None},
        entities=[principal, resource],
    )
