"""Following the live config key: each new revision that loads here, handed on in order.

What a router or a supervisor does with a revision is in ``_switch.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import nats.errors
import structlog
from nats.aio.client import Client
from nats.js.kv import KV_DEL, KV_PURGE, KeyValue

from hookwire.router.config._load import Config
from hookwire.router.errors import ConfigError, LiveConfigError
from hookwire.router.live._store import (
    ConfigRecord,
    ConfigStore,
    decode_record,
    load_record,
)

log = structlog.get_logger("hookwire.live")

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


async def open_follower(nc: Client, component: str) -> Follower | None:
    """A follower of the live config; None (logged) when NATS has no JetStream."""
    try:
        return await Follower.open(await ConfigStore.open(nc), component)
    except LiveConfigError as exc:
        log.warning("live.config.unavailable", component=component, error=str(exc))
        return None
