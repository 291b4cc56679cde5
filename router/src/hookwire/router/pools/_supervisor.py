"""Worker pools: N processes per plugin, restarted with backoff, failed when they crash-loop."""

from __future__ import annotations

import asyncio
import collections
import ctypes
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import structlog

from hookwire.client import NATS_AUTH_VARS
from hookwire.router.pools._output import Relay
from hookwire.schemas import PoolStatus

log = structlog.get_logger("hookwire.supervisor")


@dataclass(frozen=True, slots=True)
class PoolSpec:
    """What to run for one plugin: ``workers`` processes of ``python -m hookwire.workers``."""

    plugin: str
    plugin_dir: Path
    workers: int = 1
    python: str = sys.executable
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Pool:
    """A plugin's processes and what happened to them."""

    spec: PoolSpec
    processes: dict[int, asyncio.subprocess.Process] = field(default_factory=dict)
    restarts: int = 0
    crashes: collections.deque[float] = field(default_factory=lambda: collections.deque(maxlen=64))
    last_error: str | None = None
    failed: bool = False
    #: slot -> the spec its process runs; a slot left out is not restarted when it exits
    slots: dict[int, PoolSpec] = field(default_factory=dict)
    #: one worker is trying again after a cooldown; the rest start once it holds
    half_open: bool = False
    #: failed cooldowns in a row (each doubles the next)
    retries: int = 0
    #: when the next half-open retry starts (wall clock), while failed
    retry_at: float | None = None
    #: the pool has no venv yet (its build failed): a retry rebuilds it first
    needs_venv: bool = False
    #: slot -> why the supervisor killed its process (a hung worker), for ``last_error``
    kill_reasons: dict[int, str] = field(default_factory=dict)

    @property
    def state(self) -> str:
        return "failed" if self.failed else "half-open" if self.half_open else "ok"

    @property
    def alive(self) -> int:
        return sum(1 for p in self.processes.values() if p.returncode is None)

    def current_slots(self) -> list[int]:
        """The slots running the pool's spec (older specs' slots await ``shrink``)."""
        return sorted(s for s, spec in self.slots.items() if same_kind(spec, self.spec))


def same_kind(a: PoolSpec, b: PoolSpec) -> bool:
    """Whether processes of ``a`` and ``b`` are interchangeable (``workers`` aside)."""
    return replace(a, workers=0) == replace(b, workers=0)


