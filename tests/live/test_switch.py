"""The acceptance test of the live config: two routers under a steady stream of events
across an apply (and a rollback). Every event gets a decision, from the old config or
the new one; none is lost or errors; once both routers run the new one, every event
follows it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from hookwire import client as hw

from ._kit import (
    A,
    B,
    Stream,
    following_router,
    hookwire,
    put_config,
    revision_in,
    seen,
    unexpected,
    wait_until,
    workers,
    write_config,
)

pytestmark = pytest.mark.integration


async def test_every_event_across_an_apply_gets_the_old_or_the_new_decision(
    url: str, tmp_path: Path
) -> None:
    a, b = write_config(tmp_path, A), write_config(tmp_path, B)
    await put_config(url, a)
    async with (
        workers(url, "lv_stamp", "lv_extra"),
        following_router(url, a) as (one, _),
        following_router(url, a) as (two, _),
        await hw.connect(url, timeout=10) as gateway,
    ):
        stream = Stream(gateway)
        stream.start()
        await asyncio.sleep(0.3)
        applied = await hookwire("apply", str(b), "--nats", url)
        new = revision_in(applied.out)
        await wait_until(lambda: one.revision == two.revision == new, 10, "both routers on B")
        switched = time.monotonic()
        await asyncio.sleep(0.5)
        results = await stream.stop()
        served = (sum(one.counts.values()), sum(two.counts.values()))
    assert applied.code == 0, applied.err
    assert len(results) == stream.sent > 200
    assert unexpected(results, A, B) == []
    after = [r for r in results if r.sent_at > switched]
    assert unexpected(after, B) == []
    assert (seen(results, A) > 0, seen(after, B) > 0) == (True, True)
    assert min(served) > 0, served


async def test_every_event_across_a_rollback_gets_the_old_or_the_new_decision(
    url: str, tmp_path: Path
) -> None:
    a, b = write_config(tmp_path, A), write_config(tmp_path, B)
    await put_config(url, a)
    await put_config(url, b)
    async with (
        workers(url, "lv_stamp", "lv_extra"),
        following_router(url, a) as (one, _),
        following_router(url, a) as (two, _),
        await hw.connect(url, timeout=10) as gateway,
    ):
        stream = Stream(gateway)
        stream.start()
        await asyncio.sleep(0.3)
        rolled = await hookwire("rollback", "--nats", url)
        new = revision_in(rolled.out)
        await wait_until(lambda: one.revision == two.revision == new, 10, "both routers on A")
        switched = time.monotonic()
        await asyncio.sleep(0.5)
        results = await stream.stop()
    assert rolled.code == 0, rolled.err
    assert len(results) == stream.sent
    assert unexpected(results, A, B) == []
    after = [r for r in results if r.sent_at > switched]
    assert unexpected(after, A) == []
    assert (seen(results, B) > 0, seen(after, A) > 0) == (True, True)
