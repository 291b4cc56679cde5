"""Routers follow the live config: which config a router starts on, what it does with a
revision it cannot load, how it waits for the pools a revision adds."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import structlog
from nats.aio.client import Client as NatsClient

from hookwire import client as hw
from hookwire.router.live._routers import following_routers
from hookwire.router.live._store import new_record
from hookwire.service import connect

from ._kit import (
    A,
    B,
    Variant,
    following_router,
    hookwire_command,
    outcome,
    put_config,
    put_record,
    wait_until,
    workers,
    write_config,
)

pytestmark = pytest.mark.integration


async def send(url: str, word: str) -> tuple[object, ...]:
    async with await hw.connect(url, timeout=10) as gateway:
        return outcome(await gateway.tool_pre_invoke("lookup", {"word": word}))


async def test_router_started_later_runs_the_live_config_not_its_file(
    url: str, tmp_path: Path
) -> None:
    a, b = write_config(tmp_path, A), write_config(tmp_path, B)
    live = await put_config(url, b)
    async with workers(url, "lv_stamp", "lv_extra"), following_router(url, a) as (router, _):
        got = await send(url, "gamma")
    assert (router.revision, got) == (live, B.expect("gamma"))


async def test_router_runs_its_file_while_no_config_is_live(url: str, tmp_path: Path) -> None:
    a = write_config(tmp_path, A)
    async with workers(url, "lv_stamp"), following_router(url, a) as (router, follower):
        got = await send(url, "gamma")
    assert (router.revision, follower is not None, got) == (None, True, A.expect("gamma"))


async def test_router_takes_the_first_revision_applied_after_it_started(
    url: str, tmp_path: Path
) -> None:
    a, b = write_config(tmp_path, A), write_config(tmp_path, B)
    async with workers(url, "lv_stamp", "lv_extra"), following_router(url, a) as (router, _):
        live = await put_config(url, b)
        await wait_until(lambda: router.revision == live, 10, "the router to take B")
        got = await send(url, "gamma")
    assert got == B.expect("gamma")


async def test_no_follow_router_ignores_the_live_config(url: str, tmp_path: Path) -> None:
    a, b = write_config(tmp_path, A), write_config(tmp_path, B)
    await put_config(url, b)
    async with (
        workers(url, "lv_stamp", "lv_extra"),
        following_router(url, a, follow=False) as (router, follower),
    ):
        got = await send(url, "gamma")
    assert (router.revision, follower, router.following, got) == (
        None,
        None,
        False,
        A.expect("gamma"),
    )


async def test_revision_that_does_not_load_here_is_logged_and_the_router_keeps_its_config(
    url: str, tmp_path: Path
) -> None:
    """Its plugin folder is missing on this host: the router says why and serves A."""
    a = write_config(tmp_path, A)
    running = await put_config(url, a)
    elsewhere = tmp_path / "other-host"  # relative plugin_dirs resolve under it: missing
    record = new_record(a.read_text(), elsewhere / "hookwire.yaml", elsewhere)
    async with workers(url, "lv_stamp"), following_router(url, a) as (router, follower):
        assert follower is not None
        with structlog.testing.capture_logs() as logs:
            bad = await put_record(url, record)
            await wait_until(lambda: follower.seen == bad, 10, "the router to see it")
            await wait_until(lambda: rejected(logs) != [], 10, "the rejection to be logged")
        got = await send(url, "alpha")
    rejected_ = rejected(logs)
    assert (router.revision, got) == (running, A.expect("alpha"))
    assert [e["revision"] for e in rejected_] == [bad]
    assert "does not exist" in " ".join(rejected_[0]["problems"])


def rejected(logs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [e for e in logs if e["event"] == "config.live.rejected"]


async def test_router_swaps_only_once_the_pool_a_revision_adds_answers(
    url: str, tmp_path: Path
) -> None:
    a, b = write_config(tmp_path, A), write_config(tmp_path, B)
    running = await put_config(url, a)
    async with workers(url, "lv_stamp"), following_router(url, a) as (router, _):
        live = await put_config(url, b)
        await asyncio.sleep(1.0)
        waiting = (router.revision, await send(url, "gamma"))
        async with workers(url, "lv_extra"):
            await wait_until(lambda: router.revision == live, 10, "the swap")
            got = await send(url, "gamma")
    assert waiting == (running, A.expect("gamma"))
    assert got == B.expect("gamma")


async def test_router_swaps_after_pool_wait_when_the_pool_never_comes(
    url: str, tmp_path: Path
) -> None:
    """The wait is bounded: then the plugin's on_error decides (fail: block)."""
    a, b = write_config(tmp_path, A), write_config(tmp_path, B)
    await put_config(url, a)
    async with workers(url, "lv_stamp"), following_router(url, a, pool_wait=0.5) as (router, _):
        with structlog.testing.capture_logs() as logs:
            live = await put_config(url, b)
            await wait_until(lambda: router.revision == live, 10, "the swap")
    missing = [e["pools"] for e in logs if e["event"] == "router.config.pools_missing"]
    assert missing == [["hookwire-plugin-lv_extra"]]


async def test_routers_report_their_revision_in_stats(url: str, tmp_path: Path) -> None:
    a = write_config(tmp_path, A)
    live = await put_config(url, a)
    async with (
        following_router(url, a) as (one, _),
        following_router(url, a) as (two, _),
        following_router(url, a, follow=False),
    ):
        nc = await connect(url, "test-stats")
        try:
            seen = await following_routers(nc)
        finally:
            await nc.close()
    assert seen == {one.service.id: live, two.service.id: live}


async def test_hookwire_router_command_follows_the_live_config(url: str, tmp_path: Path) -> None:
    """It starts on the live revision (B, not its file's A), then takes C when applied."""
    a, b = write_config(tmp_path, A), write_config(tmp_path, B)
    started_on = await put_config(url, b)
    log = (tmp_path / "router.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        *hookwire_command("router", "--config", str(a), "--nats", url, "--log-json"),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    try:
        async with workers(url, "lv_stamp", "lv_extra"):
            nc = await connect(url, "test-stats")
            try:
                await until_routers_on(nc, started_on)
                first = await send(url, "gamma")
                live = await put_config(url, write_config(tmp_path, Variant("C", ())))
                await until_routers_on(nc, live)
                then = await send(url, "gamma")
            finally:
                await nc.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 20)
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        log.close()
    assert (first, then) == (B.expect("gamma"), ("allow", ("C",))), (
        tmp_path / "router.log"
    ).read_text()[-3000:]
    assert proc.returncode == 0


async def until_routers_on(nc: NatsClient, revision: int, timeout: float = 30) -> None:
    """Until exactly one following router answers STATS, on ``revision``."""
    end = asyncio.get_running_loop().time() + timeout
    while list((await following_routers(nc)).values()) != [revision]:
        if asyncio.get_running_loop().time() > end:
            raise TimeoutError(f"no router on revision {revision} after {timeout}s")
