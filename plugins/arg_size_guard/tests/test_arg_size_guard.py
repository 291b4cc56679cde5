"""arg_size_guard: each limit blocks past its value, passes at it, and says where."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from arg_size_guard import ArgSizeGuard

from hookwire.schemas import AgentPreInvokePayload, RequestContext, ToolPreInvokePayload
from hookwire.workers import Block, Context, load_plugin

PLUGIN_DIR = Path(__file__).resolve().parents[1]


def make_ctx(hook: str = "tool_pre_invoke") -> Context:
    """The one Context helper of these tests."""
    request = RequestContext(request_id="req-1", hook=hook)
    return Context(request=request, config={}, state={}, instance="size-1", hook=hook)


async def check(args: dict[str, Any], **config: Any) -> Block | None:
    payload = ToolPreInvokePayload(name="t", args=args)
    return await ArgSizeGuard(config).tool_pre_invoke(payload, make_ctx())


def json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def test_manifest_entry_loads_and_implements_every_hook() -> None:
    assert load_plugin(PLUGIN_DIR).cls is ArgSizeGuard


async def test_small_args_pass_with_defaults() -> None:
    assert await check({"q": "hello", "n": [1, 2, {"deep": True}]}) is None


async def test_json_size_over_max_bytes_blocks_with_details() -> None:
    args = {"blob": "x" * 100}
    result = await check(args, max_bytes=50)
    assert isinstance(result, Block)
    assert result.code == "args_too_large"
    assert result.http_status_code == 413
    size = json_size(args)
    assert result.details == {"check": "max_bytes", "limit": 50, "actual": size, "path": "args"}
    assert result.reason == f"args is {size} bytes as JSON, over the limit of 50 (max_bytes)"


async def test_json_size_counts_utf8_bytes() -> None:
    args = {"s": "é" * 10}  # 10 characters, 20 bytes
    assert await check(args, max_bytes=json_size(args)) is None
    assert isinstance(await check(args, max_bytes=json_size(args) - 1), Block)


async def test_long_string_blocks_with_its_path() -> None:
    result = await check({"a": ["ok", "y" * 11]}, max_string_length=10)
    assert isinstance(result, Block)
    assert result.details == {
        "check": "max_string_length",
        "limit": 10,
        "actual": 11,
        "path": "args.a[1]",
    }


async def test_string_of_exactly_the_limit_passes() -> None:
    assert await check({"a": "y" * 10}, max_string_length=10) is None


async def test_string_length_counts_characters_not_bytes() -> None:
    assert await check({"a": "é" * 10}, max_string_length=10) is None


async def test_nesting_past_max_depth_blocks_at_the_first_level_too_deep() -> None:
    # args is level 1, a 2, b 3, c 4
    result = await check({"a": {"b": {"c": {"d": 1}}}}, max_depth=3)
    assert isinstance(result, Block)
    assert result.details == {"check": "max_depth", "limit": 3, "actual": 4, "path": "args.a.b.c"}


async def test_max_depth_actual_is_the_full_depth_below() -> None:
    result = await check({"a": {"b": {"c": {"d": {"e": {}}}}}}, max_depth=3)
    assert isinstance(result, Block)
    assert result.details is not None
    assert result.details["actual"] == 6


async def test_arrays_count_as_levels() -> None:
    result = await check({"a": [[1]]}, max_depth=2)
    assert isinstance(result, Block)
    assert result.details is not None
    assert result.details["path"] == "args.a[0]"


async def test_nesting_of_exactly_max_depth_passes() -> None:
    assert await check({"a": {"b": {"c": 1}}}, max_depth=3) is None


async def test_agent_message_string_path_starts_at_the_payload_field() -> None:
    payload = AgentPreInvokePayload(agent_id="a1", messages=[{"role": "user", "content": "z" * 20}])
    guard = ArgSizeGuard({"max_string_length": 10})
    result = await guard.agent_pre_invoke(payload, make_ctx("agent_pre_invoke"))
    assert isinstance(result, Block)
    assert result.details is not None
    assert result.details["path"] == "messages[0].content"


async def test_agent_payload_size_is_measured_whole() -> None:
    payload = AgentPreInvokePayload(agent_id="a1", system_prompt="s" * 200)
    result = await ArgSizeGuard({"max_bytes": 100}).agent_pre_invoke(
        payload, make_ctx("agent_pre_invoke")
    )
    assert isinstance(result, Block)
    assert result.details is not None
    assert result.details["check"] == "max_bytes"
    assert result.details["path"] == "$"


@pytest.mark.parametrize("bad", [-1, "10", True, 1.5])
def test_a_limit_that_is_not_a_non_negative_integer_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="max_depth must be a non-negative integer"):
        ArgSizeGuard({"max_depth": bad})
