"""Supervisors follow the live config: pools start, stop and resize with no restart and
no event failed. Real worker processes in their plugin venvs (the session's venv folder)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
from nats.micro.service import ServiceVerb

from hookwire import client as hw
from hookwire.router import load_config
from hookwire.router._stack import Stack, StackError
from hookwire.router.live._discovery import collect
from hookwire.router.live._store import read_config_file
from hookwire.schemas import subjects
from hookwire.service import connect

from ._kit import (
    A,
    B,
    Stream,
    Variant,
    following_router,
    live_revision,
    outcome,
    put_config,
    seen,
    unexpected,
    wait_until,
    write_config,
)

pytestmark = pytest.mark.integration

STAMP, EXTRA = subjects.worker_service("lv_stamp"), subjects.worker_service("lv_extra")
#: A with two lv_stamp workers
A2 = dataclasses.replace(A, workers=2)


@contextlib.asynccontextmanager
async def supervisor(url: str, seed: Path) -> AsyncIterator[Stack]:
    """``hookwire workers --config SEED`` in-process: pools only, following the live config."""
    async with Stack(load_config(seed), nats_url=url, router=False, follow=True) as stack:
        yield stack


async def instances(url: str, name: str) -> int:
    """How many processes of service ``name`` answer PING."""
    nc = await connect(url, "test-counter")
    try:
        return len(await collect(nc, ServiceVerb.PING, name, wait=0.3))
    finally:
        await nc.close()


async def count_becomes(url: str, name: str, count: int, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while (n := await instances(url, name)) != count:
        if time.monotonic() > end:
            raise TimeoutError(f"{name}: {n} instances answer PING, not {count}")


def pids(stack: Stack, plugin: str) -> list[int]:
    assert stack.supervisor is not None
    rows = {row.plugin: msgspec.to_builtins(row) for row in stack.supervisor.status()}
    return [int(pid) for pid in rows[plugin]["pids"]]


async def test_apply_adding_a_plugin_starts_its_pool_and_fails_no_event(
    url: str, tmp_path: Path
) -> None:
    """Routers swap to B only once lv_extra's new pool answers."""
    a, b = write_config(tmp_path, A), write_config(tmp_path, B)
    await put_config(url, a)
    async with (
        supervisor(url, a),
        following_router(url, a) as (one, _),
        following_router(url, a) as (two, _),
        await hw.connect(url, timeout=20) as gateway,
    ):
        stream = Stream(gateway)
        stream.start()
        await asyncio.sleep(0.3)
        new = await put_config(url, b)
        await wait_until(lambda: one.revision == two.revision == new, 60, "both routers on B")
        switched = time.monotonic()
        await asyncio.sleep(0.3)
        results = await stream.stop()
        extra = await instances(url, EXTRA)
    assert len(results) == stream.sent
    assert unexpected(results, A, B) == []
    assert unexpected([r for r in results if r.sent_at > switched], B) == []
    assert (seen(results, A) > 0, extra) == (True, 1)


async def test_apply_removing_a_plugin_stops_its_pool_and_fails_no_event(
    url: str, tmp_path: Path
) -> None:
    """lv_extra's pool drains only once both routers run A and finished B's events (which
    call lv_extra after a 1.2 s lv_stamp call: long after the routers swapped)."""
    slow_b = dataclasses.replace(B, sleep=1.2)
    a, b = write_config(tmp_path, A), write_config(tmp_path, slow_b)
    await put_config(url, b)
    async with (
        supervisor(url, b) as stack,
        following_router(url, a) as (one, _),
        following_router(url, a) as (two, _),
        await hw.connect(url, timeout=20) as gateway,
    ):
        extra_pids = pids(stack, "lv_extra")
        stream = Stream(gateway)
        stream.start()
        await asyncio.sleep(0.3)
        new = await put_config(url, a)
        await wait_until(lambda: one.revision == two.revision == new, 30, "both routers on A")
        assert stack.supervisor is not None
        pools = stack.supervisor.pools
        await wait_until(lambda: "lv_extra" not in pools, 30, "lv_extra's pool to go")
        await asyncio.sleep(0.3)
        results = await stream.stop()
        await count_becomes(url, EXTRA, 0)
    assert len(results) == stream.sent
    assert unexpected(results, A, slow_b) == []
    assert (seen(results, slow_b) > 0, len(extra_pids)) == (True, 1)


