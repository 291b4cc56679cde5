"""Publishing to JetStream with an acknowledgement, off the reply's path."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

import msgspec
import structlog

from hookwire.router._jetstream import publish_acked
from hookwire.router.errors import JetStreamPublishError, NoStreamError
from hookwire.router.routing._instances import ResolvedPlugin
from hookwire.router.routing._modes import Mode
from hookwire.schemas import GatewayRequest, RequestContext, WorkerRequest, subjects
from hookwire.schemas.subjects import plugin_subject
from hookwire.service import Requests

log = structlog.get_logger("hookwire.delivery")
_encode = msgspec.json.Encoder().encode


class Deliveries:
    """Stores fire_and_forget calls in the ``HOOKWIRE_FF`` stream; nobody waits for them.

    ``counts``: ``stored``, ``failed`` and ``not_durable`` (no JetStream: a plain
    publish), shown in ``hookwire status``.
    """

    def __init__(self, requests: Requests) -> None:
        self.requests = requests
        self.counts: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()

    def send(
        self,
        event: GatewayRequest,
        payload: msgspec.Raw,
        context: RequestContext,
        plugins: Sequence[ResolvedPlugin],
        disabled: set[str],
    ) -> None:
        """Start storing the event's fire_and_forget calls (``payload``: as it left the
        chain); returns at once."""
        task = asyncio.get_running_loop().create_task(
            self._send(event, payload, context, plugins, disabled)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(
        self,
        event: GatewayRequest,
        payload: msgspec.Raw,
        context: RequestContext,
        plugins: Sequence[ResolvedPlugin],
        disabled: set[str],
    ) -> None:
        for resolved in plugins:
            inst = resolved.instance
            if inst.mode is not Mode.FIRE_AND_FORGET or inst.id in disabled:
                continue
            request = WorkerRequest(
                instance=inst.id,
                plugin=inst.worker,
                hook=event.hook,
                payload=payload,
                config=msgspec.Raw(inst.config_json),
                context=context,
                state=event.state.get(inst.id) or {},
            )
            subject = subjects.ff_subject(inst.worker, inst.id, event.hook)
            data = _encode(request)
            try:
                await publish_acked(self.requests, subject, data)
            except NoStreamError:
                # a server without JetStream: a plain publish, as good as it gets
                self.counts["not_durable"] += 1
                await self._plain(plugin_subject(inst.worker, event.hook), data)
            except JetStreamPublishError as exc:
                self.counts["failed"] += 1
                log.warning(
                    "plugin.fire_and_forget.failed",
                    plugin=inst.plugin,
                    instance=inst.id,
                    request_id=event.request_id,
                    error=str(exc),
                )
            else:
                self.counts["stored"] += 1

    async def _plain(self, subject: str, data: bytes) -> None:
        try:
            await self.requests.nc.publish(subject, data)
        except Exception as exc:
            self.counts["failed"] += 1
            log.warning("plugin.fire_and_forget.failed", subject=subject, error=repr(exc))

    async def wait(self, timeout: float) -> None:
        """Wait up to ``timeout`` s for the calls being stored (at drain)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
