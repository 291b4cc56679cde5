"""What runs: routers, worker processes and supervised pools, from their NATS answers
(``hookwire status`` and the admin service's ``/admin/status``)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import msgspec
from nats.aio.client import Client

from hookwire.router.live._discovery import collect_stats, router_stats
from hookwire.schemas import MicroStats, PoolsStatus, PoolStatus, WorkerStats, subjects

_decode_pools = msgspec.json.Decoder(PoolsStatus).decode


async def status_report(nc: Client, wait: float = 0.5) -> dict[str, Any]:
    """Routers, workers by plugin and pools (``summarize``), collected for ``wait`` seconds."""
    stats, answers = await asyncio.gather(collect_stats(nc, wait=wait), gather_pools(nc, wait))
    pools: list[PoolStatus] = []
    for answer in answers:
        pools.extend(answer.pools)
    return summarize(stats, pools)


async def gather_pools(nc: Client, wait: float = 0.5) -> list[PoolsStatus]:
    """Every supervisor's answer to the status request within ``wait`` seconds."""
    inbox = nc.new_inbox()
    answers: list[PoolsStatus] = []

    async def got(msg: Any) -> None:
        if msg.data:  # an empty message is NATS saying no supervisor is listening
            with contextlib.suppress(msgspec.DecodeError):
                answers.append(_decode_pools(msg.data))

    sub = await nc.subscribe(inbox, cb=got)
    await nc.publish(subjects.SUPERVISOR_STATUS, b"", reply=inbox)
    await asyncio.sleep(wait)
    await sub.unsubscribe()
    return answers


def summarize(stats: list[MicroStats], pools: list[PoolStatus]) -> dict[str, Any]:
    """Routers, worker processes by plugin, and supervised pools, from micro STATS answers."""
    routers: list[dict[str, Any]] = []
    workers: dict[str, dict[str, Any]] = {}
    busy: dict[str, int] = {}  # plugin -> nanoseconds spent answering
    for s in stats:
        if s.name == subjects.ROUTER_SERVICE:
            data = router_stats(s)
            routers.append(
                {
                    "id": s.id,
                    "events": data.events,
                    "requests": s.num_requests,
                    "config": data.config,
                    "disabled": data.disabled_instances,
                    "revision": data.live.revision,
                    "record": msgspec.to_builtins(data.record),
                    "fire_and_forget": data.fire_and_forget,
                }
            )
        elif s.metadata.get("role") == "worker":
            plugin = s.metadata.get("plugin", s.name)
            row = workers.setdefault(
                plugin,
                {
                    "plugin": plugin,
                    "processes": 0,
                    "requests": 0,
                    "errors": 0,
                    "dead_letters": 0,
                    "failed_instances": {},
                    "latency_ms": None,
                },
            )
            row["processes"] += 1
            row["requests"] += s.num_requests
            row["errors"] += s.num_errors
            busy[plugin] = busy.get(plugin, 0) + sum(e.processing_time for e in s.endpoints)
            with contextlib.suppress(msgspec.ValidationError):
                worker = s.endpoint_data(WorkerStats)
                row["dead_letters"] += worker.fire_and_forget.get("dead_letters", 0)
                row["failed_instances"].update(worker.failed_instances)
    for plugin, row in workers.items():
        if row["requests"]:  # mean time per request, all processes of the plugin
            row["latency_ms"] = round(busy[plugin] / row["requests"] / 1e6, 3)
    return {
        "routers": routers,
        "workers": sorted(workers.values(), key=lambda r: r["plugin"]),
        "pools": msgspec.to_builtins(pools),
    }
