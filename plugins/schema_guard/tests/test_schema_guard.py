"""schema_guard: where schemas come from, every failing path listed, bad schemas refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from schema_guard import BadSchema, SchemaCache, SchemaGuard, compile_schema, failures

from hookwire.schemas import Entity, RequestContext, ToolPostInvokePayload, ToolPreInvokePayload
from hookwire.workers import Block, Context, load_plugin

PLUGIN_DIR = Path(__file__).resolve().parents[1]
INPUT = {
    "type": "object",
    "required": ["to", "amount"],
    "additionalProperties": False,
    "properties": {
        "to": {"type": "string", "minLength": 3},
        "amount": {"type": "number", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}
OUTPUT = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}
CONFIG = {"tools": {"pay": {"input_schema": INPUT, "output_schema": OUTPUT}}}


def make_ctx(tool: str = "pay", metadata: dict[str, Any] | None = None) -> Context:
    entity = Entity(type="tool", name=tool, metadata=metadata or {})
    request = RequestContext(request_id="req-1", hook="tool_pre_invoke", entity=entity)
    return Context(request=request, config={}, state={}, instance="sg-1", hook="tool_pre_invoke")


async def pre(args: dict[str, Any], config: dict[str, Any] = CONFIG, **ctx: Any) -> Any:
    payload = ToolPreInvokePayload(name=ctx.get("tool", "pay"), args=args)
    return await SchemaGuard(config).tool_pre_invoke(payload, make_ctx(**ctx))


def test_manifest_entry_loads_and_implements_every_hook() -> None:
    assert load_plugin(PLUGIN_DIR).cls is SchemaGuard


async def test_valid_args_pass() -> None:
    assert await pre({"to": "bob", "amount": 5, "tags": ["a"]}) is None


async def test_every_failing_path_is_listed() -> None:
    result = await pre({"to": "b", "amount": -1, "tags": ["a", 2], "extra": True})
    assert isinstance(result, Block)
    assert result.code == "schema_violation"
    assert result.details is not None
    assert result.details["error_count"] == 4
    assert result.details["schema_source"] == "config"
    assert [(e["path"], e["keyword"]) for e in result.details["errors"]] == [
        ("$", "additionalProperties"),
        ("$.amount", "minimum"),
        ("$.tags[1]", "type"),
        ("$.to", "minLength"),
    ]
    assert result.reason.startswith("tool 'pay': args failed input_schema validation with 4 errors")
    assert "$.tags[1]: value is not of type 'string'" in result.reason


async def test_values_stay_out_of_messages_unless_asked() -> None:
    hidden = await pre({"to": "b@", "amount": 1})
    shown = await pre({"to": "b@", "amount": 1}, {**CONFIG, "include_values": True})
    assert isinstance(hidden, Block) and isinstance(shown, Block)
    assert "b@" not in hidden.reason and "'b@' is too short" in shown.reason


async def test_max_errors_caps_the_list_but_counts_them_all() -> None:
    result = await pre({"amount": "x", "tags": [1, 2, 3]}, {**CONFIG, "max_errors": 2})
    assert isinstance(result, Block)
    assert result.details is not None
    assert (len(result.details["errors"]), result.details["error_count"]) == (2, 5)
    assert result.reason.endswith("(and 3 more)")


async def test_result_is_checked_against_the_output_schema() -> None:
    guard = SchemaGuard(CONFIG)
    bad = await guard.tool_post_invoke(
        ToolPostInvokePayload(name="pay", result={"id": "x"}), make_ctx()
    )
    assert isinstance(bad, Block)
    assert bad.details is not None and bad.details["field"] == "result"
    good = await guard.tool_post_invoke(
        ToolPostInvokePayload(name="pay", result={"id": 7}), make_ctx()
    )
    assert good is None


async def test_results_are_not_checked_with_validate_results_off() -> None:
    guard = SchemaGuard({**CONFIG, "validate_results": False})
    payload = ToolPostInvokePayload(name="pay", result={"id": "x"})
    assert await guard.tool_post_invoke(payload, make_ctx()) is None


async def test_schema_from_entity_metadata_is_used_and_cached() -> None:
    guard = SchemaGuard({})
    ctx = make_ctx("send", {"input_schema": INPUT})
    bad = await guard.tool_pre_invoke(ToolPreInvokePayload(name="send", args={"to": 1}), ctx)
    assert isinstance(bad, Block)
    assert bad.details is not None and bad.details["schema_source"] == "entity"
    ok = ToolPreInvokePayload(name="send", args={"to": "bob", "amount": 1})
    assert await guard.tool_pre_invoke(ok, ctx) is None
    assert len(guard.cache) == 1


async def test_config_schema_wins_over_entity_metadata() -> None:
    result = await pre({"to": "bob", "amount": 1}, metadata={"input_schema": False})
    assert result is None


async def test_entity_metadata_is_ignored_when_switched_off() -> None:
    config = {"use_entity_metadata": False}
    assert await pre({"x": 1}, config, tool="send", metadata={"input_schema": False}) is None


async def test_a_tool_without_a_schema_passes_by_default_or_blocks_when_asked() -> None:
    assert await pre({"x": 1}, {}, tool="other") is None
    result = await pre({"x": 1}, {"missing_schema": "block"}, tool="other")
    assert isinstance(result, Block)
    assert result.code == "schema_missing"


async def test_a_malformed_schema_in_the_event_blocks_as_schema_invalid() -> None:
    result = await pre({"x": 1}, {}, tool="send", metadata={"input_schema": {"type": 12}})
    assert isinstance(result, Block)
    assert result.code == "schema_invalid"
    assert "entity.metadata.input_schema is not a valid JSON Schema at $.type" in result.reason


async def test_a_remote_ref_is_never_fetched_and_blocks() -> None:
    schema = {"$ref": "https://example.invalid/schema.json"}
    result = await pre({"x": 1}, {}, tool="send", metadata={"input_schema": schema})
    assert isinstance(result, Block)
    assert result.code == "schema_invalid"
    assert "cannot be resolved" in result.reason


async def test_formats_are_asserted_only_when_asked() -> None:
    schema = {"type": "object", "properties": {"at": {"type": "string", "format": "date"}}}
    config = {"tools": {"t": {"input_schema": schema}}}
    assert await pre({"at": "soon"}, config, tool="t") is None
    result = await pre({"at": "soon"}, {**config, "check_formats": True}, tool="t")
    assert isinstance(result, Block)


def test_a_draft7_schema_is_read_as_draft7() -> None:
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "string"}]}
    found, total = failures(compile_schema(schema, "s"), [1], 10)
    assert total == 1 and found[0].path == "$[0]"


@pytest.mark.parametrize(
    "config,message",
    [
        (
            {"tools": {"t": {"input_schema": {"type": "nope"}}}},
            r"tools.t.input_schema is not a valid JSON Schema at \$.type",
        ),
        ({"tools": {"t": {"output_schema": []}}}, r"tools.t.output_schema must be a JSON Schema"),
        ({"tools": {"t": "x"}}, r"tools.t must be a mapping"),
        ({"missing_schema": "warn"}, r"missing_schema must be one of"),
    ],
)
def test_bad_config_is_refused_naming_the_key(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SchemaGuard(config)


def test_bad_schema_is_a_value_error() -> None:
    assert issubclass(BadSchema, ValueError)


def test_the_cache_drops_the_least_recently_used() -> None:
    cache = SchemaCache(size=2, formats=False)
    a, b, c = ({"const": n} for n in range(3))
    first = cache.get(a, "a")
    cache.get(b, "b")
    assert cache.get(a, "a") is first  # a is now the most recent
    cache.get(c, "c")  # drops b
    assert len(cache) == 2
    assert cache.get(a, "a") is first
