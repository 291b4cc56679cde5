"""A worker trusts no instance config blindly: each is checked against the plugin's JSON
Schema, and the set of instances it keeps is bounded (the least recently used idle one
is closed to make room)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _workerkit import Call, StartWorker, wait_until

from hookwire.workers import Worker
from hookwire.workers._instances import DEFAULT_LIMIT

pytestmark = pytest.mark.integration

PRE = "tool_pre_invoke"


async def test_a_config_breaking_the_schema_is_an_error_reply(
    start_worker: StartWorker, call: Call
) -> None:
    worker: Worker = await start_worker("configured")
    reply = await call("configured", PRE, {"name": "x"}, instance="a", config={"greeting": 5})
    assert reply.error is not None
    assert "breaks configured's config_schema: $.greeting: expected string" in reply.error
    assert len(worker.instances) == 0  # nothing was made
    ok = await call("configured", PRE, {"name": "x"}, instance="a", config={"greeting": "hi"})
    assert ok.error is None and ok.metadata["greeting"] == "hi"  # the worker keeps serving


async def test_new_instance_ids_cannot_grow_a_worker_without_end(
    start_worker: StartWorker, call: Call, tmp_path: Path
) -> None:
    worker: Worker = await start_worker("configured")
    marker = tmp_path / "closed.txt"
    total = DEFAULT_LIMIT + 36
    for i in range(total):
        config = {"greeting": f"g{i}", "closed_marker": str(marker)}
        reply = await call("configured", PRE, {"name": "x"}, instance=f"i{i}", config=config)
        assert reply.error is None, reply.error
    assert len(worker.instances) == DEFAULT_LIMIT

    def closed() -> list[str]:
        return marker.read_text().split() if marker.exists() else []

    await wait_until(lambda: len(closed()) == total - DEFAULT_LIMIT, 10, "evicted closed")
    assert closed() == [f"g{i}" for i in range(total - DEFAULT_LIMIT)]  # oldest first