async def test_workers_1_to_2_adds_a_process_beside_the_running_one(
    url: str, tmp_path: Path
) -> None:
    one, two = write_config(tmp_path, A), write_config(tmp_path, A2)
    await put_config(url, one)
    async with supervisor(url, one) as stack:
        before = pids(stack, "lv_stamp")
        await put_config(url, two)
        await count_becomes(url, STAMP, 2)
        after = pids(stack, "lv_stamp")
    assert (len(before), len(after), set(before) <= set(after)) == (1, 2, True)


async def test_workers_2_to_1_stops_one_process(url: str, tmp_path: Path) -> None:
    two, one = write_config(tmp_path, A2), write_config(tmp_path, A)
    await put_config(url, two)
    async with supervisor(url, two) as stack:
        before = pids(stack, "lv_stamp")
        await put_config(url, one)
        await count_becomes(url, STAMP, 1)
        after = pids(stack, "lv_stamp")
    assert (len(before), len(after), set(after) <= set(before)) == (2, 1, True)


async def test_a_pool_whose_plugin_config_changed_keeps_its_processes(
    url: str, tmp_path: Path
) -> None:
    """Plugin configs travel with each call: a new config restarts no worker."""
    a, a2 = write_config(tmp_path, A), write_config(tmp_path, Variant("A2", ("beta",)))
    await put_config(url, a)
    async with supervisor(url, a) as stack, following_router(url, a) as (router, _):
        before = pids(stack, "lv_stamp")
        new = await put_config(url, a2)
        await wait_until(lambda: stack.revision == router.revision == new, 30, "revision A2")
        async with await hw.connect(url, timeout=10) as gateway:
            result = await gateway.tool_pre_invoke("lookup", {"word": "alpha"})
        after = pids(stack, "lv_stamp")
    assert result.payload.args["stamps"] == ["A2"]
    assert before == after


# -- hookwire up: its own config first -------------------------------------------------


def yes(what: str) -> bool:
    return True


async def test_up_stores_its_file_as_the_live_config_when_it_differs(
    url: str, tmp_path: Path
) -> None:
    a, b = write_config(tmp_path, A), write_config(tmp_path, B)
    await put_config(url, b)
    record, config = read_config_file(a, action="up")
    forced = Stack(config, nats_url=url, follow=True, seed=record, confirm_overwrite=yes)
    async with forced as stack:  # `up --force`: another live config is on this NATS
        async with await hw.connect(url, timeout=10) as gateway:
            got = outcome(await gateway.tool_pre_invoke("lookup", {"word": "gamma"}))
        revision = stack.revision
    assert (revision, await live_revision(url), got) == (2, 2, A.expect("gamma"))


async def test_up_does_not_replace_another_live_config_without_force(
    url: str, tmp_path: Path
) -> None:
    a, b = write_config(tmp_path, A), write_config(tmp_path, B)
    await put_config(url, b)
    record, config = read_config_file(a, action="up")
    with pytest.raises(StackError, match=r"already has a live config \(revision 1.*--force"):
        async with Stack(config, nats_url=url, follow=True, seed=record):
            pass
    assert await live_revision(url) == 1


async def test_up_does_not_store_its_file_again_when_it_is_live(url: str, tmp_path: Path) -> None:
    a = write_config(tmp_path, A)
    await put_config(url, a)
    record, config = read_config_file(a, action="up")
    async with Stack(config, nats_url=url, follow=True, seed=record) as stack:
        revision = stack.revision
    assert (revision, await live_revision(url)) == (1, 1)


async def test_the_same_config_from_another_folder_restarts_no_pool(
    url: str, tmp_path: Path
) -> None:
    """Only the folder differs (its plugin_dirs reach the same plugins): no process restarts."""
    one, two = write_config(tmp_path / "one", A), write_config(tmp_path / "two", A)
    assert one.read_text() == two.read_text()
    await put_config(url, one)
    async with supervisor(url, one) as stack:
        assert stack.supervisor is not None
        pool = stack.supervisor.pools["lv_stamp"]
        before = sorted(pool.slots)
        new = await put_config(url, two)
        await wait_until(lambda: stack.revision == new, 30, "the revision from folder two")
        after = sorted(pool.slots)  # a restart fills new slots beside the old (grow)
    assert before == after == [0]
