"""Plugin instances: one object per instance id, made and set up once, closed at the end.

The router sends each instance's config with every call; it is checked against the
plugin's JSON Schema (``config_schema``), decoded and the plugin object made only when
an instance id is first seen, or when the config sent for that id changes (a config
reload): then the old object is closed once its in-flight calls end.

The set is bounded (``limit``): making one more instance first closes the least recently
used idle one, so a flood of new instance ids cannot grow a worker without end, and an
instance the config no longer uses is closed once newer ones need its place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
import structlog
from nats.aio.client import Client

from ._errors import WorkerError
from ._schema import schema_errors
from ._sdk import Plugin

log = structlog.get_logger("hookwire.workers")

#: Instances one worker keeps at most (a config rarely attaches a plugin more than a few times).
DEFAULT_LIMIT = 64


class InstanceConfigError(WorkerError, ValueError):
    """An instance config that breaks the plugin's JSON Schema, or too many instances."""


@dataclass(slots=True, eq=False)
class Instance:
    """One configured plugin object and how many calls are using it."""

    id: str
    config_raw: msgspec.Raw
    config: Mapping[str, Any]
    plugin: Any
    active: int = 0
    retired: bool = False
    used: int = 0


class Instances:
    """The plugin objects of one worker, by instance id (an explicit, bounded cache)."""

    def __init__(
        self,
        plugin_name: str,
        cls: type,
        nc: Client | None = None,
        *,
        schema: Mapping[str, Any] | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> None:
        self._plugin_name = plugin_name
        self._cls = cls
        self._nc = nc
        self._limit = max(1, limit)
        self._by_id: dict[str, Instance] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._closing: set[asyncio.Task[None]] = set()
        #: instance id -> why its construction or setup() failed last (cleared on success)
        self.failed: dict[str, str] = {}
        self._config = msgspec.json.Decoder(dict[str, Any])
        self._tick = 0
        self._schema = schema

    def __len__(self) -> int:
        return len(self._by_id)

    async def acquire(self, instance_id: str, config: msgspec.Raw) -> Instance:
        """The instance for ``instance_id`` with this config, made on first use.

        Raises msgspec.DecodeError if ``config`` is not a JSON object,
        InstanceConfigError if it breaks the schema or no instance can make room, and
        whatever the plugin's constructor or ``setup()`` raises. Pair each call with
        ``release``.
        """
        inst = self._by_id.get(instance_id)
        if inst is None or inst.config_raw != config:
            inst = await self._replace(instance_id, config)
        inst.active += 1
        self._tick += 1
        inst.used = self._tick
        return inst

    def release(self, inst: Instance) -> None:
        inst.active -= 1
        if inst.retired and inst.active == 0:
            self._close_later(inst)

    async def _replace(self, instance_id: str, config: msgspec.Raw) -> Instance:
        lock = self._locks.setdefault(instance_id, asyncio.Lock())
        async with lock:  # one construction and setup() per id, however many calls wait
            old = self._by_id.get(instance_id)
            if old is not None and old.config_raw == config:
                return old
            try:
                decoded = self._check(instance_id, config)
                if old is None:
                    self._make_room(instance_id)
                new = await self._create(instance_id, config, decoded)
            except Exception as exc:
                self.failed[instance_id] = f"{type(exc).__name__}: {exc}"
                raise
            self.failed.pop(instance_id, None)
            self._by_id[instance_id] = new
        if old is not None:
            log.info("plugin.instance.reconfigured", plugin=self._plugin_name, instance=instance_id)
            self._retire(old)
        return new

    def _check(self, instance_id: str, config: msgspec.Raw) -> dict[str, Any]:
        decoded = self._config.decode(config)
        if self._schema is not None:
            problems = list(schema_errors(decoded, self._schema))
            if problems:
                raise InstanceConfigError(
                    f"config of instance {instance_id!r} breaks {self._plugin_name}'s "
                    f"config_schema: {'; '.join(problems)}"
                )
        return decoded

    def _make_room(self, instance_id: str) -> None:
        """Close the least recently used idle instance when the set is full."""
        if len(self._by_id) < self._limit:
            return
        idle = [i for i in self._by_id.values() if i.active == 0]
        if not idle:
            raise InstanceConfigError(
                f"worker of {self._plugin_name!r} holds {len(self._by_id)} instances, all "
                f"busy; instance {instance_id!r} cannot be made (limit {self._limit})"
            )
        victim = min(idle, key=lambda i: i.used)
        del self._by_id[victim.id]
        self._locks.pop(victim.id, None)
        log.info("plugin.instance.evicted", plugin=self._plugin_name, instance=victim.id)
        self._retire(victim)

    def _retire(self, inst: Instance) -> None:
        inst.retired = True
        if inst.active == 0:
            self._close_later(inst)

    async def _create(
        self, instance_id: str, config: msgspec.Raw, decoded: dict[str, Any]
    ) -> Instance:
        own = msgspec.Raw(bytes(config))  # not a view that pins the whole request message
        plugin = self._cls(decoded)
        if isinstance(plugin, Plugin):  # its handle on the worker's connection
            plugin.nats = self._nc
            plugin.plugin_name = self._plugin_name
        setup = getattr(plugin, "setup", None)
        if setup is not None:
            await setup()
        log.info("plugin.instance.ready", plugin=self._plugin_name, instance=instance_id)
        return Instance(id=instance_id, config_raw=own, config=decoded, plugin=plugin)

    def _close_later(self, inst: Instance) -> None:
        task = asyncio.get_running_loop().create_task(self._close(inst))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close(self, inst: Instance) -> None:
        close = getattr(inst.plugin, "close", None)
        if close is None:
            return
        try:
            await close()
        except Exception:
            log.exception("plugin.close.failed", plugin=self._plugin_name, instance=inst.id)

    async def close_all(self) -> None:
        """Close every instance once (call after in-flight work has finished)."""
        instances = list(self._by_id.values())
        self._by_id.clear()
        for inst in instances:
            await self._close(inst)
        if self._closing:
            await asyncio.gather(*self._closing)
