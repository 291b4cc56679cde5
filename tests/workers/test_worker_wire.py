"""What a worker's reply looks like as JSON on the wire."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import msgspec
import pytest
from _workerkit import PLUGINS, decode_reply, request_bytes

from hookwire.schemas import MAX_PLUGIN_WARNINGS, MAX_WARNING_LENGTH, WorkerReply, WorkerRequest
from hookwire.workers import load_plugin
from hookwire.workers._dispatch import Dispatcher
from hookwire.workers._instances import Instances


@pytest.fixture
def echo_upper(monkeypatch: pytest.MonkeyPatch) -> Dispatcher:
    monkeypatch.setattr(sys, "path", list(sys.path))
    plugin = load_plugin(PLUGINS / "echo_upper")
    return Dispatcher(plugin.name, plugin.manifest.hooks, Instances(plugin.name, plugin.cls))


async def test_modified_payload_is_a_json_object_in_the_reply(echo_upper: Dispatcher) -> None:
    """Not a string holding JSON: the Raw payload is embedded as is."""
    data = await echo_upper.handle(
        request_bytes("echo_upper", "tool_pre_invoke", {"name": "t", "args": {"a": "b"}})
    )
    reply = json.loads(data)
    assert reply["modified_payload"] == {"name": "t", "args": {"a": "B"}, "headers": None}


async def test_subject_hook_must_match_the_request_hook(echo_upper: Dispatcher) -> None:
    data = request_bytes("echo_upper", "tool_pre_invoke", {"name": "t"})
    reply = decode_reply(await echo_upper.handle(data, subject_hook="tool_post_invoke"))
    assert reply.error == "request for hook 'tool_pre_invoke' sent to 'tool_post_invoke'"


async def test_newer_wire_version_is_refused(echo_upper: Dispatcher) -> None:
    req = json.loads(request_bytes("echo_upper", "tool_pre_invoke", {"name": "t"}))
    req["type"] = "hookwire.v2.worker_request"
    reply = decode_reply(await echo_upper.handle(json.dumps(req).encode()))
    assert reply.error is not None
    assert "hookwire.v2.worker_request" in reply.error
    assert "$.type" in reply.error


def test_worker_failure_reply_names_the_exception(echo_upper: Dispatcher) -> None:
    reply = decode_reply(echo_upper.error_reply(KeyError("k")))
    assert reply.error == "worker failed: KeyError: 'k'"


async def test_arrival_time_starts_the_deadline(echo_upper: Dispatcher, tmp_path: Path) -> None:
    """A request that waited longer than its timeout before ``call`` is not run."""
    req = msgspec.json.decode(
        request_bytes("echo_upper", "tool_pre_invoke", {"name": "t"}, timeout=0.5),
        type=WorkerRequest,
    )
    reply = await echo_upper.call(req, arrived=time.monotonic() - 1.0)
    assert reply.error == "deadline passed before start"


def test_reply_decodes_a_modified_payload() -> None:
    data = msgspec.json.encode(WorkerReply(modified_payload=msgspec.Raw(b'{"name": "t"}')))
    reply = msgspec.json.decode(data, type=WorkerReply)
    assert reply.modified_payload == msgspec.Raw(b'{"name": "t"}')


@pytest.fixture
def warner(monkeypatch: pytest.MonkeyPatch) -> Dispatcher:
    monkeypatch.setattr(sys, "path", list(sys.path))
    plugin = load_plugin(PLUGINS / "warner")
    return Dispatcher(plugin.name, plugin.manifest.hooks, Instances(plugin.name, plugin.cls))


async def _warned(warner: Dispatcher, warnings: object) -> WorkerReply:
    data = request_bytes("warner", "tool_pre_invoke", {"name": "t"}, config={"warnings": warnings})
    return decode_reply(await warner.handle(data))


async def test_continue_warnings_are_carried_in_the_reply(warner: Dispatcher) -> None:
    reply = await _warned(warner, ["harassment at args.q", "", "self_harm at args.r"])
    assert reply.error is None and reply.continue_processing
    assert reply.warnings == ["harassment at args.q", "self_harm at args.r"]
    assert "warnings" not in json.loads(
        await warner.handle(request_bytes("warner", "tool_pre_invoke", {"name": "t"}))
    )


async def test_continue_warnings_are_bounded_in_count_and_length(warner: Dispatcher) -> None:
    many = [f"w{i}" for i in range(MAX_PLUGIN_WARNINGS + 5)]
    reply = await _warned(warner, many)
    assert reply.warnings == many[:MAX_PLUGIN_WARNINGS]
    [long] = (await _warned(warner, ["x" * (MAX_WARNING_LENGTH * 3)])).warnings
    assert len(long) == MAX_WARNING_LENGTH and long.endswith("…")


@pytest.mark.parametrize(
    ("warnings", "message"),
    [("one string", "warnings must be a list of strings, not str"), ([1], "not int")],
)
async def test_warnings_that_are_not_strings_are_the_plugins_error(
    warner: Dispatcher, warnings: object, message: str
) -> None:
    reply = await _warned(warner, warnings)
    assert reply.error is not None and message in reply.error


def test_a_reply_with_too_many_or_too_long_warnings_is_unreadable() -> None:
    """A worker in another language that ignores the caps: the schema refuses its reply."""
    decode = msgspec.json.Decoder(WorkerReply).decode
    with pytest.raises(msgspec.ValidationError, match="warnings"):
        decode(json.dumps({"warnings": ["w"] * (MAX_PLUGIN_WARNINGS + 1)}))
    with pytest.raises(msgspec.ValidationError, match="warnings"):
        decode(json.dumps({"warnings": ["x" * (MAX_WARNING_LENGTH + 1)]}))
