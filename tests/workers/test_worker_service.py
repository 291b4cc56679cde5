"""Workers as services: queue-group load sharing, micro PING/INFO/STATS, a real subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections import Counter
from pathlib import Path

import pytest
from _nats import NatsServer
from _workerkit import Call, StartWorker, log_events, request_bytes, wait_until, worker_process
from nats.aio.client import Client
from nats.errors import NoRespondersError

from hookwire.schemas import subjects
from hookwire.workers import service_name

pytestmark = pytest.mark.integration

PRE = "tool_pre_invoke"


async def test_two_workers_in_the_queue_group_share_requests(
    start_worker: StartWorker, call: Call
) -> None:
    first = await start_worker("echo_upper")
    second = await start_worker("echo_upper")
    replies = await asyncio.gather(*(call("echo_upper", PRE, {"name": "x"}) for _ in range(40)))
    assert all(r.error is None for r in replies)
    served = [w.service.endpoints[0].num_requests for w in (first, second)]
    assert sum(served) == 40
    assert min(served) > 0


async def test_process_and_in_process_workers_share_requests(
    nats_server: NatsServer, start_worker: StartWorker, call: Call, tmp_path: Path
) -> None:
    """Replies carry the serving pid: both processes answer some of 40 requests."""
    async with worker_process("echo_upper", nats_server.url, tmp_path / "w.log") as proc:
        await start_worker("echo_upper")
        replies = await asyncio.gather(*(call("echo_upper", PRE, {"name": "x"}) for _ in range(40)))
    pids = Counter(r.metadata["pid"] for r in replies)
    assert set(pids) == {proc.pid, os.getpid()}
    assert sum(pids.values()) == 40


async def test_ping_by_service_name_answers_with_worker_metadata(
    start_worker: StartWorker, nc: Client
) -> None:
    await start_worker("echo_upper")
    msg = await nc.request("$SRV.PING.hookwire-plugin-echo_upper", b"", timeout=2)
    ping = json.loads(msg.data)
    assert ping["name"] == service_name("echo_upper") == "hookwire-plugin-echo_upper"
    assert ping["metadata"] == {
        "plugin": "echo_upper",
        "plugin_version": "1.0.0",
        "pid": str(os.getpid()),
        "role": "worker",
    }


async def test_info_lists_the_plugin_endpoint_and_queue(
    start_worker: StartWorker, nc: Client
) -> None:
    await start_worker("blocker")
    msg = await nc.request("$SRV.INFO.hookwire-plugin-blocker", b"", timeout=2)
    (endpoint,) = json.loads(msg.data)["endpoints"]
    assert endpoint["subject"] == subjects.plugin_wildcard("blocker")
    assert endpoint["queue_group"] == subjects.worker_queue("blocker")


async def test_stats_count_requests_and_errors(
    start_worker: StartWorker, nc: Client, call: Call
) -> None:
    """A plugin error is an answered request, not a service error."""
    await start_worker("crasher")
    await call("crasher", PRE, {"name": "x"})
    msg = await nc.request("$SRV.STATS.hookwire-plugin-crasher", b"", timeout=2)
    (endpoint,) = json.loads(msg.data)["endpoints"]
    assert endpoint["num_requests"] == 1
    assert endpoint["num_errors"] == 0
    assert endpoint["data"] == {
        "instances": 1,
        "errors": {"request": 0, "deadline": 0, "plugin": 1, "timeout": 0},
        "failed_instances": {},
        "fire_and_forget": {},
    }


async def test_process_worker_serves_and_logs_ready(
    nats_server: NatsServer, call: Call, tmp_path: Path
) -> None:
    log = tmp_path / "w.log"
    async with worker_process("blocker", nats_server.url, log) as proc:
        reply = await call("blocker", PRE, {"name": "x"})
    assert reply.violation is not None
    assert reply.violation.plugin_name == "blocker"
    (ready,) = [e for e in log_events(log) if e["event"] == "worker.ready"]
    assert ready["plugin"] == "blocker"
    assert ready["subject"] == "hookwire.plugin.blocker.*"
    assert ready["pid"] == proc.pid


async def test_sigterm_lets_the_in_flight_request_finish_then_exits_0(
    nats_server: NatsServer, call: Call, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    async with worker_process("sleeper", nats_server.url, tmp_path / "w.log") as proc:
        config = {"seconds": 1.0, "marker": str(marker)}
        slow = asyncio.ensure_future(call("sleeper", PRE, {"name": "x"}, config=config))
        await wait_until(marker.exists, 10, "the slow call starting")
        proc.send_signal(signal.SIGTERM)
        reply = await slow
        code = await asyncio.wait_for(proc.wait(), 15)
    assert reply.error is None
    assert reply.metadata == {"slept": 1.0}
    assert code == 0


async def test_sigterm_stops_taking_requests_while_one_is_in_flight(
    nats_server: NatsServer, nc: Client, call: Call, tmp_path: Path
) -> None:
    """After SIGTERM new requests soon get no responders; the slow one still completes."""
    marker = tmp_path / "started"
    subject = subjects.plugin_subject("sleeper", PRE)
    async with worker_process("sleeper", nats_server.url, tmp_path / "w.log") as proc:
        config = {"seconds": 3.0, "marker": str(marker)}
        slow = asyncio.ensure_future(call("sleeper", PRE, {"name": "x"}, config=config))
        await wait_until(marker.exists, 10, "the slow call starting")
        proc.send_signal(signal.SIGTERM)
        quick = request_bytes("sleeper", PRE, {"name": "y"}, instance="quick")
        refused = False
        while not refused and not slow.done():
            try:
                await nc.request(subject, quick, timeout=2)
            except NoRespondersError:
                refused = True
        still_running = not slow.done()
        reply = await slow
        await asyncio.wait_for(proc.wait(), 15)
    assert refused
    assert still_running
    assert reply.error is None


async def test_no_responders_once_the_process_worker_has_exited(
    nats_server: NatsServer, nc: Client, tmp_path: Path
) -> None:
    subject = subjects.plugin_subject("echo_upper", PRE)
    data = request_bytes("echo_upper", PRE, {"name": "x"})
    async with worker_process("echo_upper", nats_server.url, tmp_path / "w.log") as proc:
        await nc.request(subject, data, timeout=2)  # served while it runs
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    with pytest.raises(NoRespondersError):
        await nc.request(subject, data, timeout=2)
