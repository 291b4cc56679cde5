"""A worker answers WorkerRequests on NATS: results, blocks, errors and deadlines."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import msgspec
import pytest
from _workerkit import Call, StartWorker, decode_reply, request_bytes
from nats.aio.client import Client

from hookwire.schemas import (
    RequestContext,
    ToolPostInvokePayload,
    ToolPreInvokePayload,
    raw_present,
    subjects,
)

pytestmark = pytest.mark.integration

PRE = "tool_pre_invoke"


async def test_continue_with_payload_returns_modified_payload(
    start_worker: StartWorker, call: Call
) -> None:
    await start_worker("echo_upper")
    reply = await call("echo_upper", PRE, {"name": "search", "args": {"q": "cats", "n": 3}})
    assert reply.error is None
    assert reply.continue_processing is True
    assert raw_present(reply.modified_payload)
    modified = msgspec.json.decode(reply.modified_payload, type=ToolPreInvokePayload)
    assert modified == ToolPreInvokePayload(name="search", args={"q": "CATS", "n": 3})


async def test_continue_metadata_reaches_the_reply(start_worker: StartWorker, call: Call) -> None:
    await start_worker("echo_upper")
    reply = await call("echo_upper", PRE, {"name": "search"})
    assert reply.metadata == {"pid": os.getpid()}


async def test_block_returns_violation_with_plugin_name(
    start_worker: StartWorker, call: Call
) -> None:
    await start_worker("blocker")
    reply = await call("blocker", PRE, {"name": "rm"}, config={"reason": "no deletes"})
    assert reply.error is None
    assert reply.continue_processing is False
    assert not raw_present(reply.modified_payload)
    assert reply.violation is not None
    assert reply.violation.plugin_name == "blocker"
    assert reply.violation.reason == "no deletes"
    assert reply.violation.code == "TOOL_DENIED"
    assert reply.violation.details == {"tool": "rm"}
    assert reply.violation.http_status_code == 403


async def test_plugin_exception_is_an_immediate_error_reply(
    start_worker: StartWorker, call: Call
) -> None:
    """The error arrives at once, not as a timeout: both budgets are 5 s, it beats them."""
    await start_worker("crasher")
    started = time.monotonic()
    reply = await call("crasher", PRE, {"name": "x"}, timeout=5.0, wait=5.0)
    assert reply.error == "ValueError: boom on x"
    assert reply.continue_processing is True  # the router decides what an error means
    assert time.monotonic() - started < 4.0


async def test_setup_failure_is_an_error_reply(start_worker: StartWorker, call: Call) -> None:
    await start_worker("crasher")
    reply = await call("crasher", PRE, {"name": "x"}, instance="c1", config={"fail_setup": True})
    assert reply.error == (
        "setup of instance 'c1' failed: RuntimeError: cannot reach the policy store"
    )


@pytest.mark.parametrize("timeout", [0.0, -1.5])
async def test_deadline_passed_on_arrival_does_not_run_plugin(
    start_worker: StartWorker, call: Call, tmp_path: Path, timeout: float
) -> None:
    marker = tmp_path / "ran"
    await start_worker("sleeper")
    reply = await call(
        "sleeper", PRE, {"name": "x"}, config={"marker": str(marker)}, timeout=timeout
    )
    assert reply.error == "deadline passed before start"
    assert not marker.exists()


async def test_control_sleeper_marks_its_runs(
    start_worker: StartWorker, call: Call, tmp_path: Path
) -> None:
    """Control for the deadline test: with time left the marker is written."""
    marker = tmp_path / "ran"
    await start_worker("sleeper")
    reply = await call("sleeper", PRE, {"name": "x"}, config={"marker": str(marker)}, timeout=5)
    assert reply.error is None
    assert marker.exists()


async def test_hook_running_past_its_deadline_gets_timeout_error(
    start_worker: StartWorker, call: Call
) -> None:
    await start_worker("sleeper")
    reply = await call("sleeper", PRE, {"name": "x"}, config={"seconds": 5}, timeout=0.3)
    assert reply.error is not None
    assert reply.error.startswith("TimeoutError: hook did not finish within 0.3s")


async def test_context_remaining_counts_down_from_the_request_timeout(
    start_worker: StartWorker, call: Call
) -> None:
    await start_worker("custom_hook")
    reply = await call("custom_hook", "export_audit", {"rows": 1}, timeout=3.0)
    remaining = reply.metadata["remaining"]
    assert 0 < remaining <= 3.0


async def test_context_remaining_is_none_without_timeout(
    start_worker: StartWorker, call: Call
) -> None:
    await start_worker("custom_hook")
    reply = await call("custom_hook", "export_audit", {"rows": 1}, timeout=None)
    assert reply.metadata == {"remaining": None}


async def test_custom_hook_gets_and_returns_a_plain_dict(
    start_worker: StartWorker, call: Call
) -> None:
    await start_worker("custom_hook")
    reply = await call("custom_hook", "export_audit", {"rows": 2}, config={"tag": "q3"})
    assert raw_present(reply.modified_payload)
    assert msgspec.json.decode(reply.modified_payload) == {
        "rows": 2,
        "tag": "q3",
        "payload_type": "dict",
    }


async def test_state_round_trip_from_pre_to_post(start_worker: StartWorker, call: Call) -> None:
    await start_worker("stateful")
    context = RequestContext(request_id="r1", user="alice")
    pre = await call("stateful", PRE, {"name": "lookup"}, context=context)
    assert pre.state == {"pre_saw": "lookup", "user": "alice"}
    post = await call(
        "stateful", "tool_post_invoke", {"name": "lookup", "result": 7}, state=pre.state
    )
    assert post.modified_payload is not None
    result = msgspec.json.decode(post.modified_payload, type=ToolPostInvokePayload).result
    assert result == {"original": 7, "state": {"pre_saw": "lookup", "user": "alice"}}
    assert post.state == {}  # emptied by the plugin: sent back empty, not omitted


async def test_untouched_empty_state_is_omitted(start_worker: StartWorker, call: Call) -> None:
    await start_worker("echo_upper")
    reply = await call("echo_upper", PRE, {"name": "x"})
    assert reply.state is None


async def test_instances_get_their_own_config_and_one_setup(
    start_worker: StartWorker, call: Call
) -> None:
    """Ten concurrent first calls per instance: one object, one setup() each."""
    await start_worker("configured")
    configs = {"a": {"greeting": "hello"}, "b": {"greeting": "bonjour"}}
    calls = [
        call("configured", PRE, {"name": "x"}, instance=inst, config=cfg)
        for inst, cfg in configs.items()
        for _ in range(10)
    ]
    replies = await asyncio.gather(*calls)
    for inst, cfg in configs.items():
        mine = [r.metadata for r in replies if r.metadata["instance"] == inst]
        assert len(mine) == 10
        assert {m["greeting"] for m in mine} == {cfg["greeting"]}
        assert {m["ctx_greeting"] for m in mine} == {cfg["greeting"]}
        assert {m["setups"] for m in mine} == {1}
        assert len({m["object"] for m in mine}) == 1


async def test_new_config_for_an_instance_replaces_and_closes_it(
    start_worker: StartWorker, call: Call, tmp_path: Path
) -> None:
    marker = tmp_path / "closed"
    await start_worker("configured")
    old = {"greeting": "hi", "closed_marker": str(marker)}
    first = await call("configured", PRE, {"name": "x"}, instance="a", config=old)
    second = await call("configured", PRE, {"name": "x"}, instance="a", config={"greeting": "yo"})
    assert (first.metadata["greeting"], second.metadata["greeting"]) == ("hi", "yo")
    assert first.metadata["object"] != second.metadata["object"]
    await asyncio.sleep(0.1)  # the old instance is closed in the background
    assert marker.read_text() == "hi\n"


async def test_stop_closes_every_instance(
    start_worker: StartWorker, call: Call, tmp_path: Path
) -> None:
    marker = tmp_path / "closed"
    worker = await start_worker("configured")
    for greeting in ("one", "two"):
        config = {"greeting": greeting, "closed_marker": str(marker)}
        await call("configured", PRE, {"name": "x"}, instance=greeting, config=config)
    await worker.stop()
    assert sorted(marker.read_text().split()) == ["one", "two"]


async def test_calls_of_one_worker_overlap(start_worker: StartWorker, call: Call) -> None:
    """Five 0.5 s calls finish together, well under the 2.5 s they would take in turn."""
    await start_worker("sleeper")
    started = time.monotonic()
    replies = await asyncio.gather(
        *(call("sleeper", PRE, {"name": "x"}, config={"seconds": 0.5}) for _ in range(5))
    )
    assert all(r.error is None for r in replies)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"not json", "malformed request: JSON is malformed"),
        (b'{"plugin": "echo_upper", "hook": "tool_pre_invoke", "payload": {}}', "`instance`"),
        (b'{"instance": 1, "plugin": "echo_upper", "hook": "x", "payload": {}}', "`$.instance`"),
    ],
)
async def test_malformed_request_gets_error_naming_the_problem(
    start_worker: StartWorker, nc: Client, body: bytes, expected: str
) -> None:
    await start_worker("echo_upper")
    msg = await nc.request(subjects.plugin_subject("echo_upper", PRE), body, timeout=5)
    reply = decode_reply(msg.data)
    assert reply.error is not None
    assert reply.error.startswith("malformed request: ")
    assert expected in reply.error


async def test_worker_serves_the_next_request_after_a_malformed_one(
    start_worker: StartWorker, nc: Client, call: Call
) -> None:
    await start_worker("echo_upper")
    await nc.request(subjects.plugin_subject("echo_upper", PRE), b"\xff garbage", timeout=5)
    reply = await call("echo_upper", PRE, {"name": "x", "args": {"a": "b"}})
    assert reply.error is None
    assert raw_present(reply.modified_payload)


async def test_invalid_payload_for_the_hook_is_an_error(
    start_worker: StartWorker, call: Call
) -> None:
    await start_worker("echo_upper")
    reply = await call("echo_upper", PRE, {"args": {}})
    assert reply.error == ("invalid tool_pre_invoke payload: Object missing required field `name`")


async def test_config_that_is_not_an_object_is_an_error(
    start_worker: StartWorker, call: Call
) -> None:
    await start_worker("echo_upper")
    reply = await call("echo_upper", PRE, {"name": "x"}, instance="i9", config=[1, 2])
    assert reply.error == "config of instance 'i9' is invalid: Expected `object`, got `array`"


async def test_hook_the_plugin_does_not_implement_is_an_error(
    start_worker: StartWorker, call: Call
) -> None:
    await start_worker("echo_upper")
    reply = await call("echo_upper", "tool_post_invoke", {"name": "x"})
    assert reply.error == (
        "plugin 'echo_upper' does not implement hook 'tool_post_invoke' "
        "(its hooks: tool_pre_invoke)"
    )


async def test_request_for_another_plugin_is_an_error(
    start_worker: StartWorker, nc: Client
) -> None:
    await start_worker("echo_upper")
    data = request_bytes("blocker", PRE, {"name": "x"})
    msg = await nc.request(subjects.plugin_subject("echo_upper", PRE), data, timeout=5)
    reply = decode_reply(msg.data)
    assert reply.error == "request for plugin 'blocker' reached a worker of 'echo_upper'"
