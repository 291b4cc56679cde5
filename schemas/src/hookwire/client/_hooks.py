"""One typed method per built-in hook: builds the payload (and entity) and invokes it."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, Unpack

from hookwire.schemas import (
    AgentPostInvokePayload,
    AgentPreInvokePayload,
    Entity,
    HttpAuthCheckPermissionPayload,
    HttpAuthResolveUserPayload,
    HttpPostRequestPayload,
    HttpPreRequestPayload,
    PromptPosthookPayload,
    PromptPrehookPayload,
    ResourcePostFetchPayload,
    ResourcePreFetchPayload,
    ToolPostInvokePayload,
    ToolPreInvokePayload,
)

from ._build import Payload, default_entity
from ._errors import InvalidPayload
from ._result import HookResult

__all__ = ["EntityOptions", "HookMethods", "InvokeOptions"]


def _dict(hook: str, field: str, value: Any, *, none: bool = False) -> Any:
    """``value`` as a dict for the payload's ``field``; InvalidPayload when it is no mapping."""
    if value is None:
        return None if none else {}
    if not isinstance(value, Mapping):
        raise InvalidPayload(
            hook, f"`{field}` must be a mapping (a dict), got {type(value).__name__}: {value!r:.60}"
        )
    return dict(value)


class InvokeOptions(TypedDict, total=False):
    """The request context every event may carry, and its budget."""

    request_id: str | None
    server_name: str | None
    server_id: str | None
    gateway_id: str | None
    user: str | None
    tenant_id: str | None
    agent: str | None
    #: Sent instead of the state the pre reply left (rarely needed: that one is sent).
    state: Mapping[str, Any] | None
    #: The event's budget in seconds (default: the client's).
    timeout: float | None


class EntityOptions(InvokeOptions, total=False):
    """For entity hooks: the entity itself, or what to add to the default one."""

    entity: Entity | None
    entity_id: str | None
    tags: Sequence[str] | None
    entity_metadata: Mapping[str, Any] | None


