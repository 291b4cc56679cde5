"""Bad events get clear error replies and the router keeps serving; payload size; state."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from _nats import NatsServer

from hookwire import client as hw
from hookwire.schemas import Entity

from ._kit import Deploy, event_bytes, plug, rec, started_tags, statuses

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]

TOOL = Entity(type="tool", name="lookup")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"{not json", "malformed"),
        (b'{"request_id": "r1", "payload": {}}', "missing required field `hook`"),
        (b'{"hook": "tool_pre_invoke", "timeout": "soon"}', "$.timeout"),
    ],
    ids=["not-json", "no-hook", "wrong-type"],
)
async def test_malformed_event_gets_a_malformed_event_error_naming_the_problem(
    deploy: Deploy, data: bytes, problem: str
) -> None:
    dep = await deploy([plug("echo_upper")])

    reply = await dep.raw("tool_pre_invoke", data)

    assert reply.decision == "error"
    assert reply.error is not None
    assert reply.error.code == "malformed_event"
    assert problem in reply.error.message


async def test_router_keeps_serving_after_malformed_events(deploy: Deploy) -> None:
    dep = await deploy([plug("echo_upper")])

    for data in (b"{not json", b"\xff\xfe", b"[]", b""):
        await dep.raw("tool_pre_invoke", data)
    result = await dep.tool(args={"q": "x"})

    assert result.decision == "allow"
    assert result.payload.args == {"q": "X"}
    assert dep.router.counts["malformed"] == 4


async def test_payload_breaking_the_hook_schema_gets_an_invalid_payload_error(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy([rec("never", log)])

    data = event_bytes("tool_pre_invoke", {"name": 5, "args": {}}, entity=TOOL)
    reply = await dep.raw("tool_pre_invoke", data)

    assert reply.decision == "error"
    assert reply.error is not None
    assert reply.error.code == "invalid_payload"
    assert "Expected `str`, got `int` - at `$.name`" in reply.error.message
    assert started_tags(log) == []


async def test_unknown_hook_gets_an_unknown_hook_error(deploy: Deploy) -> None:
    dep = await deploy([plug("echo_upper")])

    reply = await dep.raw("no_such_hook", event_bytes("no_such_hook", {}))

    assert reply.decision == "error"
    assert reply.error is not None
    assert reply.error.code == "unknown_hook"
    assert "no_such_hook" in reply.error.message


async def test_event_sent_to_another_hooks_subject_gets_a_hook_mismatch_error(
    deploy: Deploy,
) -> None:
    dep = await deploy([plug("echo_upper")])

    data = event_bytes("tool_post_invoke", {"name": "lookup"}, entity=TOOL)
    reply = await dep.raw("tool_pre_invoke", data)

    assert reply.decision == "error"
    assert reply.error is not None
    assert reply.error.code == "hook_mismatch"
    assert "tool_post_invoke" in reply.error.message


async def test_modified_payload_breaking_the_schema_blocks_as_the_plugins_error(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy([rec("breaker", log, break_schema=True), rec("later", log)])

    result = await dep.tool()

    assert result.decision == "block"
    assert result.violation is not None
    assert (result.violation.plugin_name, result.violation.code) == ("recorder", "plugin_error")
    assert "breaks the tool_pre_invoke schema" in result.violation.description
    assert started_tags(log) == ["breaker"]


async def test_modified_payload_breaking_the_schema_is_dropped_under_on_error_ignore(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy(
        [rec("breaker", log, break_schema=True, on_error="ignore"), rec("later", log)]
    )

    result = await dep.tool("lookup", {"q": "x"})

    assert result.decision == "allow"
    assert result.modified is False
    assert (result.payload.name, result.payload.args) == ("lookup", {"q": "x"})
    assert [w.kind for w in result.warnings] == ["error"]
    assert "breaks the tool_pre_invoke schema" in result.warnings[0].message
    assert statuses(result)[dep.ids[0]] == "error"
    assert started_tags(log) == ["breaker", "later"]


async def test_event_over_the_servers_max_payload_raises_payload_too_large(
    nats_server: NatsServer,
) -> None:
    async with await hw.connect(nats_server.url, timeout=5) as client:
        limit = client.nc.max_payload
        with pytest.raises(hw.PayloadTooLarge, match="over the NATS server's max_payload") as exc:
            await client.tool_pre_invoke("upload", {"blob": "x" * limit})

    assert exc.value.limit == limit
    assert exc.value.size > limit


async def test_post_hook_gets_the_pre_hooks_state_back_through_the_client(
    deploy: Deploy,
) -> None:
    dep = await deploy([plug("stateful")])
    rid = uuid.uuid4().hex

    pre = await dep.client.tool_pre_invoke("search", {"q": "docs"}, request_id=rid, user="ann")
    post = await dep.client.tool_post_invoke("search", {"hits": 3}, request_id=rid)

    assert pre.state == {dep.ids[0]: {"pre_saw": "search", "user": "ann"}}
    assert post.decision == "allow"
    assert post.payload.result == {
        "original": {"hits": 3},
        "state": {"pre_saw": "search", "user": "ann"},
    }
    assert len(dep.client.states) == 0
