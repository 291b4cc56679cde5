"""audit_logger: one whole JSON line per event, with the right fields, from any process."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from audit_logger import AuditLogger

from hookwire.schemas import (
    Entity,
    HttpPreRequestPayload,
    RequestContext,
    ToolPostInvokePayload,
    ToolPreInvokePayload,
)
from hookwire.workers import Context, Continue, load_plugin

PLUGIN_DIR = Path(__file__).resolve().parents[1]
PAYLOAD = ToolPreInvokePayload(name="search", args={"q": "weather"})


def make_ctx(
    hook: str = "tool_pre_invoke",
    *,
    request_id: str = "req-1",
    entity: Entity | None = None,
    instance: str = "audit-1",
) -> Context:
    """The one Context helper of these tests."""
    request = RequestContext(
        request_id=request_id, hook=hook, entity=entity, user="alice", tenant_id="acme"
    )
    return Context(request=request, config={}, state={}, instance=instance, hook=hook)


def read_lines(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.splitlines()]


def test_manifest_entry_loads_and_implements_every_hook() -> None:
    assert load_plugin(PLUGIN_DIR).cls is AuditLogger


async def test_an_event_writes_one_line_with_who_what_when(tmp_path: Path) -> None:
    file = tmp_path / "audit.jsonl"
    ctx = make_ctx(entity=Entity(type="tool", name="search", id="t-9", tags=["pii"]))
    before = datetime.now(UTC)
    assert await AuditLogger({"path": str(file)}).tool_pre_invoke(PAYLOAD, ctx) is None
    (line,) = read_lines(file)
    ts = datetime.fromisoformat(line.pop("ts"))
    assert before - timedelta(seconds=1) <= ts <= datetime.now(UTC)
    assert line == {
        "hook": "tool_pre_invoke",
        "request_id": "req-1",
        "user": "alice",
        "tenant_id": "acme",
        "entity": {"type": "tool", "name": "search"},
        "instance": "audit-1",
    }


async def test_payload_is_left_out_by_default(tmp_path: Path) -> None:
    file = tmp_path / "audit.jsonl"
    await AuditLogger({"path": str(file)}).tool_pre_invoke(PAYLOAD, make_ctx())
    (line,) = read_lines(file)
    assert "payload" not in line
    assert b"weather" not in file.read_bytes()


async def test_include_payload_records_it(tmp_path: Path) -> None:
    file = tmp_path / "audit.jsonl"
    payload = ToolPostInvokePayload(name="search", result={"temp": 21})
    logger = AuditLogger({"path": str(file), "include_payload": True})
    await logger.tool_post_invoke(payload, make_ctx("tool_post_invoke"))
    (line,) = read_lines(file)
    assert line["payload"] == {"name": "search", "result": {"temp": 21}}


async def test_http_event_has_no_entity(tmp_path: Path) -> None:
    file = tmp_path / "audit.jsonl"
    payload = HttpPreRequestPayload(path="/tools", method="GET")
    await AuditLogger({"path": str(file)}).http_pre_request(payload, make_ctx("http_pre_request"))
    (line,) = read_lines(file)
    assert line["hook"] == "http_pre_request"
    assert line["entity"] is None


async def test_events_append_in_order(tmp_path: Path) -> None:
    file = tmp_path / "audit.jsonl"
    logger = AuditLogger({"path": str(file)})
    for request_id in ("r1", "r2", "r3"):
        await logger.tool_pre_invoke(PAYLOAD, make_ctx(request_id=request_id))
    assert [line["request_id"] for line in read_lines(file)] == ["r1", "r2", "r3"]


async def test_relative_path_goes_under_hookwire_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOKWIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    await AuditLogger({"path": "logs/audit.jsonl"}).tool_pre_invoke(PAYLOAD, make_ctx())
    assert len(read_lines(tmp_path / "data" / "logs" / "audit.jsonl")) == 1
    assert not (tmp_path / "logs").exists()


async def test_relative_path_goes_under_cwd_without_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOOKWIRE_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    await AuditLogger({}).tool_pre_invoke(PAYLOAD, make_ctx())
    assert len(read_lines(tmp_path / "hookwire-audit.jsonl")) == 1


async def test_a_write_error_never_blocks_and_is_reported(tmp_path: Path) -> None:
    result = await AuditLogger({"path": str(tmp_path)}).tool_pre_invoke(PAYLOAD, make_ctx())
    assert isinstance(result, Continue)
    assert result.payload is None
    assert result.metadata is not None
    assert result.metadata["audit_error"].startswith("IsADirectoryError")


def _writer(path: str, name: str, count: int, start: Any) -> None:
    """One worker process: ``count`` events with a large payload, after ``start`` is set."""
    logger = AuditLogger({"path": path, "include_payload": True})
    payload = ToolPreInvokePayload(name="bulk", args={"blob": name * 20_000})

    async def run() -> None:
        for i in range(count):
            await logger.tool_pre_invoke(payload, make_ctx(request_id=f"{name}-{i}"))

    start.wait()
    asyncio.run(run())


def test_two_writer_processes_interleave_whole_lines(tmp_path: Path) -> None:
    file = tmp_path / "audit.jsonl"
    mp = multiprocessing.get_context("fork")
    start = mp.Event()
    procs = [mp.Process(target=_writer, args=(str(file), n, 200, start)) for n in ("a", "b")]
    for proc in procs:
        proc.start()
    start.set()
    for proc in procs:
        proc.join(timeout=60)
    assert [proc.exitcode for proc in procs] == [0, 0]
    lines = read_lines(file)  # every line parses: none was cut or mixed with another
    ids = [line["request_id"] for line in lines]
    assert sorted(ids) == sorted([f"a-{i}" for i in range(200)] + [f"b-{i}" for i in range(200)])
    assert all(line["payload"]["args"]["blob"] == line["request_id"][0] * 20_000 for line in lines)
