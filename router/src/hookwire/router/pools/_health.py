"""Health checks of supervised workers: a micro PING each, answered by its event loop.

A worker whose event loop is blocked still runs (the supervisor sees it alive) but no
longer answers anything: every event sent to it times out. Each check PINGs every
pool's service (``$SRV.PING.<service>``) and matches answers to processes by the pid
in their metadata. A worker that has not answered ``misses`` checks in a row (after
answering once, or after ``start_grace`` seconds without ever answering) is killed as
hung; the supervisor restarts it like any crash and ``status`` says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import structlog
from nats.aio.client import Client
from nats.micro.service import ServiceVerb, control_subject

from hookwire.router.pools._supervisor import Supervisor
from hookwire.schemas import subjects

log = structlog.get_logger("hookwire.supervisor")

#: Defaults: a hung worker is killed within ``interval * (misses + 1)`` s (25 s) of its
#: last answer.
INTERVAL = 5.0
TIMEOUT = 2.0
MISSES = 4
#: a worker that never answered is counted missing only after this (slow plugin imports)
START_GRACE = 60.0


class HealthCheck:
    """PINGs the supervisor's workers every ``interval`` s until ``stop()``."""

    def __init__(
        self,
        supervisor: Supervisor,
        nc: Client,
        *,
        interval: float = INTERVAL,
        timeout: float = TIMEOUT,
        misses: int = MISSES,
        start_grace: float = START_GRACE,
    ) -> None:
        self.supervisor, self.nc = supervisor, nc
        self.interval, self.timeout, self.misses = interval, timeout, misses
        self.start_grace = start_grace
        self._missed: dict[int, int] = {}
        self._answered: set[int] = set()
        self._first_seen: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None

    def answered(self, pid: int) -> bool:
        """Whether worker ``pid`` has answered a check (from then on, misses count)."""
        return pid in self._answered

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:  # one round every ``interval`` s, its PING wait included
            await asyncio.sleep(max(0.0, self.interval - self.timeout))
            try:
                await self.check()
            except Exception:  # a check that fails (NATS down, say) is logged and retried
                log.warning("health.check.failed", exc_info=True)

    async def check(self) -> None:
        """One round: PING every pool, count misses, kill the hung."""
        if not self.nc.is_connected:
            return  # no verdict while NATS itself is away
        pids = await self._ping(list(self.supervisor.pools))
        now = time.monotonic()
        live: set[int] = set()
        for name, pool in list(self.supervisor.pools.items()):
            for proc in list(pool.processes.values()):
                if proc.returncode is not None:
                    continue
                pid = proc.pid
                live.add(pid)
                first = self._first_seen.setdefault(pid, now)
                if pid in pids:
                    self._answered.add(pid)
                    self._missed.pop(pid, None)
                    continue
                if pid not in self._answered and now - first < self.start_grace:
                    continue  # still starting
                missed = self._missed[pid] = self._missed.get(pid, 0) + 1
                if missed >= self.misses:
                    self._missed.pop(pid, None)
                    waited = self.misses * self.interval
                    self.supervisor.kill_hung(
                        name,
                        pid,
                        f"hung: no answer to PING in {missed} checks ({waited:.0f}s); killed",
                    )
        for gone in set(self._first_seen) - live:
            self._first_seen.pop(gone, None)
            self._answered.discard(gone)
            self._missed.pop(gone, None)

    async def _ping(self, plugins: list[str]) -> set[int]:
        """The pids of every worker that answers within ``timeout``."""
        inbox = self.nc.new_inbox()
        pids: set[int] = set()

        async def on_answer(msg: Any) -> None:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                pids.add(int(json.loads(msg.data)["metadata"]["pid"]))

        sub = await self.nc.subscribe(inbox, cb=on_answer)
        try:
            for plugin in plugins:
                name = subjects.worker_service(plugin)
                await self.nc.publish(control_subject(ServiceVerb.PING, name=name), reply=inbox)
            await self.nc.flush()
            await asyncio.sleep(self.timeout)
        finally:
            await sub.unsubscribe()
        return pids
