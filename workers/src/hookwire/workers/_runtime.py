"""``Worker``: one plugin served on NATS as a micro service in its pool's queue group."""

from __future__ import annotations

import asyncio
import os
from importlib import metadata
from pathlib import Path
from typing import Any

import msgspec
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg

from hookwire.schemas import WorkerCalls, WorkerStats, subjects
from hookwire.service import Service

from ._dispatch import Dispatcher
from ._durable import DurableCalls
from ._instances import Instances
from ._loader import LoadedPlugin, load_plugin

log = structlog.get_logger("hookwire.workers")

_encode_holding = msgspec.json.Encoder().encode

DEFAULT_CONCURRENCY = 64
#: Seconds ``stop()`` waits for in-flight calls before cancelling them.
DRAIN_TIMEOUT = 30.0
ENDPOINT_NAME = "hooks"


def service_name(plugin: str) -> str:
    """The micro service name of a plugin's workers: ``$SRV.PING.<this>`` finds them."""
    return subjects.worker_service(plugin)


def package_version() -> str:
    """The installed version of hookwire-workers (``0.0.0`` when run from a bare tree)."""
    try:
        return metadata.version("hookwire-workers")
    except metadata.PackageNotFoundError:
        return "0.0.0"


class Worker:
    """Serves every instance of one plugin on ``hookwire.plugin.<plugin>.*``.

    Start it with ``await Worker.start(nc, plugin_dir)``; stop it with ``await
    worker.stop()``, which stops taking requests, lets those in flight finish and then
    closes the plugin instances. The NATS connection belongs to the caller.
    """

    def __init__(
        self,
        plugin: LoadedPlugin,
        service: Service,
        instances: Instances,
        durable: DurableCalls | None = None,
    ) -> None:
        self.plugin = plugin
        self.service = service
        self.instances = instances
        #: the plugin's durable fire_and_forget calls (JetStream)
        self.durable = durable
        self._stopped = False

    @classmethod
    async def start(
        cls,
        nc: Client,
        plugin: str | os.PathLike[str] | LoadedPlugin,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> Worker:
        """Load the plugin (a folder, or one already loaded) and start serving it.

        ``concurrency`` bounds the calls running at once in this process.
        """
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        loaded = plugin if isinstance(plugin, LoadedPlugin) else load_plugin(Path(plugin))
        name = loaded.name
        instances = Instances(name, loaded.cls, nc, schema=loaded.manifest.config_schema)
        dispatcher = Dispatcher(name, loaded.manifest.hooks, instances)
        durable = DurableCalls(nc, name, dispatcher)
        service = Service(
            nc,
            name=service_name(name),
            version=package_version(),
            description=f"hookwire worker of plugin {name}",
            metadata={
                "plugin": name,
                "plugin_version": loaded.manifest.version,
                "pid": str(os.getpid()),
                "role": "worker",
            },
            max_concurrency=concurrency,
            stats_data=lambda: WorkerStats(
                instances=len(instances),
                errors=dict(dispatcher.errors),
                fire_and_forget=dict(durable.counts),
                failed_instances=dict(instances.failed),
            ),
        )

        async def handle(msg: Msg) -> bytes:
            return await dispatcher.handle(msg.data, subjects.hook_from_subject(msg.subject))

        # The endpoint first: a worker that answers PING is one that takes requests
        # (a router swapping in a config that needs this pool waits for that PING).
        await service.add_endpoint(
            ENDPOINT_NAME,
            subjects.plugin_wildcard(name),
            subjects.worker_queue(name),
            handle,
            dispatcher.error_reply,
        )
        await service.start()
        await durable.start()
        pid = os.getpid()

        async def holding(msg: Msg) -> None:
            # let requests that arrived first reach the service before answering
            for _ in range(3):
                await asyncio.sleep(0)
            calls = WorkerCalls(pid=pid, replies=service.in_flight_replies())
            await msg.respond(_encode_holding(calls))

        # every worker answers (no queue group): a router asks after a worker of this
        # plugin died, and fails at once the calls no live worker holds
        await nc.subscribe(subjects.worker_inflight(name), cb=holding)
        log.info("worker.started", **_describe(loaded, concurrency))
        return cls(loaded, service, instances, durable)

    @property
    def name(self) -> str:
        return self.plugin.name

    @property
    def subject(self) -> str:
        return subjects.plugin_wildcard(self.name)

    @property
    def queue(self) -> str:
        return subjects.worker_queue(self.name)

    async def stop(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Stop taking requests, wait up to ``timeout`` s for those in flight, close instances.

        Calling it again does nothing.
        """
        if self._stopped:
            return
        self._stopped = True
        if self.durable is not None:
            await self.durable.stop(timeout)
        await self.service.drain(timeout)
        await self.instances.close_all()
        log.info("worker.stopped", plugin=self.name)


def _describe(plugin: LoadedPlugin, concurrency: int) -> dict[str, Any]:
    return {
        "plugin": plugin.name,
        "plugin_version": plugin.manifest.version,
        "hooks": list(plugin.manifest.hooks),
        "subject": subjects.plugin_wildcard(plugin.name),
        "queue": subjects.worker_queue(plugin.name),
        "concurrency": concurrency,
        "pid": os.getpid(),
    }
