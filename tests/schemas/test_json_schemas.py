"""The committed JSON Schema files are current and accept what the Structs encode."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from jsonschema import Draft202012Validator

from hookwire.schemas import (
    HOOK_PAYLOADS,
    AgentPostInvokePayload,
    AgentPreInvokePayload,
    Entity,
    ErrorInfo,
    ExecutionRecord,
    GatewayReply,
    GatewayRequest,
    GetReply,
    HttpAuthCheckPermissionPayload,
    HttpAuthResolveUserPayload,
    HttpPostRequestPayload,
    HttpPreRequestPayload,
    ListReply,
    LiveState,
    MicroStats,
    PluginSummary,
    PluginWarning,
    PoolsStatus,
    PoolStatus,
    PromptPosthookPayload,
    PromptPrehookPayload,
    RequestContext,
    ResourcePostFetchPayload,
    ResourcePreFetchPayload,
    RouteCacheInfo,
    RouterStats,
    SearchRequest,
    ToolPostInvokePayload,
    ToolPreInvokePayload,
    Violation,
    WorkerReply,
    WorkerRequest,
    WorkerStats,
)
from hookwire.schemas.export import REGENERATE, export_schemas, main

JSON_DIR = Path(__file__).resolve().parents[2] / "schemas" / "json"

PAYLOAD_EXAMPLES: dict[str, msgspec.Struct] = {
    "tool_pre_invoke": ToolPreInvokePayload(
        name="get_weather", args={"city": "Paris"}, headers={"x-trace": "1"}
    ),
    "tool_post_invoke": ToolPostInvokePayload(name="get_weather", result={"temp_c": 21}),
    "prompt_pre_fetch": PromptPrehookPayload(prompt_id="greeting", args={"name": "Ada"}),
    "prompt_post_fetch": PromptPosthookPayload(prompt_id="greeting", result=["Hello Ada"]),
    "resource_pre_fetch": ResourcePreFetchPayload(uri="file:///etc/motd", metadata={"n": 1}),
    "resource_post_fetch": ResourcePostFetchPayload(uri="file:///etc/motd", content="hi"),
    "agent_pre_invoke": AgentPreInvokePayload(
        agent_id="helper",
        messages=[{"role": "user", "content": "hi"}],
        tools=["search"],
        model="m-1",
        parameters={"temperature": 0.2},
    ),
    "agent_post_invoke": AgentPostInvokePayload(
        agent_id="helper", tool_calls=[{"name": "search", "args": {"q": "x"}}]
    ),
    "http_pre_request": HttpPreRequestPayload(
        path="/tools", method="GET", client_host="10.0.0.1", client_port=5123
    ),
    "http_post_request": HttpPostRequestPayload(
        path="/tools", method="GET", response_headers={"x-a": "b"}, status_code=200
    ),
    "http_auth_resolve_user": HttpAuthResolveUserPayload(
        credentials={"scheme": "bearer", "token": "t"}, headers={"authorization": "Bearer t"}
    ),
    "http_auth_check_permission": HttpAuthCheckPermissionPayload(
        user_email="ada@example.com", permission="tools.read", is_admin=True
    ),
}


def load(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((JSON_DIR / name).read_bytes())
    return schema


def errors(name: str, document: Any) -> list[str]:
    """The schema ``name``'s complaints about ``document`` (empty when it is valid)."""
    return [e.message for e in Draft202012Validator(load(name)).iter_errors(document)]


def encoded(message: msgspec.Struct) -> Any:
    """``message`` as it travels on NATS, read back as plain JSON data."""
    return json.loads(msgspec.json.encode(message))


def test_committed_schema_files_match_the_structs() -> None:
    committed = {
        p.relative_to(JSON_DIR).as_posix(): p.read_bytes() for p in JSON_DIR.rglob("*.json")
    }
    assert committed == export_schemas(), f"schemas/json is stale; run: {REGENERATE}"


@pytest.mark.parametrize("name", sorted(export_schemas()))
def test_schema_file_is_a_valid_2020_12_schema(name: str) -> None:
    Draft202012Validator.check_schema(load(name))


def test_check_reports_stale_missing_and_extra_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path)]) == 0
    (tmp_path / "gateway-reply.json").write_text("{}\n")
    (tmp_path / "payloads" / "tool_pre_invoke.json").unlink()
    (tmp_path / "payloads" / "gone_hook.json").write_text("{}\n")
    capsys.readouterr()

    status = main(["--check", str(tmp_path)])

    err = capsys.readouterr().err
    assert status == 1
    assert "stale:   gateway-reply.json" in err
    assert "missing: payloads/tool_pre_invoke.json" in err
    assert "extra:   payloads/gone_hook.json" in err
    assert REGENERATE in err


def test_writing_makes_a_stale_folder_current(tmp_path: Path) -> None:
    main([str(tmp_path)])
    (tmp_path / "worker-reply.json").write_text("{}\n")
    (tmp_path / "payloads" / "gone_hook.json").write_text("{}\n")

    main([str(tmp_path)])

    assert main(["--check", str(tmp_path)]) == 0


def test_every_hook_payload_has_an_example() -> None:
    assert set(PAYLOAD_EXAMPLES) == set(HOOK_PAYLOADS)


@pytest.mark.parametrize("hook", sorted(PAYLOAD_EXAMPLES))
def test_payload_schema_accepts_the_encoded_example(hook: str) -> None:
    assert errors(f"payloads/{hook}.json", encoded(PAYLOAD_EXAMPLES[hook])) == []


