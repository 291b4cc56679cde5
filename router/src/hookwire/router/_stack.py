"""A whole hookwire deployment in one process tree: NATS (embedded unless given), a
router, and a supervised worker pool per configured plugin. Used by ``hookwire up``,
``hookwire demo`` and the end-to-end tests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import math
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import msgspec
import nats.errors
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg

from hookwire.router.config._load import Config
from hookwire.router.errors import LiveConfigError, StackError
from hookwire.router.live._discovery import wait_for_services
from hookwire.router.live._follower import Follower, LiveConfig
from hookwire.router.live._running import remove_running, write_running
from hookwire.router.live._store import ConfigRecord, ConfigStore, same_config
from hookwire.router.live._switch import PoolsLive, RouterLive
from hookwire.router.pipeline._service import Router
from hookwire.router.pipeline._streams import prepare_streams
from hookwire.router.pools._embedded import EmbeddedNats
from hookwire.router.pools._folders import folders
from hookwire.router.pools._generated import cpex_plugin_folder
from hookwire.router.pools._health import HealthCheck
from hookwire.router.pools._supervisor import PoolSpec, Supervisor
from hookwire.router.pools._venv import VenvManager
from hookwire.router.pools._venvs import prepare_venvs
from hookwire.router.security import Credentials, worker_role
from hookwire.schemas import PoolsStatus, WorkerExited, subjects
from hookwire.service import NatsAuth, Service, connect, redact_url

log = structlog.get_logger("hookwire.up")
_encode = msgspec.json.Encoder().encode


#: A pool's NATS credentials as variables of its processes (``HOOKWIRE_NATS_*``).
AuthEnv = Callable[[str], Mapping[str, str]]


def pool_specs(
    config: Config,
    data_dir: Path,
    extra_env: Mapping[str, str] | None = None,
    auth_env: AuthEnv | None = None,
) -> list[PoolSpec]:
    """One pool per enabled plugin that has a folder (a manifest) to run; a cpex class
    entry gets a folder written under ``data_dir``; ``auth_env`` gives each pool its own
    credentials (by plugin name)."""
    env = {"HOOKWIRE_DATA_DIR": str(data_dir), **(extra_env or {})}
    pools: dict[str, PoolSpec] = {}  # by plugin package: config entries of one kind share it
    for p in config.plugins.values():
        folder = p.path
        if folder is None and p.manifest is not None and p.manifest.cpex is not None:
            folder = cpex_plugin_folder(p.manifest, data_dir)  # a ContextForge class entry
        if p.enabled and folder is not None and p.manifest is not None:
            name = p.manifest.name
            workers = max(p.entry.workers, pools[name].workers if name in pools else 0)
            # resolved: the same folder reached from another config folder is the same pool
            where = folder.resolve()
            own = {**env, **(auth_env(name) if auth_env else {})}
            pools[name] = PoolSpec(plugin=name, plugin_dir=where, workers=workers, env=own)
    return list(pools.values())


class Stack:
    """Start with ``async with Stack(config, ...) as stack``; everything stops on exit."""

    def __init__(
        self,
        config: Config,
        *,
        nats_url: str | None = None,
        data_dir: Path | None = None,
        ready_timeout: float = 60.0,
        worker_env: Mapping[str, str] | None = None,
        venv_dir: Path | None = None,
        router: bool = True,
        follow: bool = False,
        seed: ConfigRecord | None = None,
        nats_wait: float = 30.0,
        confirm_overwrite: Callable[[str], bool] | None = None,
        auth: NatsAuth | None = None,
        secure: bool = True,
    ) -> None:
        """``follow``: follow the live config (the current revision, when one loads,
        replaces ``config`` at start); ``seed``: store this revision first unless it is
        the current one (``hookwire up`` storing its own config); ``nats_wait``: seconds
        to wait for a NATS given by URL at start.

        ``auth``: the credentials for an external ``nats_url`` (default: the
        ``HOOKWIRE_NATS_*`` variables), used by every part. The embedded server runs with
        the roles (``secure``): each part connects as its own role, each pool as its
        plugin's worker, with creds made in ``<data dir>/creds``."""
        self.nats_wait = nats_wait
        self.with_router = router
        self.follow = follow
        self.seed = seed
        #: asked before ``seed`` replaces the live config of an external NATS
        self.confirm_overwrite = confirm_overwrite
        #: the live config revision running (None: ``config`` came from a file)
        self.revision: int | None = None
        self.follower: Follower | None = None
        self._pools_live: PoolsLive | None = None
        self._router_live: RouterLive | None = None
        where = folders(config, data_dir=data_dir, venv_dir=venv_dir)
        self.venv_dir = where.venvs
        self.worker_env = dict(worker_env or {})
        self.config = config
        self.data_dir = where.data
        self.nats_url = nats_url
        self.auth = auth
        self.secure = secure
        #: the deployment's credentials, when the embedded server runs with the roles
        self.credentials: Credentials | None = None
        self.router_nc: Client | None = None
        self.ready_timeout = ready_timeout
        self.embedded: EmbeddedNats | None = None
        self.nc: Client | None = None
        self.router: Router | None = None
        self.supervisor: Supervisor | None = None
        #: made at start; its ``record`` says which venvs were created or reused
        self.venv_manager: VenvManager | None = None
        self._status_service: Service | None = None
        self.health: HealthCheck | None = None
        self._lock: IO[str] | None = None

    @property
    def url(self) -> str:
        assert self.nats_url is not None
        return self.nats_url

    def auth_for(self, role: str) -> NatsAuth:
        """The credentials ``role`` connects with."""
        if self.credentials is not None:
            return NatsAuth(creds=str(self.credentials.creds(role)))
        return self.auth if self.auth is not None else NatsAuth.from_env()

    def _pool_auth_env(self, plugin: str) -> Mapping[str, str]:
        return self.auth_for(worker_role(plugin)).child_env()

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.nats_url is None:
            self._lock = lock_data_dir(self.data_dir)
            server_config = None
            if self.secure:
                self.credentials = Credentials.ensure(self.data_dir)
                server_config = self.credentials.server_config
            self.embedded = EmbeddedNats(self.data_dir, config=server_config)
            await self.embedded.start()
            self.nats_url = self.embedded.url
        try:
            name = "hookwire-up" if self.with_router else "hookwire-workers"
            attempts = max(1, math.ceil(self.nats_wait / 0.5))  # 0.5 s apart at first
            self.nc = await connect(
                self.url, name, attempts=attempts, auth=self.auth_for("supervisor")
            )
        except (OSError, TimeoutError, nats.errors.Error) as exc:
            raise StackError(f"cannot connect to NATS at {redact_url(self.url)}: {exc}") from None
        if self.follow:
            await self._open_live(self.nc)
        if self.with_router:
            self.router_nc = await connect(
                self.url, "hookwire-up-router", auth=self.auth_for("router")
            )
            self.router = Router(self.router_nc, self.config)
            self.router.revision = self.revision
            if self.follower is not None:
                self._router_live = RouterLive(self.router)
            await self.router.start()
        else:  # no router here: the supervisor makes the durable consumers of its config
            await prepare_streams(self.nc, self.config)
        self.venv_manager = VenvManager(self.venv_dir)
        specs, failed = await self._make_specs(self.config)
        settings = self.config.settings
        self.supervisor = Supervisor(
            specs,
            self.url,
            cooldown=settings.pool_cooldown,
            rebuild=self._rebuild,
            on_exit=self._announce_exit,
        )
        for plugin, error in failed.items():
            self.supervisor.mark_failed(plugin, error)
        await self.supervisor.start()
        await self._serve_status(self.nc, self.supervisor)
        self.health = HealthCheck(
            self.supervisor, self.nc, interval=settings.worker_health_interval
        )
        self.health.start()
        await self._wait_ready()
        write_running(self.data_dir, self.url, secured=self.credentials is not None)
        if self.follower is not None:
            self._pools_live = PoolsLive(self.supervisor, self.nc, self._make_specs)
            self.follower.begin(self._apply_live)

    async def _make_specs(self, config: Config) -> tuple[list[PoolSpec], dict[str, str]]:
        specs = pool_specs(config, self.data_dir, self.worker_env, self._pool_auth_env)
        return await prepare_venvs(specs, self.venv_dir, self.venv_manager)

    async def _announce_exit(self, plugin: str, pid: int, code: int | None, alive: int) -> None:
        """Tell every router that a worker died (its calls in flight end at once)."""
        if self.nc is not None and self.nc.is_connected:
            notice = WorkerExited(plugin=plugin, pid=pid, code=code, alive=alive)
            await self.nc.publish(subjects.worker_exited(plugin), _encode(notice))

    async def _rebuild(self, spec: PoolSpec) -> PoolSpec:
        """Make ``spec``'s venv again (it vanished, or its build failed before)."""
        assert self.venv_manager is not None
        base = dataclasses.replace(spec, python=sys.executable)
        ready, failed = await prepare_venvs([base], self.venv_dir, self.venv_manager)
        if spec.plugin in failed:
            raise StackError(f"venv of {spec.plugin!r} could not be made: {failed[spec.plugin]}")
        return ready[0]

    async def _open_live(self, nc: Client) -> None:
        """Store the seed if it is new, then follow; without JetStream, run ``config``."""
        try:
            if self.credentials is not None:  # only the operator may make and write it
                await self._store_seed()
                store = await ConfigStore.open(nc, create=False)
            else:
                store = await ConfigStore.open(nc)
                if self.seed is not None:
                    if self.embedded is None:  # another deployment's config may be live there
                        current = await store.current()
                        if current is not None and not same_config(current.record, self.seed):
                            self._may_overwrite(current.revision, current.record)
                    revision, stored = await store.put_if_changed(self.seed)
                    if stored:
                        log.info("up.config.stored", revision=revision, file=self.seed.file)
            self.follower = await Follower.open(store, "up" if self.with_router else "workers")
        except LiveConfigError as exc:
            log.warning("live.config.unavailable", error=str(exc), runs=self.config.file)
            return
        initial = self.follower.initial
        if initial is not None:
            self.config, self.revision = initial.config, initial.revision

    def _may_overwrite(self, revision: int, record: ConfigRecord) -> None:
        """Another deployment's live config is on this (external) NATS: replace it only
        when ``confirm_overwrite`` says so (``--force``, or a yes on a terminal)."""
        what = (
            f"NATS {self.nats_url} already has a live config (revision {revision}, "
            f"{record.action} of {record.file} by {record.applied_by} at {record.applied_at})"
        )
        if self.confirm_overwrite is None or not self.confirm_overwrite(what):
            raise StackError(
                f"{what}; not replacing it with {self.config.file}. Pass --force to replace "
                "it, --no-follow to run the file without storing it, or use `hookwire apply`"
            )
        log.warning("up.config.overwrite", revision=revision, file=record.file)

    async def _store_seed(self) -> None:
        """As the operator: make the bucket, and store the seed unless it is current."""
        operator = await connect(self.url, "hookwire-up-operator", auth=self.auth_for("operator"))
        try:
            store = await ConfigStore.open(operator)
            if self.seed is not None:
                revision, stored = await store.put_if_changed(self.seed)
                if stored:
                    log.info("up.config.stored", revision=revision, file=self.seed.file)
        finally:
            await operator.close()

    async def _apply_live(self, live: LiveConfig) -> None:
        """Pools first (what the revision adds starts), then the router (which waits for it)."""
        if self.router is None and self.nc is not None:
            await prepare_streams(self.nc, live.config)
        if self._pools_live is not None:
            await self._pools_live.apply(live)
        if self._router_live is not None:
            await self._router_live.apply(live)
        self.config, self.revision = live.config, live.revision

    async def _serve_status(self, nc: Client, supervisor: Supervisor) -> None:
        service = Service(
            nc,
            name=subjects.SUPERVISOR_SERVICE,
            version="0.1.0",
            description="hookwire worker pools",
            metadata={"pid": str(os.getpid())},
            stats_data=lambda: PoolsStatus(pools=supervisor.status()),
        )

        async def status(msg: Msg) -> bytes:
            return _encode(PoolsStatus(pools=supervisor.status()))

        await service.start()
        await service.add_endpoint(
            "status",
            subjects.SUPERVISOR_STATUS,
            subjects.SUPERVISOR_QUEUE,  # none: every supervisor answers
            status,
            lambda exc: _encode(PoolsStatus()),
        )
        self._status_service = service

    async def _wait_ready(self) -> None:
        """Until every pool serves all its workers or has failed (shown, healing later)."""
        assert self.nc is not None and self.supervisor is not None
        loop = asyncio.get_running_loop()
        end = loop.time() + self.ready_timeout
        seen: dict[str, int] = {}
        while True:
            pools = [p for p in self.supervisor.pools.values() if not p.failed]
            wanted = {subjects.worker_service(p.spec.plugin): p.spec.workers for p in pools}
            if not wanted:
                break
            seen = await wait_for_services(self.nc, wanted, max(0.0, min(1.0, end - loop.time())))
            if all(seen[n] >= c for n, c in wanted.items()) or loop.time() >= end:
                break
        pools = [p for p in self.supervisor.pools.values() if not p.failed]
        for pool in pools:  # a failed pool is reported by status and describe(); others run
            ready = seen.get(subjects.worker_service(pool.spec.plugin), 0)
            if ready < pool.spec.workers:
                raise StackError(
                    f"pool {pool.spec.plugin!r}: {ready} of {pool.spec.workers} workers ready "
                    f"after {self.ready_timeout:.0f}s (last error: {pool.last_error or 'none'})"
                )

    async def stop(self) -> None:
        """Drain the router, then the workers; close NATS; stop the embedded server."""
        if self.follower is not None:
            await self.follower.stop()
        if self._pools_live is not None:
            await self._pools_live.stop()
        if self.router is not None:
            await self.router.drain()
        if self._status_service is not None:
            await self._status_service.drain()
        if self.health is not None:
            await self.health.stop()
        if self.supervisor is not None:
            await self.supervisor.stop()
        if self.router_nc is not None and not self.router_nc.is_closed:
            await self.router_nc.close()
        if self.nc is not None and not self.nc.is_closed:
            await self.nc.close()
        remove_running(self.data_dir)
        if self.embedded is not None:
            await self.embedded.stop()
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock
            self._lock = None

    def failed_pools(self) -> list[str]:
        """The plugins whose pool is failed right now."""
        if self.supervisor is None:
            return []
        return [name for name, pool in self.supervisor.pools.items() if pool.failed]

    def describe(self) -> list[str]:
        """Where everything runs, for people."""
        where = f"embedded, JetStream in {self.data_dir / 'nats'}" if self.embedded else "external"
        lines = [f"  nats     {redact_url(self.url)} ({where})"]
        if self.credentials is not None:
            creds = self.credentials.creds_dir
            lines.append(f"  access   roles only, no anonymous client; creds in {creds}")
        elif self.embedded is not None:
            lines.append("  access   OPEN: anyone reaching the port may do anything (--insecure)")
        if self.with_router:
            lines.append(
                f"  router   {subjects.hook_wildcard()} in queue {subjects.ROUTER_QUEUE}; "
                f"{self.config.file}: {len(self.config.rules)} "
                + ("rule" if len(self.config.rules) == 1 else "rules")
                + (f", live revision {self.revision}" if self.revision is not None else "")
            )
        if self.follower is not None:
            lines.append("  config   follows the live config (hookwire apply, hookwire rollback)")
        if self.supervisor is not None:
            rows = self.supervisor.status()
            width = max([16, *(len(row.plugin) for row in rows)])
            for row in rows:
                if row.failed:
                    error = str(row.last_error).strip().replace("\n", "\n             ")
                    lines.append(f"  pool     {row.plugin:<{width}} FAILED: {error}")
                    continue
                pids = ",".join(map(str, row.pids))
                venv = Path(row.python).parent.parent.name
                lines.append(
                    f"  pool     {row.plugin:<{width}} {row.alive}/{row.workers} "
                    f"{'worker' if row.workers == 1 else 'workers'}, pid {pids}, venv {venv}"
                )
        lines.append(f"  venvs    {self.venv_dir}")
        lines.append(f"  data     {self.data_dir}")
        return lines

    async def __aenter__(self) -> Self:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


LOCK_FILE = "hookwire.lock"


def lock_data_dir(data_dir: Path) -> IO[str]:
    """Hold the data folder for this process (its embedded NATS store, its live config).

    A second ``hookwire up`` on the same folder would run a second nats-server on the
    same JetStream store: it gets a clear error instead. The lock goes with the process.
    """
    path = data_dir / LOCK_FILE
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise StackError(
            f"data folder {data_dir} is in use by {holder} (lock {path}); stop it, or "
            "give this run its own --data-dir"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"hookwire up, pid {os.getpid()}\n")
    handle.flush()
    return handle


def default_data_dir(config: Config) -> Path:
    """The data folder of ``config`` with no ``--data-dir``: see
    :func:`~hookwire.router.pools._folders.folders`."""
    return folders(config).data
