"""Services as processes: discovery, load sharing, dead workers, drains, NATS restarts."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import pytest
from _nats import NatsServer
from nats.micro.service import ServiceVerb

from hookwire import client as hw
from hookwire.router.pipeline._service import Router
from hookwire.router.pools._supervisor import PoolSpec, Supervisor
from hookwire.schemas import subjects
from hookwire.service import connect

from ._kit import (
    PLUGIN_DIRS,
    Deploy,
    answers,
    deployment,
    hookwire_command,
    plug,
    spawn,
    stop_process,
    wait_for_no_service,
    wait_for_service,
    wait_until,
    worker_command,
    write_config,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

ROUTER = "hookwire-router"
ECHO = subjects.worker_service("echo_upper")
SLEEPER = subjects.worker_service("sleeper")


async def test_router_and_workers_answer_ping_info_and_stats(deploy: Deploy) -> None:
    dep = await deploy([plug("echo_upper")])
    await dep.tool()
    nc = dep.gateway_nc

    pings = await answers(nc, ServiceVerb.PING)
    [router_info] = await answers(nc, ServiceVerb.INFO, ROUTER)
    [router_stats] = await answers(nc, ServiceVerb.STATS, ROUTER)
    [worker_stats] = await answers(nc, ServiceVerb.STATS, ECHO)

    assert {(p["name"], p["type"]) for p in pings} >= {
        (ROUTER, "io.nats.micro.v1.ping_response"),
        (ECHO, "io.nats.micro.v1.ping_response"),
    }
    assert [(e["subject"], e["queue_group"]) for e in router_info["endpoints"]] == [
        ("hookwire.hook.*", "hookwire-routers")
    ]
    assert router_stats["type"] == "io.nats.micro.v1.stats_response"
    assert router_stats["id"] == dep.router.service.id
    assert router_stats["endpoints"][0]["num_requests"] == 1
    assert router_stats["endpoints"][0]["data"]["events"] == {"allow": 1}
    assert worker_stats["endpoints"][0]["num_requests"] == 1
    assert worker_stats["metadata"]["role"] == "worker"


async def test_status_json_lists_the_router_and_worker_processes(
    deploy: Deploy, tmp_path: Path
) -> None:
    dep = await deploy([plug("echo_upper")])
    await dep.tool()
    await dep.tool()

    proc = await asyncio.create_subprocess_exec(
        *hookwire_command("status", "--nats", dep.url, "--json"),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 20)
    report = json.loads(out)

    assert proc.returncode == 0
    [router] = report["routers"]
    assert router["id"] == dep.router.service.id
    assert router["events"] == {"allow": 2}
    [worker] = report["workers"]
    latency = worker.pop("latency_ms")
    assert worker == {
        "plugin": "echo_upper",
        "processes": 1,
        "requests": 2,
        "errors": 0,
        "dead_letters": 0,
        "failed_instances": {},
    }
    assert latency > 0  # mean time per request, from the workers' micro processing_time


async def test_dead_worker_is_reported_unavailable_at_once(deploy: Deploy, tmp_path: Path) -> None:
    dep = await deploy([plug("echo_upper", timeout=10)], without=("echo_upper",))
    worker = await spawn(worker_command("echo_upper", dep.url), tmp_path / "worker.log")
    try:
        await wait_for_service(dep.gateway_nc, ECHO)
        before = await dep.tool(args={"q": "x"})
        worker.kill()
        await worker.wait()
        await wait_for_no_service(dep.gateway_nc, ECHO)

        start = time.monotonic()
        after = await dep.tool(args={"q": "x"})
        elapsed = time.monotonic() - start
    finally:
        await stop_process(worker)

    assert before.payload.args == {"q": "X"}
    assert after.decision == "block"
    assert after.violation is not None
    assert after.violation.code == "plugin_unavailable"
    assert elapsed < 2


async def test_two_routers_and_a_pool_of_two_workers_share_the_load(
    deploy: Deploy, tmp_path: Path
) -> None:
    dep = await deploy([plug("echo_upper")], without=("echo_upper",))
    second_nc = await connect(dep.url, "test-router-2")
    second = Router(second_nc, dep.config)
    await second.start()
    pool = Supervisor([PoolSpec("echo_upper", PLUGIN_DIRS["echo_upper"], workers=2)], dep.url)
    await pool.start()
    try:
        await wait_for_service(dep.gateway_nc, ECHO, count=2)
        results = await asyncio.gather(*(dep.tool(args={"n": str(i)}) for i in range(100)))
        stats = await answers(dep.gateway_nc, ServiceVerb.STATS, ECHO)
    finally:
        await pool.stop(timeout=5)
        await second.drain(timeout=2)
        await second_nc.close()

    assert [r.decision for r in results] == ["allow"] * 100
    per_router = [dep.router.counts["allow"], second.counts["allow"]]
    per_worker = [s["endpoints"][0]["num_requests"] for s in stats]
    assert sum(per_router) == 100
    assert min(per_router) > 0
    assert len(per_worker) == 2
    assert sum(per_worker) == 100
    assert min(per_worker) > 0


async def test_sigterm_router_answers_the_event_in_flight_then_exits_cleanly(
    deploy: Deploy, tmp_path: Path
) -> None:
    marker = tmp_path / "called"
    dep = await deploy([plug("sleeper", {"seconds": 1.0, "marker": str(marker)})], router=False)
    command = ("router", "--config", dep.config.file, "--nats", dep.url, "--log-json")
    router = await spawn(hookwire_command(*command), tmp_path / "router.log")
    try:
        await wait_for_service(dep.gateway_nc, ROUTER)
        in_flight = asyncio.ensure_future(dep.tool())
        await wait_until(marker.exists, 10, "the sleeper is called")
        router.send_signal(signal.SIGTERM)
        result = await in_flight
        code = await asyncio.wait_for(router.wait(), 15)
        with pytest.raises(hw.HookwireUnavailable, match="no responders"):
            await dep.tool()
    finally:
        await stop_process(router)

    assert result.decision == "allow"
    assert [r.status for r in result.trace] == ["completed"]
    assert code == 0


async def test_sigterm_worker_finishes_the_call_in_flight_then_exits_cleanly(
    deploy: Deploy, tmp_path: Path
) -> None:
    marker = tmp_path / "called"
    dep = await deploy(
        [plug("sleeper", {"seconds": 1.0, "marker": str(marker)})], without=("sleeper",)
    )
    worker = await spawn(worker_command("sleeper", dep.url), tmp_path / "worker.log")
    try:
        await wait_for_service(dep.gateway_nc, SLEEPER)
        in_flight = asyncio.ensure_future(dep.tool())
        await wait_until(marker.exists, 10, "the sleeper is called")
        worker.send_signal(signal.SIGTERM)
        result = await in_flight
        code = await asyncio.wait_for(worker.wait(), 15)
        after = await dep.tool()
    finally:
        await stop_process(worker)

    assert result.decision == "allow"
    assert [r.status for r in result.trace] == ["completed"]
    assert code == 0
    assert after.violation is not None
    assert after.violation.code == "plugin_unavailable"


async def test_router_and_workers_reconnect_after_nats_restarts(
    fresh_nats_server: NatsServer, tmp_path: Path
) -> None:
    path = write_config(tmp_path, [plug("echo_upper")])
    async with deployment(fresh_nats_server.url, path) as dep:
        before = await dep.tool(args={"q": "x"})
        fresh_nats_server.stop()
        fresh_nats_server.start()

        after = None
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                after = await dep.tool(args={"q": "y"}, timeout=1)
            except (hw.HookwireUnavailable, hw.HookwireTimeout):
                after = None
            if after is not None and after.decision == "allow":
                break
            await asyncio.sleep(0.1)

    assert before.payload.args == {"q": "X"}
    assert after is not None
    assert after.decision == "allow"
    assert after.payload.args == {"q": "Y"}