def test_gateway_request_schema_accepts_an_event_with_an_entity() -> None:
    request = GatewayRequest(
        hook="tool_pre_invoke",
        request_id="r-1",
        entity=Entity(type="tool", name="get_weather", id="t-9", tags=["pii"], metadata={"a": 1}),
        server_name="weather",
        user="ada@example.com",
        payload=msgspec.Raw(msgspec.json.encode(PAYLOAD_EXAMPLES["tool_pre_invoke"])),
        state={"plugin": {"k": "v"}},
        timeout=2.5,
    )

    assert errors("gateway-request.json", encoded(request)) == []


def test_gateway_reply_schema_accepts_a_block_with_violation_and_trace() -> None:
    violation = Violation(
        reason="PII found",
        code="PII",
        details={"field": "args.ssn"},
        plugin_name="pii_filter",
        http_status_code=403,
        http_headers={"x-blocked-by": "pii_filter"},
    )
    reply = GatewayReply(
        request_id="r-1",
        decision="block",
        violation=violation,
        warnings=[PluginWarning(plugin="rate", instance="rate#1", kind="error", message="timeout")],
        trace=[
            ExecutionRecord(
                plugin="pii_filter", instance="pii#1", mode="sequential", status="blocked"
            ),
            ExecutionRecord(
                plugin="rate", instance="rate#1", mode="transform", status="timeout", error="t"
            ),
        ],
    )

    assert errors("gateway-reply.json", encoded(reply)) == []


def test_worker_request_schema_accepts_a_call_with_context() -> None:
    request = WorkerRequest(
        instance="pii#1",
        plugin="pii_filter",
        hook="tool_pre_invoke",
        payload=msgspec.Raw(msgspec.json.encode(PAYLOAD_EXAMPLES["tool_pre_invoke"])),
        config={"mask": True},
        context=RequestContext(request_id="r-1", hook="tool_pre_invoke", user="ada"),
        timeout=0.5,
    )

    assert errors("worker-request.json", encoded(request)) == []


def test_worker_reply_schema_accepts_a_modified_payload() -> None:
    reply = WorkerReply(
        modified_payload=msgspec.Raw(b'{"name": "get_weather", "args": {}}'),
        state={"seen": 1},
    )

    assert errors("worker-reply.json", encoded(reply)) == []


def test_payload_with_a_wrong_type_is_rejected_by_msgspec_and_the_schema() -> None:
    bad = {"name": 42, "args": {}}

    with pytest.raises(msgspec.ValidationError, match=r"Expected `str`, got `int`") as caught:
        msgspec.json.decode(json.dumps(bad), type=ToolPreInvokePayload)

    assert "$.name" in str(caught.value)
    assert errors("payloads/tool_pre_invoke.json", bad) == ["42 is not of type 'string'"]


def test_payload_with_an_unknown_field_is_rejected_by_msgspec_and_the_schema() -> None:
    bad = {"name": "get_weather", "argz": {}}

    with pytest.raises(msgspec.ValidationError, match="unknown field `argz`"):
        msgspec.json.decode(json.dumps(bad), type=ToolPreInvokePayload)

    assert len(errors("payloads/tool_pre_invoke.json", bad)) == 1


def test_message_with_an_unknown_field_is_accepted_by_msgspec_and_the_schema() -> None:
    newer = {"type": "hookwire.v1.gateway_request", "hook": "tool_pre_invoke", "added_later": True}

    decoded = msgspec.json.decode(json.dumps(newer), type=GatewayRequest)

    assert decoded.hook == "tool_pre_invoke"
    assert errors("gateway-request.json", newer) == []


def test_reply_with_an_unknown_decision_is_rejected_by_msgspec_and_the_schema() -> None:
    bad = {"decision": "maybe"}

    with pytest.raises(msgspec.ValidationError, match=r"Invalid enum value 'maybe'"):
        msgspec.json.decode(json.dumps(bad), type=GatewayReply)

    assert len(errors("gateway-reply.json", bad)) == 1


SERVICE_EXAMPLES: dict[str, msgspec.Struct] = {
    "status/router-stats.json": RouterStats(
        events={"allow": 2, "block": 1},
        config="hookwire.yaml",
        rules=3,
        cache=RouteCacheInfo(size=1, maxsize=10, hits=2, misses=1),
        disabled_instances=["pii-1"],
        live=LiveState(following=True, revision=4, older_in_flight=1),
    ),
    "status/worker-stats.json": WorkerStats(instances=1, errors={"plugin": 1, "timeout": 0}),
    "status/pools-status.json": PoolsStatus(
        pools=[PoolStatus(plugin="pii", workers=2, alive=1, restarts=1, pids=[12], python="p")]
    ),
    "registry/search-request.json": SearchRequest(query="mask pii", limit=3),
    "registry/list-reply.json": ListReply(
        plugins=[
            PluginSummary(
                name="pii",
                version="1.0",
                description="masks",
                maturity="beta",
                capabilities=["pii"],
                hooks=["tool_pre_invoke"],
            )
        ]
    ),
    "registry/get-reply.json": GetReply(error=ErrorInfo(code="not_found", message="no such")),
}


@pytest.mark.parametrize("name", sorted(SERVICE_EXAMPLES))
def test_service_json_schema_accepts_the_encoded_example(name: str) -> None:
    """Stats, pool status and registry messages are exported like the other wire types."""
    assert errors(name, encoded(SERVICE_EXAMPLES[name])) == []


def test_router_stats_read_back_from_a_micro_stats_answer() -> None:
    stats = SERVICE_EXAMPLES["status/router-stats.json"]
    answer = {
        "type": "io.nats.micro.v1.stats_response",
        "name": "hookwire-router",
        "id": "abc",
        "endpoints": [{"name": "events", "num_requests": 3, "data": encoded(stats)}],
    }

    decoded = msgspec.json.decode(json.dumps(answer), type=MicroStats)

    assert (decoded.id, decoded.num_requests) == ("abc", 3)
    assert decoded.endpoint_data(RouterStats) == stats
