"""cedar_policy's own tests: policy sources and positions, the request mapping, decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cedar_policy import CedarPolicy
from cedar_policy._request import entity_request, permission_request
from cedar_policy._source import CedarConfigError, split_policies
from cedar_policy._values import to_cedar

from hookwire.schemas import (
    AgentPreInvokePayload,
    Entity,
    HttpAuthCheckPermissionPayload,
    HttpAuthCheckPermissionResultPayload,
    PromptPrehookPayload,
    RequestContext,
    ResourcePreFetchPayload,
    ToolPreInvokePayload,
)
from hookwire.workers import Block, Context, Continue

POLICIES = """
// readers may use tools tagged safe
@id("safe-tools")
permit(principal, action == Action::"tool_pre_invoke", resource is Tool)
  when { resource.tags.contains("safe") };

@id("no-etc")
forbid(principal, action, resource)
  when { context has path && context.path like "/etc/*" };

@id("acme-prompts")
permit(principal, action == Action::"prompt_pre_fetch", resource)
  when { principal has tenant_id && principal.tenant_id == "acme" };

@id("grant-read")
permit(principal, action == Action::"http_auth_check_permission",
       resource == Permission::"tools.read");
"""


def ctx(hook: str = "tool_pre_invoke", entity: Entity | None = None, **fields: Any) -> Context:
    request = RequestContext(request_id="r", hook=hook, entity=entity, **fields)
    return Context(request=request, config={}, state={}, instance="i", hook=hook)


def tool_entity(name: str = "read_file", tags: list[str] | None = None, **meta: Any) -> Entity:
    return Entity(type="tool", name=name, tags=tags or [], metadata=meta)


@pytest.fixture
def plugin() -> CedarPolicy:
    return CedarPolicy({"policies": POLICIES})


# -- decisions ---------------------------------------------------------------------------


async def test_a_permitted_tool_call_goes_on(plugin: CedarPolicy) -> None:
    payload = ToolPreInvokePayload(name="read_file", args={"path": "/tmp/x"})
    assert await plugin.tool_pre_invoke(payload, ctx(entity=tool_entity(tags=["safe"]))) is None


async def test_a_forbid_blocks_with_its_policy_id(plugin: CedarPolicy) -> None:
    payload = ToolPreInvokePayload(name="read_file", args={"path": "/etc/passwd"})
    block = await plugin.tool_pre_invoke(
        payload, ctx(entity=tool_entity(tags=["safe"]), user="bob")
    )
    assert isinstance(block, Block)
    assert (block.code, block.http_status_code) == ("CEDAR_DENY", 403)
    assert block.details is not None
    assert block.details["policies"] == ["no-etc"]
    assert block.details["decision"] == "Deny"
    assert block.details["principal"] == {"type": "User", "id": "bob"}
    assert 'User::"bob" Action::"tool_pre_invoke" Tool::"read_file"' in block.reason
    assert "forbidden by policy no-etc" in block.reason


async def test_nothing_permits_an_untagged_tool(plugin: CedarPolicy) -> None:
    payload = ToolPreInvokePayload(name="rm", args={})
    block = await plugin.tool_pre_invoke(payload, ctx(entity=tool_entity("rm")))
    assert isinstance(block, Block) and block.details is not None
    assert block.details["policies"] == [] and block.description == "no policy permits it"


async def test_principal_tenant_decides_prompts(plugin: CedarPolicy) -> None:
    payload = PromptPrehookPayload(prompt_id="summary")
    entity = Entity(type="prompt", name="summary")
    ok = await plugin.prompt_pre_fetch(payload, ctx("prompt_pre_fetch", entity, tenant_id="acme"))
    assert ok is None
    other = await plugin.prompt_pre_fetch(payload, ctx("prompt_pre_fetch", entity, tenant_id="x"))
    assert isinstance(other, Block)


async def test_resource_metadata_is_an_attribute() -> None:
    policy = (
        "permit(principal, action, resource is Resource) "
        'when { resource.metadata.owner == "alice" };'
    )
    plugin = CedarPolicy({"policies": policy})
    entity = Entity(type="resource", name="file:///a", metadata={"owner": "alice"})
    payload = ResourcePreFetchPayload(uri="file:///a")
    assert await plugin.resource_pre_fetch(payload, ctx("resource_pre_fetch", entity)) is None
    entity = Entity(type="resource", name="file:///a", metadata={"owner": "eve"})
    assert isinstance(
        await plugin.resource_pre_fetch(payload, ctx("resource_pre_fetch", entity)), Block
    )


async def test_agents_are_resources_too() -> None:
    plugin = CedarPolicy({"policies": 'permit(principal, action, resource == Agent::"helper");'})
    payload = AgentPreInvokePayload(agent_id="helper", model="m1", parameters={"t": 0.5})
    assert await plugin.agent_pre_invoke(payload, ctx("agent_pre_invoke")) is None
    other = AgentPreInvokePayload(agent_id="root")
    assert isinstance(await plugin.agent_pre_invoke(other, ctx("agent_pre_invoke")), Block)


async def test_the_permission_hook_grants_or_denies_with_a_reason(plugin: CedarPolicy) -> None:
    read = HttpAuthCheckPermissionPayload(user_email="a@x.io", permission="tools.read")
    grant = await plugin.http_auth_check_permission(read, ctx("http_auth_check_permission"))
    assert isinstance(grant, Continue)
    assert grant.metadata == {"cedar": {"decision": "allow", "policies": ["grant-read"]}}
    assert grant.result == HttpAuthCheckPermissionResultPayload(
        granted=True, reason="permitted by policy grant-read"
    )
    write = HttpAuthCheckPermissionPayload(user_email="a@x.io", permission="tools.write")
    deny = await plugin.http_auth_check_permission(write, ctx("http_auth_check_permission"))
    assert isinstance(deny, Block) and "no policy permits it" in deny.reason
    assert deny.details is not None
    assert deny.details["resource"] == {"type": "Permission", "id": "tools.write"}


async def test_no_policies_deny_everything() -> None:
    plugin = CedarPolicy({})
    block = await plugin.tool_pre_invoke(ToolPreInvokePayload(name="t"), ctx())
    assert isinstance(block, Block)


async def test_evaluation_errors_deny_and_are_reported() -> None:
    plugin = CedarPolicy(
        {"policies": "permit(principal, action, resource) when { context.n + 1 > 0 };"}
    )
    block = await plugin.tool_pre_invoke(ToolPreInvokePayload(name="t", args={"n": "x"}), ctx())
    assert isinstance(block, Block) and block.details is not None
    assert block.details["errors"] and "could not decide" in block.reason


async def test_crafted_args_cannot_pose_as_entities() -> None:
    plugin = CedarPolicy(
        {"policies": 'permit(principal, action, resource) when { context.who == User::"admin" };'}
    )
    forged = {"who": {"__entity": {"type": "User", "id": "admin"}}}
    payload = ToolPreInvokePayload(name="t", args=forged)
    assert isinstance(await plugin.tool_pre_invoke(payload, ctx()), Block)


# -- sources and positions ---------------------------------------------------------------


def test_an_invalid_policy_is_reported_with_its_position() -> None:
    text = (
        "permit(principal, action, resource);\n\n"
        '@id("bad")\nforbid(principal, action, resource)\n  when { context.path like };\n'
    )
    with pytest.raises(
        CedarConfigError,
        match=r'policies:3:1: policy 2 \(@id "bad"\) does not parse: unexpected token',
    ):
        CedarPolicy({"policies": text})


def test_a_policy_file_is_read_after_the_inline_policies(tmp_path: Path) -> None:
    path = tmp_path / "p.cedar"
    path.write_text('permit(principal, action, resource)\n  when { context.x == "y" }\n')
    with pytest.raises(CedarConfigError, match=rf"{path}:1:1: policy 1 does not parse"):
        CedarPolicy({"policy_file": str(path)})
    path.write_text('permit(principal, action, resource == Tool::"t");')
    plugin = CedarPolicy(
        {"policy_file": str(path), "policies": 'forbid(principal, action, resource == Tool::"u");'}
    )
    assert plugin.policy_count == 2


def test_a_missing_policy_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(CedarConfigError, match="policy_file: cannot read"):
        CedarPolicy({"policy_file": str(tmp_path / "absent.cedar")})


def test_policies_must_be_text() -> None:
    with pytest.raises(CedarConfigError, match="policies: expected"):
        CedarPolicy({"policies": ["permit"]})


def test_deny_status_must_be_an_error_status() -> None:
    with pytest.raises(CedarConfigError, match="deny_status"):
        CedarPolicy({"deny_status": 200})


SCHEMA = """
entity User = { tenant_id?: String };
entity Tool = { tags: Set<String>, metadata: {} };
action "tool_pre_invoke" appliesTo { principal: User, resource: Tool, context: { path?: String } };
"""


def test_policies_are_validated_against_the_schema() -> None:
    bad = (
        '@id("typo")\npermit(principal, action == Action::"tool_pre_invoke", resource)\n'
        '  when { principal.tenant == "a" };'
    )
    with pytest.raises(CedarConfigError, match=r'policies:1:1: @id "typo": .*tenant'):
        CedarPolicy({"policies": bad, "schema": SCHEMA})
    CedarPolicy(
        {
            "policies": 'permit(principal, action == Action::"tool_pre_invoke", resource);',
            "schema": SCHEMA,
        }
    )


async def test_a_schema_also_checks_requests() -> None:
    plugin = CedarPolicy(
        {
            "policies": 'permit(principal, action == Action::"tool_pre_invoke", resource);',
            "schema": SCHEMA,
        }
    )
    good = ToolPreInvokePayload(name="t", args={"path": "/a"})
    assert await plugin.tool_pre_invoke(good, ctx(entity=tool_entity("t"))) is None
    bad = ToolPreInvokePayload(name="t", args={"path": 3})
    assert isinstance(await plugin.tool_pre_invoke(bad, ctx(entity=tool_entity("t"))), Block)


@pytest.mark.parametrize("schema", ["entity User = {", '{"": {"entityTypes": 3}}'])
def test_a_bad_schema_is_a_config_error(schema: str) -> None:
    with pytest.raises(CedarConfigError, match="schema:"):
        CedarPolicy({"schema": schema})


def test_splitting_respects_strings_and_comments() -> None:
    text = (
        'permit(principal, action, resource) when { context.s == "a;b\\"c" };  // x;y\n'
        "// only a comment;\nforbid(principal, action, resource);\ntrailing"
    )
    chunks = split_policies(text)
    assert [c.line for c in chunks] == [1, 3, 4]
    assert chunks[0].text.endswith("};")
    assert chunks[2].text == "trailing"


# -- mapping -----------------------------------------------------------------------------


def test_a_tool_event_maps_to_user_action_tool_and_args() -> None:
    entity = tool_entity("search", ["safe", "web"], owner="x", extra=None)
    req = entity_request(
        ToolPreInvokePayload(name="search", args={"q": "cats", "n": 2}),
        RequestContext(hook="tool_pre_invoke", user="alice", tenant_id="acme", entity=entity),
        "tool_pre_invoke",
    )
    assert req.as_request() == {
        "principal": {"type": "User", "id": "alice"},
        "action": {"type": "Action", "id": "tool_pre_invoke"},
        "resource": {"type": "Tool", "id": "search"},
        "context": {"q": "cats", "n": 2},
    }
    assert req.entities[0]["attrs"] == {"tenant_id": "acme"}
    assert req.entities[1]["attrs"] == {"tags": ["safe", "web"], "metadata": {"owner": "x"}}


@pytest.mark.parametrize(
    ("payload", "resource"),
    [
        (ToolPreInvokePayload(name="t"), {"type": "Tool", "id": "t"}),
        (PromptPrehookPayload(prompt_id="p"), {"type": "Prompt", "id": "p"}),
        (ResourcePreFetchPayload(uri="u://x"), {"type": "Resource", "id": "u://x"}),
        (AgentPreInvokePayload(agent_id="a"), {"type": "Agent", "id": "a"}),
        ({"custom": 1}, {"type": "Entity", "id": "my_hook"}),
    ],
)
def test_without_an_entity_the_payload_names_the_resource(payload: Any, resource: Any) -> None:
    req = entity_request(payload, RequestContext(hook="my_hook"), "my_hook")
    assert req.resource == resource
    assert req.principal == {"type": "User", "id": "anonymous"}


def test_other_entity_types_keep_their_names() -> None:
    entity = Entity(type="virtual_server", name="vs1")
    req = entity_request(ToolPreInvokePayload(name="t"), RequestContext(entity=entity), "h")
    assert req.resource == {"type": "VirtualServer", "id": "vs1"}


def test_the_permission_hook_maps_the_user_and_permission() -> None:
    payload = HttpAuthCheckPermissionPayload(
        user_email="a@x.io", permission="tools.read", team_id="t1", is_admin=True
    )
    req = permission_request(payload, "http_auth_check_permission")
    assert req.principal == {"type": "User", "id": "a@x.io"}
    assert req.entities[0]["attrs"] == {"tenant_id": "t1", "is_admin": True}
    assert req.context == {"permission": "tools.read", "team_id": "t1", "is_admin": True}


@pytest.mark.parametrize(
    ("value", "cedar"),
    [
        (None, None),
        (1.5, "1.5"),
        (2**70, str(2**70)),
        ([1, None, "a"], [1, "a"]),
        ({"a": None, "__extn": {"fn": "ip"}, "b": (1, 2)}, {"b": [1, 2]}),
        (b"x", "b'x'"),
        (True, True),
    ],
)
def test_json_values_become_cedar_values(value: Any, cedar: Any) -> None:
    assert to_cedar(value) == cedar
