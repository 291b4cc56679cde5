"""Switching revisions: routers swap their rule index, supervisors reshape pools.

Routers and supervisors watch the key on their own; a switch fails no event because
each side waits for the other where it matters:

1. a supervisor starts at once what a revision adds: pools, processes (``grow``);
2. a router swaps its index only once every pool the new config calls, and the old one
   did not, answers PING (a worker answers PING once it takes requests); events in
   flight finish on the index they started with;
3. a supervisor stops what the revision removed (``shrink``) only once every following
   router runs that revision or a newer one and has no event in flight from an older one
   (routers say so in their micro STATS).

Both waits are bounded (``POOL_WAIT``, ``SETTLE_TIMEOUT``): a pool that never comes up,
or a router that cannot load the revision, is logged and the switch goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable, Mapping

import structlog
from nats.aio.client import Client

from hookwire.router.config._load import Config
from hookwire.router.live._discovery import wait_for_services
from hookwire.router.live._follower import Follower, LiveConfig, open_follower
from hookwire.router.live._routers import wait_routers_on
from hookwire.router.pipeline._service import Router
from hookwire.router.pools._supervisor import PoolSpec, Supervisor
from hookwire.router.routing._modes import Mode
from hookwire.schemas import subjects

log = structlog.get_logger("hookwire.live")

#: Seconds a router waits for the pools a new revision adds before it swaps anyway.
POOL_WAIT = 60.0
#: Seconds a supervisor waits for routers to leave a revision before it stops its pools.
SETTLE_TIMEOUT = 60.0


def called_pools(config: Config) -> set[str]:
    """The worker pools (plugin kinds) the rules of ``config`` may call."""
    return {
        att.instance.worker
        for rule in config.rules
        for att in rule.attachments
        if att.instance.mode is not Mode.DISABLED
    }


class RouterLive:
    """Applies revisions to a router: wait for the pools they add, then swap."""

    def __init__(self, router: Router, *, pool_wait: float = POOL_WAIT) -> None:
        self.router = router
        self.pool_wait = pool_wait
        router.following = True

    async def apply(self, live: LiveConfig) -> None:
        added = called_pools(live.config) - called_pools(self.router.config)
        if added:
            wanted = {subjects.worker_service(p): 1 for p in sorted(added)}
            log.info("router.config.waiting", revision=live.revision, pools=sorted(added))
            seen = await wait_for_services(self.router.nc, wanted, self.pool_wait)
            missing = sorted(name for name, n in seen.items() if n < 1)
            if missing:
                log.warning(
                    "router.config.pools_missing",
                    revision=live.revision,
                    pools=missing,
                    waited=self.pool_wait,
                )
        self.router.reload(live.config, live.revision)
        log.info(
            "router.config.applied",
            revision=live.revision,
            sha256=live.record.sha256[:12],
            file=live.record.file,
            applied_by=live.record.applied_by,
        )


#: Makes the pool specs of a config: (specs, plugins whose venv failed -> why).
SpecMaker = Callable[[Config], Awaitable[tuple[list[PoolSpec], Mapping[str, str]]]]


class PoolsLive:
    """Reshapes a supervisor's pools to each revision: grows at once, shrinks once the
    routers have moved on (this module's docstring)."""

    def __init__(
        self,
        supervisor: Supervisor,
        nc: Client,
        make_specs: SpecMaker,
        *,
        settle_timeout: float = SETTLE_TIMEOUT,
    ) -> None:
        self.supervisor = supervisor
        self.nc = nc
        self.make_specs = make_specs
        self.settle_timeout = settle_timeout
        self._target: tuple[int, frozenset[str]] | None = None
        self._growing = False
        self._kick = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._retire())

    async def apply(self, live: LiveConfig) -> None:
        self._growing = True
        try:
            specs, failed = await self.make_specs(live.config)
            self.supervisor.grow(specs, failed)
        finally:
            self._growing = False
        plugins = frozenset(s.plugin for s in specs)
        self._target = (live.revision, plugins)
        self._kick.set()
        log.info(
            "pools.config.applied",
            revision=live.revision,
            pools={s.plugin: s.workers for s in specs},
            failed=sorted(failed),
        )

    async def _retire(self) -> None:
        while True:
            await self._kick.wait()
            self._kick.clear()
            if self._target is None or self._growing:
                continue
            revision, plugins = self._target
            if not self.supervisor.surplus(plugins):
                continue
            behind = await wait_routers_on(
                self.nc,
                revision,
                self.settle_timeout,
                settled=True,
                give_up=functools.partial(self._moved_on, revision),
            )
            if self._moved_on(revision):
                continue  # a newer revision came meanwhile: its turn
            if behind:
                log.warning("pools.retire.routers_behind", revision=revision, routers=behind)
            await self.supervisor.shrink(plugins)
            log.info("pools.retired", revision=revision)

    def _moved_on(self, revision: int) -> bool:
        return self._growing or self._target is None or self._target[0] != revision

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def start_router(
    nc: Client, config: Config, *, follow: bool = True, pool_wait: float = POOL_WAIT
) -> tuple[Router, Follower | None]:
    """A started router and its follower (None without ``follow`` or JetStream).

    It starts on the live config's current revision when one loads here, else on
    ``config`` (the seed), and follows every later revision.
    """
    follower = await open_follower(nc, "router") if follow else None
    initial = follower.initial if follower is not None else None
    router = Router(nc, initial.config if initial is not None else config)
    if initial is not None:
        router.revision = initial.revision
    live = RouterLive(router, pool_wait=pool_wait) if follower is not None else None
    await router.start()
    if follower is not None and live is not None:
        follower.begin(live.apply)
    return router, follower
