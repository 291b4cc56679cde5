"""Finding live services the NATS micro way: every instance answers $SRV.<VERB>."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from nats.aio.client import Client
from nats.micro.service import ServiceVerb, control_subject


async def collect(
    nc: Client, verb: ServiceVerb, name: str | None = None, wait: float = 0.5
) -> list[dict[str, Any]]:
    """Every answer to ``$SRV.<verb>[.<name>]`` that arrives within ``wait`` seconds."""
    inbox = nc.new_inbox()
    answers: list[dict[str, Any]] = []

    async def on_answer(msg: Any) -> None:
        with contextlib.suppress(ValueError):
            answers.append(json.loads(msg.data))

    sub = await nc.subscribe(inbox, cb=on_answer)
    try:
        await nc.publish(control_subject(verb, name=name), b"", reply=inbox)
        await nc.flush()
        await asyncio.sleep(wait)
    finally:
        await sub.unsubscribe()
    return answers


async def wait_for_instances(
    nc: Client, name: str, count: int, timeout: float, interval: float = 0.1
) -> int:
    """Poll PING until ``count`` instances of service ``name`` answer; the number seen."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    seen = 0
    while loop.time() < end:
        seen = len(await collect(nc, ServiceVerb.PING, name, wait=interval))
        if seen >= count:
            break
    return seen