class Supervisor:
    """Starts every pool, restarts crashed workers, drains them all on stop.

    A worker that exits while the supervisor runs is a crash: it is restarted after
    ``backoff * 2**k`` seconds (capped); ``max_crashes`` crashes within ``window``
    seconds mark the pool failed instead of restarting forever. A failed pool is tried
    again after ``cooldown * 2**k`` seconds (capped at ``max_cooldown``): one worker
    starts (half-open); once it has run ``probation`` seconds the pool fills again, and
    if it crashes first the pool is failed again with a doubled cooldown.

    ``rebuild`` (a spec -> the spec with a working venv) makes a venv that vanished, or
    never got made, before a worker starts. ``watch(nc)`` health-checks every worker:
    one that does not answer its micro PING in ``health_misses`` checks in a row is
    killed as hung (and restarted like any crash).
    """

    def __init__(
        self,
        specs: Sequence[PoolSpec],
        nats_url: str,
        *,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_crashes: int = 5,
        window: float = 60.0,
        cooldown: float = 10.0,
        max_cooldown: float = 300.0,
        probation: float = 5.0,
        rebuild: Callable[[PoolSpec], Awaitable[PoolSpec]] | None = None,
        on_exit: Callable[[str, int, int | None, int], Awaitable[None]] | None = None,
    ) -> None:
        self.pools = {s.plugin: Pool(s) for s in specs}
        self.nats_url = nats_url
        self.backoff, self.max_backoff = backoff, max_backoff
        self.max_crashes, self.window = max_crashes, window
        self.cooldown, self.max_cooldown, self.probation = cooldown, max_cooldown, probation
        self.rebuild = rebuild
        #: told (plugin, pid, exit code, workers still alive) of each worker that dies
        self.on_exit = on_exit
        self._stopping = False
        self._tasks: set[asyncio.Task[None]] = set()
        #: processes ``shrink`` is stopping (``stop`` waits for them too)
        self._retiring: set[asyncio.subprocess.Process] = set()

    def mark_failed(self, plugin: str, error: str) -> None:
        """Fail a pool before it starts (its venv could not be made, say)."""
        pool = self.pools[plugin]
        pool.failed, pool.last_error, pool.needs_venv = True, error, True
        log.error("pool.failed", plugin=plugin, last_error=error)
        if self.rebuild is not None:
            self._retry_later(pool)

    async def start(self) -> None:
        for pool in self.pools.values():
            if not pool.failed:
                self._fill(pool)

    def _fill(self, pool: Pool) -> None:
        """Spawn processes until ``spec.workers`` slots run the pool's spec."""
        missing = pool.spec.workers - len(pool.current_slots())
        first = max([*pool.slots, *pool.processes], default=-1) + 1
        for slot in range(first, first + max(0, missing)):
            pool.slots[slot] = pool.spec
            self._spawn_later(pool, slot, 0.0)

    def grow(self, specs: Sequence[PoolSpec], failed: Mapping[str, str] | None = None) -> None:
        """The first half of a config change: start what ``specs`` adds.

        A new plugin gets a pool; a pool gets processes up to its new ``workers``; a
        changed spec (folder, venv, environment) gets new processes beside the old ones.
        Nothing is stopped: ``shrink`` does that once no router calls it any more. A
        plugin in ``failed`` (its venv could not be made) keeps the processes it runs.
        """
        failed = failed or {}
        for spec in specs:
            pool = self.pools.get(spec.plugin)
            if spec.plugin in failed:
                if pool is None or not pool.current_slots():
                    self.pools.setdefault(spec.plugin, Pool(spec))
                    self.mark_failed(spec.plugin, failed[spec.plugin])
                else:
                    pool.last_error = failed[spec.plugin]
                    log.error("pool.update_failed", plugin=spec.plugin, error=pool.last_error)
                continue
            if pool is None:
                pool = self.pools[spec.plugin] = Pool(spec)
            elif not same_kind(pool.spec, spec) and pool.failed:
                pool.failed, pool.last_error = False, None  # a new venv or folder: try again
                pool.crashes.clear()
            if pool.spec != spec:
                log.info("pool.changed", plugin=spec.plugin, workers=spec.workers)
            pool.spec = spec
            if not pool.failed:
                self._fill(pool)

    async def shrink(self, plugins: Collection[str], timeout: float = 30.0) -> None:
        """The second half: stop the pools of plugins not in ``plugins``, the processes of
        a pool's older spec, and those beyond its ``workers``. Each drains (SIGTERM)."""
        doomed: list[asyncio.subprocess.Process] = []
        for name, pool in list(self.pools.items()):
            keep = set(pool.current_slots()[: pool.spec.workers]) if name in plugins else set()
            for slot in [s for s in pool.slots if s not in keep]:
                del pool.slots[slot]
                proc = pool.processes.get(slot)
                if proc is not None and proc.returncode is None:
                    doomed.append(proc)
            if name not in plugins:
                del self.pools[name]
                log.info("pool.removed", plugin=name)
        self._retiring.update(doomed)
        try:
            await _terminate(doomed, timeout)
        finally:
            self._retiring.difference_update(doomed)

    def surplus(self, plugins: Collection[str]) -> bool:
        """Whether ``shrink(plugins)`` would stop anything."""
        return any(
            name not in plugins or len(pool.slots) > len(pool.current_slots()[: pool.spec.workers])
            for name, pool in self.pools.items()
        )

    def _spawn_later(self, pool: Pool, slot: int, delay: float) -> None:
        self._track(self._run_slot(pool, slot, delay), f"slot {slot} of {pool.spec.plugin}")

    def _track(self, work: Awaitable[None], what: str) -> None:
        """Run ``work`` as a task the supervisor keeps (and cancels on stop)."""

        async def guarded() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception:  # a supervision task never dies silently
                log.exception("supervisor.task.failed", task=what)

        task = asyncio.get_running_loop().create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_slot(self, pool: Pool, slot: int, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        spec = pool.slots.get(slot)
        if self._stopping or spec is None:
            return
        proc: asyncio.subprocess.Process | None = None
        try:
            spec = await self._venv_for(pool, slot, spec)
            proc = await self._spawn(spec)
        except Exception as exc:  # the venv is gone and could not be rebuilt, say
            self._crashed(pool, slot, None, [f"cannot start a worker: {exc}"])
            return
        pool.processes[slot] = proc
        log.info("worker.spawned", plugin=spec.plugin, slot=slot, pid=proc.pid)
        if pool.half_open:
            self._track(self._probe(pool, proc), f"probation of {spec.plugin}")
        try:
            tail = await _relay(proc)
            code: int | None = await proc.wait()
        except Exception as exc:  # supervision itself failed: restart the worker, say why
            log.exception("worker.supervision.failed", plugin=spec.plugin, slot=slot)
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            tail, code = [f"supervision failed: {exc!r}"], proc.returncode
        if self._stopping:
            return
        if pool.slots.get(slot) is not spec:  # stopped by shrink: not a crash
            if pool.processes.get(slot) is proc:
                del pool.processes[slot]
            log.info("worker.retired", plugin=spec.plugin, slot=slot, pid=proc.pid, code=code)
            return
        if self.on_exit is not None:  # first: calls in flight on it get their answer now
            try:
                await self.on_exit(spec.plugin, proc.pid, code, pool.alive)
            except Exception:
                log.warning("worker.exit_notice.failed", plugin=spec.plugin, exc_info=True)
        self._crashed(pool, slot, code, tail)

    async def _venv_for(self, pool: Pool, slot: int, spec: PoolSpec) -> PoolSpec:
        """``spec``, with its venv rebuilt first if it vanished (or was never made)."""
        if not pool.needs_venv and Path(spec.python).exists():
            return spec
        if self.rebuild is None:
            raise FileNotFoundError(f"the worker's python {spec.python} does not exist")
        log.warning("pool.venv.rebuild", plugin=spec.plugin, python=spec.python)
        new = await self.rebuild(spec)
        pool.needs_venv = False
        if pool.slots.get(slot) is spec:
            pool.slots[slot] = new
        if pool.spec is spec or same_kind(pool.spec, spec):
            pool.spec = replace(new, workers=pool.spec.workers)
            for other, old in list(pool.slots.items()):
                if same_kind(old, spec):
                    pool.slots[other] = pool.spec
        return pool.slots.get(slot, new)

    async def _spawn(self, spec: PoolSpec) -> asyncio.subprocess.Process:
        inherited = {k: v for k, v in os.environ.items() if k not in NATS_AUTH_VARS}
        env = {**inherited, **spec.env, "HOOKWIRE_NATS_URL": self.nats_url}
        return await asyncio.create_subprocess_exec(
            spec.python,
            "-m",
            "hookwire.workers",
            "--plugin",
            str(spec.plugin_dir),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=die_with_parent,
        )

    def _crashed(self, pool: Pool, slot: int, code: int | None, tail: Sequence[str]) -> None:
        now = time.monotonic()
        pool.crashes.append(now)
        last = tail[-1] if tail else ""
        reason = pool.kill_reasons.pop(slot, None)
        if reason is not None:
            pool.last_error = reason
        elif code is None:
            pool.last_error = last
        else:
            pool.last_error = f"exit code {code}: {last}".strip()
        recent = [t for t in pool.crashes if now - t <= self.window]
        if len(recent) >= self.max_crashes or pool.half_open:
            if pool.half_open:
                pool.retries += 1
            pool.failed, pool.half_open = True, False
            log.error(
                "pool.failed",
                plugin=pool.spec.plugin,
                crashes=len(recent),
                window=self.window,
                last_error=pool.last_error,
            )
            self._retry_later(pool)
            return
        delay = min(self.max_backoff, self.backoff * 2 ** (len(recent) - 1))
        pool.restarts += 1
        log.warning(
            "worker.crashed",
            plugin=pool.spec.plugin,
            slot=slot,
            code=code,
            restart_in=delay,
            last_error=pool.last_error,
        )
        self._spawn_later(pool, slot, delay)

    def _retry_later(self, pool: Pool) -> None:
        """After a cooldown that doubles with each failed retry, try one worker again."""
        delay = min(self.max_cooldown, self.cooldown * 2**pool.retries)
        pool.retry_at = time.time() + delay
        log.warning("pool.retry.scheduled", plugin=pool.spec.plugin, retry_in=delay)
        self._track(self._half_open(pool, delay), f"retry of {pool.spec.plugin}")

    async def _half_open(self, pool: Pool, delay: float) -> None:
        await asyncio.sleep(delay)
        if self._stopping or not pool.failed or self.pools.get(pool.spec.plugin) is not pool:
            return
        slots = pool.current_slots()
        if not slots:
            return
        pool.failed, pool.half_open, pool.retry_at = False, True, None
        pool.crashes.clear()
        log.info("pool.half_open", plugin=pool.spec.plugin, attempt=pool.retries + 1)
        self._spawn_later(pool, slots[0], 0.0)

    async def _probe(self, pool: Pool, proc: asyncio.subprocess.Process) -> None:
        """A half-open worker that runs ``probation`` seconds heals its pool."""
        await asyncio.sleep(self.probation)
        if self._stopping or proc.returncode is not None or not pool.half_open:
            return
        pool.half_open, pool.retries = False, 0
        log.info("pool.healed", plugin=pool.spec.plugin)
        self._fill(pool)

    def kill_hung(self, plugin: str, pid: int, reason: str) -> None:
        """Kill one worker that stopped answering (its slot restarts like any crash)."""
        pool = self.pools.get(plugin)
        if pool is None:
            return
        for slot, proc in pool.processes.items():
            if proc.pid == pid and proc.returncode is None:
                pool.kill_reasons[slot] = reason
                log.error("worker.hung", plugin=plugin, pid=pid, reason=reason)
                proc.kill()

    async def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM every worker (each drains its in-flight work), then wait; SIGKILL stragglers."""
        self._stopping = True
        procs = [
            p
            for pool in self.pools.values()
            for p in pool.processes.values()
            if p.returncode is None
        ]
        procs += [p for p in self._retiring if p.returncode is None and p not in procs]
        await _terminate(procs, timeout)
        for task in list(self._tasks):
            task.cancel()

    def status(self) -> list[PoolStatus]:
        """Each pool as ``hookwire status`` shows it."""
        return [
            PoolStatus(
                plugin=name,
                workers=pool.spec.workers,
                alive=pool.alive,
                restarts=pool.restarts,
                failed=pool.failed,
                last_error=pool.last_error,
                pids=sorted(p.pid for p in pool.processes.values() if p.returncode is None),
                python=pool.spec.python,
                state=pool.state,
                next_retry=pool.retry_at if pool.failed else None,
                supervisor=f"{socket.gethostname()}:{os.getpid()}",
            )
            for name, pool in self.pools.items()
        ]


async def _terminate(procs: Sequence[asyncio.subprocess.Process], timeout: float) -> None:
    """SIGTERM ``procs`` (each drains), wait up to ``timeout`` s, SIGKILL stragglers."""
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    waits = [asyncio.create_task(p.wait()) for p in procs]
    if waits:
        _, pending = await asyncio.wait(waits, timeout=timeout)
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
        if pending:
            await asyncio.wait(pending, timeout=5)


async def _relay(proc: asyncio.subprocess.Process) -> list[str]:
    """Copy a worker's stdout and stderr to our stderr (lines cut, escaped, rate-capped);
    return its last stderr lines (for ``last_error``)."""
    assert proc.stderr is not None and proc.stdout is not None
    err, out = Relay(), Relay(prefix=f"[worker {proc.pid} stdout] ")
    await asyncio.gather(err.copy(proc.stderr), out.copy(proc.stdout))
    return list(err.tail)


def die_with_parent() -> None:
    """In a child process: get SIGTERM (and stop cleanly) if its parent dies, even by SIGKILL."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
