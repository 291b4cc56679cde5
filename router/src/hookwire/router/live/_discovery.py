"""Finding live services the NATS micro way: every instance answers $SRV.<VERB>."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from typing import Any

import msgspec
from nats.aio.client import Client
from nats.micro.service import ServiceVerb, control_subject

from hookwire.schemas import MicroPing, MicroStats, RouterStats

_decode_stats = msgspec.json.Decoder(MicroStats).decode
_decode_ping = msgspec.json.Decoder(MicroPing).decode


async def collect(
    nc: Client, verb: ServiceVerb, name: str | None = None, wait: float = 0.5
) -> list[dict[str, Any]]:
    """Every answer to ``$SRV.<verb>[.<name>]`` that arrives within ``wait`` seconds, as
    JSON objects."""
    answers = []
    for data in await collect_raw(nc, verb, name, wait):
        with contextlib.suppress(ValueError):
            answers.append(json.loads(data))
    return answers


async def collect_stats(nc: Client, name: str | None = None, wait: float = 0.5) -> list[MicroStats]:
    """Every ``$SRV.STATS[.<name>]`` answer within ``wait`` seconds (malformed ones skipped)."""
    answers = []
    for data in await collect_raw(nc, ServiceVerb.STATS, name, wait):
        with contextlib.suppress(msgspec.DecodeError):
            answers.append(_decode_stats(data))
    return answers


def router_stats(answer: MicroStats) -> RouterStats:
    """A router's own stats from its STATS answer (the defaults when they do not fit)."""
    try:
        return answer.endpoint_data(RouterStats)
    except msgspec.ValidationError:
        return RouterStats()


async def collect_raw(
    nc: Client, verb: ServiceVerb, name: str | None = None, wait: float = 0.5
) -> list[bytes]:
    """Every non-empty answer to ``$SRV.<verb>[.<name>]`` within ``wait`` seconds."""
    inbox = nc.new_inbox()
    answers: list[bytes] = []

    async def on_answer(msg: Any) -> None:
        if msg.data:  # empty: NATS's no-responders status
            answers.append(msg.data)

    sub = await nc.subscribe(inbox, cb=on_answer)
    try:
        await nc.publish(control_subject(verb, name=name), b"", reply=inbox)
        await nc.flush()
        await asyncio.sleep(wait)
    finally:
        await sub.unsubscribe()
    return answers


async def wait_for_services(
    nc: Client, wanted: Mapping[str, int], timeout: float, interval: float = 0.05
) -> dict[str, int]:
    """PING every service until each name in ``wanted`` has that many instances answering.

    Returns as soon as all are there (or at ``timeout``), with the instances seen per name.
    """
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    seen: dict[str, set[str]] = {name: set() for name in wanted}
    complete = asyncio.Event()

    async def on_answer(msg: Any) -> None:
        with contextlib.suppress(msgspec.DecodeError):
            answer = _decode_ping(msg.data)
            if answer.name in seen:
                seen[answer.name].add(answer.id)
        if all(len(seen[n]) >= c for n, c in wanted.items()):
            complete.set()

    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox, cb=on_answer)
    try:
        while not complete.is_set() and loop.time() < end:
            await nc.publish(control_subject(ServiceVerb.PING), b"", reply=inbox)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(complete.wait(), min(interval, max(0.0, end - loop.time())))
            interval = min(interval * 2, 0.5)
    finally:
        await sub.unsubscribe()
    return {name: len(ids) for name, ids in seen.items()}


async def wait_for_instances(nc: Client, name: str, count: int, timeout: float) -> int:
    """PING until ``count`` instances of service ``name`` answer; the number seen."""
    return (await wait_for_services(nc, {name: count}, timeout))[name]
