"""Publishing to JetStream with an acknowledgement, off the reply's path."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

import msgspec
import nats.errors
import structlog

from hookwire.router.pipeline._pipeline import EventRun
from hookwire.router.routing._instances import ResolvedPlugin
from hookwire.router.routing._modes import Mode
from hookwire.schemas import HookwireError, WorkerRequest, subjects
from hookwire.schemas.subjects import plugin_subject
from hookwire.service import Requests

log = structlog.get_logger("hookwire.delivery")
_encode = msgspec.json.Encoder().encode
_ack = msgspec.json.Decoder(dict[str, object]).decode
#: Seconds the router waits for JetStream to acknowledge a stored message.
ACK_TIMEOUT = 5.0


class JetStreamPublishError(HookwireError):
    """JetStream did not store a message (no stream, no JetStream, an API error)."""


class NoStreamError(JetStreamPublishError):
    """No stream takes the subject (or the server runs without JetStream)."""


async def publish_acked(
    requests: Requests, subject: str, data: bytes, timeout: float = ACK_TIMEOUT
) -> None:
    """Publish ``data`` and wait for JetStream's acknowledgement; raises
    JetStreamPublishError saying why it was not stored."""
    try:
        msg = await requests.request(subject, data, timeout)
    except nats.errors.NoRespondersError:
        raise NoStreamError(f"no JetStream stream takes {subject!r}") from None
    except nats.errors.TimeoutError:
        raise JetStreamPublishError(f"JetStream did not acknowledge within {timeout}s") from None
    except nats.errors.Error as exc:
        raise JetStreamPublishError(f"NATS error: {exc!r}") from exc
    try:
        ack = _ack(msg.data)
    except msgspec.MsgspecError:
        raise JetStreamPublishError(f"unreadable JetStream ack: {msg.data[:200]!r}") from None
    if "error" in ack:
        raise JetStreamPublishError(f"JetStream refused the message: {ack['error']}")


class Deliveries:
    """Stores fire_and_forget calls in the ``HOOKWIRE_FF`` stream; nobody waits for them.

    ``counts``: ``stored``, ``failed`` and ``not_durable`` (no JetStream: a plain
    publish), shown in ``hookwire status``.
    """

    def __init__(self, requests: Requests) -> None:
        self.requests = requests
        self.counts: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, run: EventRun, plugins: Sequence[ResolvedPlugin], disabled: set[str]) -> None:
        """Start storing the event's fire_and_forget calls; returns at once."""
        task = asyncio.get_running_loop().create_task(self._send(run, plugins, disabled))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(
        self, run: EventRun, plugins: Sequence[ResolvedPlugin], disabled: set[str]
    ) -> None:
        for resolved in plugins:
            inst = resolved.instance
            if inst.mode is not Mode.FIRE_AND_FORGET or inst.id in disabled:
                continue
            request = WorkerRequest(
                instance=inst.id,
                plugin=inst.worker,
                hook=run.event.hook,
                payload=run.payload,
                config=msgspec.Raw(inst.config_json),
                context=run.context,
                state=run.event.state.get(inst.id) or {},
            )
            subject = subjects.ff_subject(inst.worker, inst.id, run.event.hook)
            data = _encode(request)
            try:
                await publish_acked(self.requests, subject, data)
            except NoStreamError:
                # a server without JetStream: a plain publish, as good as it gets
                self.counts["not_durable"] += 1
                await self._plain(plugin_subject(inst.worker, run.event.hook), data)
            except JetStreamPublishError as exc:
                self.counts["failed"] += 1
                log.warning(
                    "plugin.fire_and_forget.failed",
                    plugin=inst.plugin,
                    instance=inst.id,
                    request_id=run.event.request_id,
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
