"""The supervisor with real worker processes: restarts with backoff, crash loops, draining,
``workers: N`` and ``hookwire workers`` (``hookwire status``: test_stack_pools.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from _nats import NatsServer
from nats.micro.service import ServiceVerb

from hookwire import client as hw
from hookwire.router import load_config
from hookwire.router._stack import Stack
from hookwire.router.live._discovery import collect, wait_for_instances
from hookwire.router.pools._supervisor import Pool, PoolSpec, Supervisor
from hookwire.schemas import subjects
from hookwire.service import connect

from ._plugins import CRASH_AT_IMPORT, ECHO, SLOW, hookwire_command, make_plugin, write_config

pytestmark = pytest.mark.integration


async def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise TimeoutError(f"{what} did not happen within {timeout}s")
        await asyncio.sleep(0.02)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@contextlib.asynccontextmanager
async def supervising(spec: PoolSpec, url: str, **options: float) -> AsyncIterator[Pool]:
    """One pool run by a Supervisor (this interpreter: hookwire.workers is installed)."""
    supervisor = Supervisor([spec], url, **options)  # type: ignore[arg-type]
    await supervisor.start()
    try:
        yield supervisor.pools[spec.plugin]
    finally:
        await supervisor.stop(timeout=10)


@pytest.fixture
def crasher(tmp_path: Path) -> PoolSpec:
    """A pool whose worker process exits with code 3 while importing the plugin."""
    return PoolSpec("iso_crasher", make_plugin(tmp_path, "iso_crasher", CRASH_AT_IMPORT))


# -- restarts and crash loops -------------------------------------------------------


async def spawn_times(pool: Pool, out: list[float]) -> None:
    """Note when each new worker process of slot 0 appears (until cancelled)."""
    last = None
    while True:
        proc = pool.processes.get(0)
        if proc is not None and proc is not last:
            out.append(time.monotonic())
            last = proc
        await asyncio.sleep(0.005)


async def test_crashed_worker_restarts_with_growing_delays(
    crasher: PoolSpec, nats_server: NatsServer
) -> None:
    """The wait from each crash (the supervisor's record) to the next spawn doubles."""
    backoff = 0.4
    spawns: list[float] = []
    async with supervising(
        crasher, nats_server.url, backoff=backoff, max_backoff=10, max_crashes=4, window=60
    ) as pool:
        watcher = asyncio.create_task(spawn_times(pool, spawns))
        await wait_until(lambda: pool.failed, 60, "the fourth crash")
        watcher.cancel()
        crashes = list(pool.crashes)
    assert (pool.restarts, len(crashes), len(spawns)) == (3, 4, 4)
    delays = [spawn - crash for crash, spawn in zip(crashes, spawns[1:], strict=False)]
    assert [d >= backoff * 2**k - 0.01 for k, d in enumerate(delays)] == [True] * 3, delays
    assert delays[0] < delays[1] < delays[2], delays


async def test_crash_looping_pool_is_failed_and_stays_down(
    crasher: PoolSpec, nats_server: NatsServer
) -> None:
    async with supervising(
        crasher, nats_server.url, backoff=0.05, max_backoff=0.1, max_crashes=3, window=60
    ) as pool:
        await wait_until(lambda: pool.failed, 30, "the crash loop to be noticed")
        last = pool.processes[0]
        await asyncio.sleep(1.5)  # a restart would come after 0.1 s and crash within ~1 s
        after = (len(pool.crashes), pool.processes[0] is last, pool.alive, pool.restarts)
    assert after == (3, True, 0, 2)


async def test_crashes_spread_wider_than_the_window_keep_restarting(
    crasher: PoolSpec, nats_server: NatsServer
) -> None:
    """Two crashes fail the pool only within 0.2 s; these come at least 0.3 s apart."""
    async with supervising(
        crasher, nats_server.url, backoff=0.3, max_backoff=0.3, max_crashes=2, window=0.2
    ) as pool:
        await wait_until(lambda: pool.restarts >= 3 or pool.failed, 30, "three restarts")
        state = (pool.failed, pool.restarts >= 3)
    assert state == (False, True)


async def test_last_error_has_exit_code_and_last_stderr_line(
    crasher: PoolSpec, nats_server: NatsServer
) -> None:
    async with supervising(crasher, nats_server.url, max_crashes=1) as pool:
        await wait_until(lambda: pool.failed, 30, "the first crash")
    assert pool.last_error == "exit code 3: iso_crasher: exiting on purpose"


# -- pools: processes, queue group, draining ---------------------------------------


async def test_two_workers_per_plugin_serve_in_one_queue_group(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    make_plugin(tmp_path / "plugins", "iso_pair", ECHO, requirements="")
    config = write_config(
        tmp_path, [tmp_path / "plugins"], ["iso_pair"], plugins={"iso_pair": {"workers": 2}}
    )
    stack = Stack(load_config(config), nats_url=nats_server.url, router=False)
    async with stack:
        assert stack.supervisor is not None and stack.nc is not None
        pids = set(stack.supervisor.status()[0].pids)
        infos = await collect(stack.nc, ServiceVerb.INFO, subjects.worker_service("iso_pair"))
    assert len(pids) == 2
    assert {int(info["metadata"]["pid"]) for info in infos} == pids
    groups = {e["queue_group"] for info in infos for e in info["endpoints"]}
    assert groups == {subjects.worker_queue("iso_pair")}


async def test_stop_lets_an_in_flight_call_finish(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path / "plugins", "iso_slow", SLOW, requirements="")
    config = write_config(tmp_path, [tmp_path / "plugins"], ["iso_slow"])
    async with Stack(load_config(config)) as stack:
        assert stack.supervisor is not None
        procs = list(stack.supervisor.pools["iso_slow"].processes.values())
        async with await hw.connect(
            stack.url, timeout=20, auth=stack.auth_for("gateway")
        ) as gateway:
            call = asyncio.create_task(gateway.tool_pre_invoke("lookup", {}))
            await wait_until((plugin / "started").exists, 10, "the call to start")
            await stack.supervisor.stop()
            result = await call
    assert result.payload.args == {"iso_slow": "done"}, result.error
    assert [p.returncode for p in procs] == [0]


# -- hookwire workers ---------------------------------------------------------------


def parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None


@contextlib.asynccontextmanager
async def workers_command(
    tmp_path: Path, url: str
) -> AsyncIterator[tuple[asyncio.subprocess.Process, list[int]]]:
    """``hookwire workers`` for one plugin (2 workers), once they answer PING: (process, pids
    of the workers that answered)."""
    make_plugin(tmp_path / "plugins", "iso_served", ECHO, requirements="")
    config = write_config(
        tmp_path, [tmp_path / "plugins"], ["iso_served"], plugins={"iso_served": {"workers": 2}}
    )
    log = (tmp_path / "workers.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        *hookwire_command("workers", "--config", str(config), "--nats", url, "--log-json"),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    nc = await connect(url, "test-watcher")
    pids: list[int] = []
    try:
        name = subjects.worker_service("iso_served")
        seen = await wait_for_instances(nc, name, 2, 60)
        assert seen == 2, (tmp_path / "workers.log").read_text()[-3000:]
        infos = await collect(nc, ServiceVerb.INFO, name)
        pids = sorted(int(i["metadata"]["pid"]) for i in infos)
        yield proc, pids
    finally:
        await nc.close()
        if proc.returncode is None:  # stop it the clean way: SIGKILL would orphan its workers
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 30)
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        log.close()


async def test_workers_command_starts_the_pools(tmp_path: Path, nats_server: NatsServer) -> None:
    """The workers answering PING are the command's own child processes."""
    async with workers_command(tmp_path, nats_server.url) as (proc, pids):
        parents = [parent_of(pid) for pid in pids]
    assert parents == [proc.pid, proc.pid]


async def test_workers_command_exits_0_on_sigterm_with_workers_gone(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    async with workers_command(tmp_path, nats_server.url) as (proc, pids):
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 30)
    assert code == 0
    assert [alive(pid) for pid in pids] == [False, False]


async def test_workers_stop_when_their_supervisor_is_killed(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    """SIGKILL leaves no orphans: each worker gets SIGTERM from the kernel and drains."""
    async with workers_command(tmp_path, nats_server.url) as (proc, pids):
        proc.kill()
        await proc.wait()
        loop = asyncio.get_running_loop()
        end = loop.time() + 15
        while any(alive(pid) for pid in pids) and loop.time() < end:
            await asyncio.sleep(0.1)
        still = [pid for pid in pids if alive(pid)]
    assert still == []
