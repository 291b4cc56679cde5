"""Which live config revision each following router runs (from their micro STATS)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog
from nats.aio.client import Client

from hookwire.router.live._discovery import collect_stats, router_stats
from hookwire.schemas import subjects

log = structlog.get_logger("hookwire.live")


async def routers_behind(nc: Client, revision: int, *, settled: bool) -> list[str]:
    """Ids of the following routers not yet on ``revision`` (or newer); with ``settled``,
    also those still running an event that began on an older revision."""
    behind = []
    for answer in await collect_stats(nc, subjects.ROUTER_SERVICE, wait=0.25):
        live = router_stats(answer).live
        if not live.following:
            continue  # a router run with --no-follow never moves
        rev = live.revision
        if rev is None or rev < revision or (settled and live.older_in_flight > 0):
            behind.append(answer.id)
    return behind


async def wait_routers_on(
    nc: Client,
    revision: int,
    timeout: float,
    *,
    settled: bool = False,
    give_up: Callable[[], bool] | None = None,
) -> list[str]:
    """Poll router STATS until none is behind ``revision``; the ids still behind at
    ``timeout`` (or when ``give_up()`` turns true)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        behind = await routers_behind(nc, revision, settled=settled)
        if not behind or loop.time() >= end or (give_up is not None and give_up()):
            return behind
        await asyncio.sleep(0.05)


async def following_routers(nc: Client) -> dict[str, int | None]:
    """Router id -> the revision it runs, for every following router answering STATS."""
    out: dict[str, int | None] = {}
    for answer in await collect_stats(nc, subjects.ROUTER_SERVICE, wait=0.25):
        live = router_stats(answer).live
        if live.following:
            out[answer.id] = live.revision
    return out
