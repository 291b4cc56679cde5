"""Durable fire_and_forget: a worker pulls its plugin's calls from JetStream.

The router (or supervisor) creates one durable consumer per plugin instance on the
``HOOKWIRE_FF`` stream as soon as a config naming it is live; every worker of the pool
pulls from it, so the pool shares the load and a call made while no worker ran waits in
the stream. A call is acknowledged after the plugin returns; a failure is delivered
again after a backoff; after ``max_deliver`` tries it goes to the dead-letter stream.
Delivery is at least once: ``ctx.request.request_id`` and ``ctx.delivery`` tell a
plugin that it sees a call again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import dataclass

import msgspec
import nats.errors
import nats.js.errors
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import ConsumerInfo
from nats.js.client import JetStreamContext

from hookwire.schemas import WorkerReply, subjects

from ._dispatch import Dispatcher

log = structlog.get_logger("hookwire.workers")

#: Seconds between looks for consumers of instances that went live since.
SCAN_INTERVAL = 2.0
#: Calls fetched (and run concurrently) per pull.
BATCH = 16
#: Seconds one pull waits for calls before it asks again.
PULL_WAIT = 1.0
_reply = msgspec.json.Decoder(WorkerReply).decode
#: The router's defaults (``plugin_settings.fire_and_forget``), when a consumer says none.
DEFAULT_MAX_DELIVER = 5
DEFAULT_BACKOFF = (1.0, 5.0, 30.0, 120.0)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often a failed call is tried again, and after how long."""

    max_deliver: int = DEFAULT_MAX_DELIVER
    backoff: tuple[float, ...] = DEFAULT_BACKOFF

    @classmethod
    def of(cls, info: ConsumerInfo) -> RetryPolicy:
        meta = info.config.metadata or {}
        try:
            max_deliver = int(meta.get("hookwire_max_deliver", DEFAULT_MAX_DELIVER))
            backoff = tuple(float(b) for b in meta.get("hookwire_backoff", "").split(",") if b)
        except ValueError:
            return cls()
        return cls(max_deliver, backoff or DEFAULT_BACKOFF)

    def delay(self, delivered: int) -> float:
        return self.backoff[min(delivered, len(self.backoff)) - 1]


class DurableCalls:
    """Pulls one plugin's fire_and_forget calls from each of its instances' consumers.

    ``counts``: ``acked``, ``retried`` (a failed try, delivered again later) and
    ``dead_letters`` (given up after ``max_deliver`` tries).
    """

    def __init__(self, nc: Client, plugin: str, dispatcher: Dispatcher) -> None:
        self.nc = nc
        self.plugin = plugin
        self.dispatcher = dispatcher
        self.counts: Counter[str] = Counter()
        self._js: JetStreamContext = nc.jetstream(timeout=5.0)
        self._pulls: dict[str, asyncio.Task[None]] = {}
        self._busy: set[str] = set()
        self._stop = asyncio.Event()
        self._scanner: asyncio.Task[None] | None = None

    @property
    def consumers(self) -> list[str]:
        return sorted(self._pulls)

    async def start(self) -> None:
        """Look for consumers now (so calls already stored start flowing), then keep looking."""
        await self._scan()
        self._scanner = asyncio.get_running_loop().create_task(self._keep_scanning())

    async def _keep_scanning(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), SCAN_INTERVAL)
            if not self._stop.is_set():
                await self._scan()

    async def _scan(self) -> None:
        prefix = subjects.ff_plugin_prefix(self.plugin)
        try:
            infos = await self._js.consumers_info(subjects.FF_STREAM)
        except (nats.errors.Error, nats.js.errors.Error, TimeoutError):
            return  # no stream yet (no fire_and_forget instance live) or no JetStream
        for info in infos:
            name = info.name
            filters = [info.config.filter_subject or "", *(info.config.filter_subjects or [])]
            if name in self._pulls or not any(f.startswith(prefix) for f in filters):
                continue
            task = asyncio.get_running_loop().create_task(self._pull(name, RetryPolicy.of(info)))
            self._pulls[name] = task
            task.add_done_callback(lambda _t, n=name: self._pulls.pop(n, None))  # type: ignore[misc]
            log.info("worker.durable.consuming", plugin=self.plugin, consumer=name)

    async def _pull(self, name: str, policy: RetryPolicy) -> None:
        try:
            sub = await self._js.pull_subscribe_bind(durable=name, stream=subjects.FF_STREAM)
        except (nats.errors.Error, nats.js.errors.Error) as exc:
            log.warning("worker.durable.bind_failed", consumer=name, error=repr(exc))
            return
        try:
            while not self._stop.is_set():
                try:
                    msgs = await sub.fetch(BATCH, timeout=PULL_WAIT)
                except nats.errors.TimeoutError:
                    continue
                except (nats.js.errors.NotFoundError, nats.errors.ConnectionClosedError):
                    return  # the consumer was deleted (or we are closing)
                self._busy.add(name)
                try:
                    await asyncio.gather(*(self._handle(m, policy) for m in msgs))
                finally:
                    self._busy.discard(name)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _handle(self, msg: Msg, policy: RetryPolicy) -> None:
        delivered = msg.metadata.num_delivered
        data = await self.dispatcher.handle(
            msg.data, subjects.hook_from_subject(msg.subject), delivery=delivered
        )
        reply = _reply(data)
        try:
            if reply.error is None:
                await msg.ack()
                self.counts["acked"] += 1
            elif delivered >= policy.max_deliver:
                await self._dead_letter(msg, reply.error, delivered)
            else:
                await msg.nak(delay=policy.delay(delivered))
                self.counts["retried"] += 1
        except nats.errors.Error as exc:  # the call is redelivered after ack_wait
            log.warning("worker.durable.ack_failed", plugin=self.plugin, error=repr(exc))

    async def _dead_letter(self, msg: Msg, error: str, delivered: int) -> None:
        headers = {"Hookwire-Error": error[:1000], "Hookwire-Deliveries": str(delivered)}
        try:
            await self._js.publish(subjects.ff_dead_for(msg.subject), msg.data, headers=headers)
        except (nats.errors.Error, nats.js.errors.Error) as exc:
            log.warning("worker.durable.dead_letter_failed", error=repr(exc))
            await msg.nak(delay=60.0)  # keep it: better late than lost
            return
        await msg.term()
        self.counts["dead_letters"] += 1
        log.warning(
            "plugin.fire_and_forget.dead_letter",
            plugin=self.plugin,
            subject=msg.subject,
            deliveries=delivered,
            error=error,
        )

    async def stop(self, timeout: float) -> None:
        """Stop pulling; calls being handled finish (up to ``timeout`` s), the rest wait in
        the stream for another worker."""
        self._stop.set()
        if self._scanner is not None:
            await self._scanner
        for name, task in list(self._pulls.items()):
            if name not in self._busy:
                task.cancel()
        tasks = list(self._pulls.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