class HookMethods(abc.ABC):
    """``client.tool_pre_invoke(name, args)`` and friends, on top of ``invoke``."""

    __slots__ = ()

    @abc.abstractmethod
    async def invoke(
        self,
        hook: str,
        payload: Payload,
        *,
        entity: Entity | None = None,
        **options: Unpack[InvokeOptions],
    ) -> HookResult[Any]:
        """Send one hook event and return the router's decision."""

    async def _entity_event(
        self, hook: str, payload: Payload, options: EntityOptions
    ) -> HookResult[Any]:
        entity = options.pop("entity", None)
        entity_id = options.pop("entity_id", None)
        tags = options.pop("tags", None)
        metadata = options.pop("entity_metadata", None)
        if entity is None:
            entity = default_entity(
                hook, payload, entity_id=entity_id, tags=tags or (), metadata=metadata
            )
        elif entity_id is not None or tags or metadata:
            raise TypeError(f"{hook}: pass entity= or entity_id=/tags=/entity_metadata=, not both")
        rest: InvokeOptions = options
        return await self.invoke(hook, payload, entity=entity, **rest)

    # -- tools ---------------------------------------------------------------

    async def tool_pre_invoke(
        self,
        name: str,
        args: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        **options: Unpack[EntityOptions],
    ) -> HookResult[ToolPreInvokePayload]:
        """Before a tool runs: plugins may block it or rewrite ``args``."""
        payload = ToolPreInvokePayload(
            name=name,
            args=_dict("tool_pre_invoke", "args", args),
            headers=_dict("tool_pre_invoke", "headers", headers, none=True),
        )
        return await self._entity_event("tool_pre_invoke", payload, options)

    async def tool_post_invoke(
        self, name: str, result: Any = None, **options: Unpack[EntityOptions]
    ) -> HookResult[ToolPostInvokePayload]:
        """After a tool ran: plugins may block or rewrite its ``result``."""
        payload = ToolPostInvokePayload(name=name, result=result)
        return await self._entity_event("tool_post_invoke", payload, options)

    # -- prompts -------------------------------------------------------------

    async def prompt_pre_fetch(
        self,
        prompt_id: str,
        args: Mapping[str, str] | None = None,
        **options: Unpack[EntityOptions],
    ) -> HookResult[PromptPrehookPayload]:
        """Before a prompt is rendered."""
        payload = PromptPrehookPayload(
            prompt_id=prompt_id, args=_dict("prompt_pre_fetch", "args", args)
        )
        return await self._entity_event("prompt_pre_fetch", payload, options)

    async def prompt_post_fetch(
        self, prompt_id: str, result: Any = None, **options: Unpack[EntityOptions]
    ) -> HookResult[PromptPosthookPayload]:
        """After a prompt was rendered."""
        payload = PromptPosthookPayload(prompt_id=prompt_id, result=result)
        return await self._entity_event("prompt_post_fetch", payload, options)

    # -- resources -----------------------------------------------------------

    async def resource_pre_fetch(
        self,
        uri: str,
        metadata: Mapping[str, Any] | None = None,
        **options: Unpack[EntityOptions],
    ) -> HookResult[ResourcePreFetchPayload]:
        """Before a resource is read."""
        payload = ResourcePreFetchPayload(
            uri=uri, metadata=_dict("resource_pre_fetch", "metadata", metadata)
        )
        return await self._entity_event("resource_pre_fetch", payload, options)

    async def resource_post_fetch(
        self, uri: str, content: Any = None, **options: Unpack[EntityOptions]
    ) -> HookResult[ResourcePostFetchPayload]:
        """After a resource was read."""
        payload = ResourcePostFetchPayload(uri=uri, content=content)
        return await self._entity_event("resource_post_fetch", payload, options)

    # -- agents --------------------------------------------------------------

    async def agent_pre_invoke(
        self,
        agent_id: str,
        messages: Sequence[Mapping[str, Any]] = (),
        *,
        tools: Sequence[str] | None = None,
        headers: Mapping[str, str] | None = None,
        model: str | None = None,
        system_prompt: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[EntityOptions],
    ) -> HookResult[AgentPreInvokePayload]:
        """Before an agent is called."""
        payload = AgentPreInvokePayload(
            agent_id=agent_id,
            messages=[_dict("agent_pre_invoke", "messages", m) for m in messages],
            tools=None if tools is None else list(tools),
            headers=_dict("agent_pre_invoke", "headers", headers, none=True),
            model=model,
            system_prompt=system_prompt,
            parameters=_dict("agent_pre_invoke", "parameters", parameters),
        )
        return await self._entity_event("agent_pre_invoke", payload, options)

    async def agent_post_invoke(
        self,
        agent_id: str,
        messages: Sequence[Mapping[str, Any]] = (),
        *,
        tool_calls: Sequence[Mapping[str, Any]] | None = None,
        **options: Unpack[EntityOptions],
    ) -> HookResult[AgentPostInvokePayload]:
        """After an agent answered."""
        payload = AgentPostInvokePayload(
            agent_id=agent_id,
            messages=[_dict("agent_post_invoke", "messages", m) for m in messages],
            tool_calls=None
            if tool_calls is None
            else [_dict("agent_post_invoke", "tool_calls", c) for c in tool_calls],
        )
        return await self._entity_event("agent_post_invoke", payload, options)

    # -- HTTP (no entity) ----------------------------------------------------

    async def http_pre_request(
        self,
        path: str,
        method: str,
        *,
        headers: Mapping[str, str] | None = None,
        client_host: str | None = None,
        client_port: int | None = None,
        **options: Unpack[InvokeOptions],
    ) -> HookResult[HttpPreRequestPayload]:
        """Before the gateway handles an HTTP request."""
        payload = HttpPreRequestPayload(
            path=path,
            method=method,
            headers=_dict("http_pre_request", "headers", headers),
            client_host=client_host,
            client_port=client_port,
        )
        return await self.invoke("http_pre_request", payload, **options)

    async def http_post_request(
        self,
        path: str,
        method: str,
        *,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
        response_headers: Mapping[str, str] | None = None,
        client_host: str | None = None,
        client_port: int | None = None,
        **options: Unpack[InvokeOptions],
    ) -> HookResult[HttpPostRequestPayload]:
        """After the gateway answered an HTTP request."""
        payload = HttpPostRequestPayload(
            path=path,
            method=method,
            status_code=status_code,
            headers=_dict("http_post_request", "headers", headers),
            response_headers=_dict(
                "http_post_request", "response_headers", response_headers, none=True
            ),
            client_host=client_host,
            client_port=client_port,
        )
        return await self.invoke("http_post_request", payload, **options)

    async def http_auth_resolve_user(
        self,
        *,
        credentials: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        client_host: str | None = None,
        client_port: int | None = None,
        **options: Unpack[InvokeOptions],
    ) -> HookResult[HttpAuthResolveUserPayload]:
        """Who is calling: plugins may resolve the user from credentials or headers."""
        payload = HttpAuthResolveUserPayload(
            credentials=_dict("http_auth_resolve_user", "credentials", credentials, none=True),
            headers=_dict("http_auth_resolve_user", "headers", headers),
            client_host=client_host,
            client_port=client_port,
        )
        return await self.invoke("http_auth_resolve_user", payload, **options)

    async def http_auth_check_permission(
        self,
        user_email: str,
        permission: str,
        *,
        resource_type: str | None = None,
        team_id: str | None = None,
        is_admin: bool = False,
        auth_method: str | None = None,
        client_host: str | None = None,
        user_agent: str | None = None,
        **options: Unpack[InvokeOptions],
    ) -> HookResult[HttpAuthCheckPermissionPayload]:
        """May this user do this: plugins may grant or deny a permission."""
        payload = HttpAuthCheckPermissionPayload(
            user_email=user_email,
            permission=permission,
            resource_type=resource_type,
            team_id=team_id,
            is_admin=is_admin,
            auth_method=auth_method,
            client_host=client_host,
            user_agent=user_agent,
        )
        return await self.invoke("http_auth_check_permission", payload, **options)
