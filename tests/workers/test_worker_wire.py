"""What a worker's reply looks like as JSON on the wire."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import msgspec
import pytest
from _workerkit import PLUGINS, decode_reply, request_bytes

from hookwire.schemas import WorkerReply, WorkerRequest
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
