"""Following the live config: routers swap their rule index, supervisors reshape pools.

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
from dataclasses import dataclass

import nats.errors
import structlog
from nats.aio.client import Client
from nats.js.kv import KV_DEL, KV_PURGE, KeyValue

from hookwire.router.config._load import Config
from hookwire.router.errors import ConfigError, LiveConfigError
from hookwire.router.live._discovery import collect_stats, router_stats, wait_for_services
from hookwire.router.live._store import (
    ConfigRecord,
    ConfigStore,
    decode_record,
    load_record,
)
from hookwire.router.pipeline._service import Router
from hookwire.router.pools._supervisor import PoolSpec, Supervisor
from hookwire.router.routing._modes import Mode
from hookwire.schemas import subjects

log = structlog.get_logger("hookwire.live")

#: Seconds a router waits for the pools a new revision adds before it swaps anyway.
POOL_WAIT = 60.0
#: Seconds a supervisor waits for routers to leave a revision before it stops its pools.
SETTLE_TIMEOUT = 60.0
#: Seconds to wait for the current value when starting to follow.
OPEN_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class LiveConfig:
    """A revision that loaded on this host."""

    revision: int
    record: ConfigRecord
    config: Config


#: What a follower does with each new revision.
Applier = Callable[[LiveConfig], Awaitable[None]]


class Follower:
    """Watches the live config key.

    ``await Follower.open(store, "router")``: ``initial`` is the revision current then
    (None when none is stored, or it does not load here: that is logged). ``begin(apply)``
    hands each later revision that loads here to ``apply``, one at a time; when several
    arrive during one ``apply`` only the newest is applied next. A revision that does not
    load is logged with every problem, and what runs keeps running.
    """

    def __init__(self, store: ConfigStore, watcher: KeyValue.KeyWatcher, component: str) -> None:
        self.store = store
        self.component = component
        self.initial: LiveConfig | None = None
        #: the newest revision seen (applied or rejected)
        self.seen = 0
        self._watcher = watcher
        self._latest: KeyValue.Entry | None = None
        self._changed = asyncio.Event()
        self._lock = asyncio.Lock()
        self._apply: Applier | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def open(
        cls, store: ConfigStore, component: str, timeout: float = OPEN_TIMEOUT
    ) -> Follower:
        watcher = await store.watch()
        try:
            first = await watcher.updates(timeout)  # type: ignore[no-untyped-call]
        except nats.errors.TimeoutError:
            await watcher.stop()  # type: ignore[no-untyped-call]
            raise LiveConfigError(f"no answer from the live config within {timeout}s") from None
        self = cls(store, watcher, component)
        if first is not None:
            self.seen = first.revision or 0
            self.initial = await self._load(first)
        self._tasks.append(asyncio.get_running_loop().create_task(self._read()))
        return self

    def begin(self, apply: Applier) -> None:
        """Apply every revision newer than ``initial`` with ``apply`` from now on."""
        self._apply = apply
        self._tasks.append(asyncio.get_running_loop().create_task(self._run()))

    async def refresh(self) -> bool:
        """Load and apply the current revision again (SIGHUP); whether it loaded."""
        current = await self.store.current()
        if current is None or self._apply is None:
            return False
        live = await self._build(current.revision, current.record)
        if live is not None:
            await self._call(live)
        return live is not None

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await self._watcher.stop()  # type: ignore[no-untyped-call]

    async def _read(self) -> None:
        async for entry in self._watcher:
            if entry is not None:  # None: "no more history", sent once
                self._latest = entry
                self._changed.set()

    async def _run(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            entry = self._latest
            if entry is None or (entry.revision or 0) <= self.seen:
                continue
            self.seen = entry.revision or 0
            live = await self._load(entry)
            if live is not None:
                await self._call(live)

    async def _call(self, live: LiveConfig) -> None:
        assert self._apply is not None
        async with self._lock:
            try:
                await self._apply(live)
            except Exception:
                log.exception(
                    "config.live.apply_failed", component=self.component, revision=live.revision
                )

    async def _load(self, entry: KeyValue.Entry) -> LiveConfig | None:
        revision = entry.revision or 0
        if entry.operation in (KV_DEL, KV_PURGE) or not entry.value:
            log.warning("config.live.deleted", component=self.component, revision=revision)
            return None
        try:
            record = decode_record(entry.value)
        except LiveConfigError as exc:
            self._rejected(revision, "?", [str(exc)])
            return None
        return await self._build(revision, record)

    async def _build(self, revision: int, record: ConfigRecord) -> LiveConfig | None:
        # ~40 ms for the demo config (schemas, when parsing): off the event loop
        try:
            config = await asyncio.to_thread(load_record, record)
        except ConfigError as exc:
            self._rejected(revision, record.file, [str(p) for p in exc.problems])
            return None
        except Exception as exc:
            self._rejected(revision, record.file, [repr(exc)])
            return None
        return LiveConfig(revision, record, config)

    def _rejected(self, revision: int, file: str, problems: list[str]) -> None:
        log.error(
            "config.live.rejected",
            component=self.component,
            revision=revision,
            file=file,
            problems=problems,
            keeps="the config it runs",
        )


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
    routers have moved on (``_follow`` module docstring)."""

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


__all__ = [
    "Follower",
    "LiveConfig",
    "PoolsLive",
    "RouterLive",
    "called_pools",
    "following_routers",
    "open_follower",
    "routers_behind",
    "start_router",
    "wait_routers_on",
]


async def open_follower(nc: Client, component: str) -> Follower | None:
    """A follower of the live config; None (logged) when NATS has no JetStream."""
    try:
        return await Follower.open(await ConfigStore.open(nc), component)
    except LiveConfigError as exc:
        log.warning("live.config.unavailable", component=component, error=str(exc))
        return None


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
