"""The cedar_policy plugin: authorizes each event with Cedar policies (cedarpy)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cedarpy
import msgspec
import structlog

from hookwire.schemas import (
    HttpAuthCheckPermissionPayload,
    HttpAuthCheckPermissionResultPayload,
)
from hookwire.workers import Block, Context, Continue, Plugin

from ._request import CedarRequest, entity_request, permission_request
from ._source import (
    CedarConfigError,
    parse_policies,
    parse_schema,
    read_policies,
    split_policies,
    validate,
)

log = structlog.get_logger("hookwire.plugins.cedar_policy")

DENY_CODE = "CEDAR_DENY"
_encode = msgspec.json.Encoder().encode


class CedarPolicy(Plugin):
    """Allows an event when Cedar permits it and no policy forbids it; blocks otherwise.

    The policies (and the schema) are parsed and checked once, when the instance is
    made: an invalid policy fails the instance with its position.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        inline = config.get("policies") or ""
        if not isinstance(inline, str):
            raise CedarConfigError("policies: expected Cedar policy text (a string)")
        text, source = read_policies(inline, config.get("policy_file"))
        self.policies = parse_policies(text, source)
        self.policy_count = len(split_policies(text))
        schema_text = config.get("schema")
        self.schema = parse_schema(schema_text) if schema_text else None
        if self.schema is not None:
            validate(text, self.schema, source)
        self.deny_status = int(config.get("deny_status", 403))
        if not 400 <= self.deny_status <= 599:
            raise CedarConfigError(f"deny_status: {self.deny_status} is not an HTTP error status")
        if not self.policy_count:
            log.warning("cedar_policy.no_policies", detail="Cedar denies every request")

    def decide(self, request: CedarRequest) -> cedarpy.AuthzResult:
        """Cedar's answer to one request."""
        entities = _encode(request.entities).decode()  # a string parses faster than a list
        return cedarpy.is_authorized(
            request.as_request(), self.policies, entities, schema=self.schema
        )

    async def _entity_hook(self, payload: Any, ctx: Context) -> Block | None:
        request = entity_request(payload, ctx.request, ctx.hook)
        result = self.decide(request)
        if result.allowed:
            return None
        return self._deny(request, result)

    tool_pre_invoke = _entity_hook
    prompt_pre_fetch = _entity_hook
    resource_pre_fetch = _entity_hook
    agent_pre_invoke = _entity_hook

    async def http_auth_check_permission(
        self, payload: HttpAuthCheckPermissionPayload, ctx: Context
    ) -> Block | Continue:
        """A deny blocks with the reason (failing closed for a gateway that reads only the
        decision); a grant answers the hook's result ``granted: true``, naming the
        permitting policies, which are also in metadata."""
        request = permission_request(payload, ctx.hook)
        result = self.decide(request)
        if not result.allowed:
            return self._deny(request, result)
        policies = _policy_ids(result)
        reason = f"permitted by policy {', '.join(policies)}" if policies else "permitted"
        return Continue(
            metadata={"cedar": {"decision": "allow", "policies": policies}},
            result=HttpAuthCheckPermissionResultPayload(granted=True, reason=reason),
        )

    def _deny(self, request: CedarRequest, result: cedarpy.AuthzResult) -> Block:
        policies = _policy_ids(result)
        errors = list(result.diagnostics.errors)
        if errors:
            why = f"Cedar could not decide ({errors[0]}); denied"
        elif policies:
            why = f"forbidden by policy {', '.join(policies)}"
        else:
            why = "no policy permits it"
        return Block(
            f"Cedar policy denied {request.describe()}: {why}",
            code=DENY_CODE,
            description=why,
            details={
                "decision": result.decision.name,
                "policies": policies,
                "errors": errors,
                "principal": request.principal,
                "action": request.action,
                "resource": request.resource,
            },
            http_status_code=self.deny_status,
        )


def _policy_ids(result: cedarpy.AuthzResult) -> list[str]:
    """The determining policies, by their ``@id`` where they have one."""
    names = result.diagnostics.id_annotations_by_reason
    return [names.get(pid) or pid for pid in result.diagnostics.reasons]
