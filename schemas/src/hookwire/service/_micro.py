"""A NATS micro service whose endpoints handle requests concurrently (bounded).

nats-py's ``micro`` awaits each handler before taking the next message; a router
or worker must overlap events. This keeps the micro protocol (``$SRV.PING``,
``INFO``, ``STATS`` by name and id, nats-py's own message types) so ``nats micro
ls`` and ``nats micro stats`` work, and owns the dispatch and the drain.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.micro.service import (
    EndpointInfo,
    EndpointStats,
    ServiceInfo,
    ServicePing,
    ServiceStats,
    ServiceVerb,
    control_subject,
)
from nats.nuid import NUID

from ._connect import subscribed


@dataclass(frozen=True, slots=True)
class ErrorResponse:
    """A reply that reports an error the micro way: counted in the endpoint's
    ``num_errors`` and sent with the ``Nats-Service-Error`` and
    ``Nats-Service-Error-Code`` headers (``data`` is still the reply body)."""

    data: bytes
    code: str
    description: str


#: Handles one request's data; returns the reply bytes, or an ``ErrorResponse``.
Handler = Callable[[Msg], Awaitable[bytes | ErrorResponse]]
#: Turns an exception a handler let escape into the reply.
ErrorReply = Callable[[BaseException], bytes | ErrorResponse]
#: Longest header value sent with an error (NATS headers are one line each).
_MAX_HEADER = 512

log = structlog.get_logger("hookwire.service")


@dataclass(slots=True)
class Endpoint:
    """One subscription of a service, with the micro stats it reports."""

    name: str
    subject: str
    queue: str
    handler: Handler
    on_error: ErrorReply
    num_requests: int = 0
    num_errors: int = 0
    processing_time: int = 0
    last_error: str | None = None
    subscription: Subscription | None = None

    def stats(self, data: Any = None) -> EndpointStats:
        avg = self.processing_time // self.num_requests if self.num_requests else 0
        return EndpointStats(
            name=self.name,
            subject=self.subject,
            queue_group=self.queue,
            num_requests=self.num_requests,
            num_errors=self.num_errors,
            processing_time=self.processing_time,
            average_processing_time=avg,
            last_error=self.last_error,
            data=data,
        )


@dataclass
class Service:
    """A named micro service with concurrent endpoints and a graceful drain."""

    nc: Client
    name: str
    version: str
    description: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    max_concurrency: int = 256
    stats_data: Callable[[], Any] | None = None
    endpoints: list[Endpoint] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.id = NUID().next().decode()
        self._drained = False
        self.started = datetime.now(UTC)
        self._room = asyncio.Event()  # set while fewer than max_concurrency run
        self._room.set()
        self._in_flight: set[asyncio.Task[None]] = set()
        #: request task -> the subject its reply goes to (``in_flight_replies``)
        self._replies: dict[asyncio.Task[None], str] = {}
        self._control: list[Subscription] = []

    async def start(self) -> None:
        """Answer PING, INFO and STATS for every id, this name, and this instance."""
        handlers = {
            ServiceVerb.PING: self._ping,
            ServiceVerb.INFO: self._info,
            ServiceVerb.STATS: self._stats,
        }
        for verb, handler in handlers.items():
            for name, sid in ((None, None), (self.name, None), (self.name, self.id)):
                subject = control_subject(verb, name=name, id=sid)
                self._control.append(await self.nc.subscribe(subject, cb=handler))
        await subscribed(self.nc)

    async def add_endpoint(
        self, name: str, subject: str, queue: str, handler: Handler, on_error: ErrorReply
    ) -> Endpoint:
        """Subscribe ``subject`` in queue group ``queue``; each request runs as its own task."""
        endpoint = Endpoint(name, subject, queue, handler, on_error)

        async def dispatch(msg: Msg) -> None:
            while len(self._in_flight) >= self.max_concurrency:  # full: hold the subscription
                self._room.clear()
                await self._room.wait()
            task = asyncio.get_running_loop().create_task(self._serve(endpoint, msg))
            self._in_flight.add(task)
            if msg.reply:
                self._replies[task] = msg.reply
            task.add_done_callback(self._done)

        endpoint.subscription = await self.nc.subscribe(subject, queue=queue, cb=dispatch)
        self.endpoints.append(endpoint)
        await subscribed(self.nc)
        return endpoint

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._replies.pop(task, None)
        if not self._room.is_set():
            self._room.set()

    async def _serve(self, endpoint: Endpoint, msg: Msg) -> None:
        start = time.perf_counter_ns()
        endpoint.num_requests += 1
        try:
            reply = await endpoint.handler(msg)
        except Exception as exc:  # a bad message never kills the service
            log.exception("service.handler.failed", service=self.name, endpoint=endpoint.name)
            reply = endpoint.on_error(exc)
            if isinstance(reply, bytes):  # an ErrorResponse is counted below
                endpoint.num_errors += 1
                endpoint.last_error = repr(exc)
        headers: dict[str, str] | None = None
        if not isinstance(reply, bytes):
            endpoint.num_errors += 1
            endpoint.last_error = f"{reply.code}: {reply.description}"
            headers = {
                "Nats-Service-Error": _header(reply.description),
                "Nats-Service-Error-Code": _header(reply.code),
            }
            reply = reply.data
        if msg.reply:
            try:
                await self.nc.publish(msg.reply, reply, headers=headers)
            except Exception as exc:
                endpoint.num_errors += 1
                endpoint.last_error = repr(exc)
                log.warning("service.reply.failed", endpoint=endpoint.name, error=repr(exc))
        endpoint.processing_time += time.perf_counter_ns() - start

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def in_flight_replies(self) -> list[str]:
        """The reply subjects of the requests being handled right now."""
        return list(self._replies.values())

    def in_flight_tasks(self) -> frozenset[asyncio.Task[None]]:
        """The requests being handled right now (a snapshot)."""
        return frozenset(self._in_flight)

    async def drain(self, timeout: float = 30.0) -> None:
        """Stop taking requests, finish those in flight, then stop answering PING.

        Each inbound subscription is drained first (pending messages still run);
        the connection, and with it the reply inbox in-flight work may still be
        waiting on, stays open until the caller closes it. Calling it again does nothing.
        """
        if self._drained:
            return
        self._drained = True
        for endpoint in self.endpoints:
            if endpoint.subscription is not None:
                await endpoint.subscription.drain()  # type: ignore[no-untyped-call]
        if self._in_flight:
            _, pending = await asyncio.wait(set(self._in_flight), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("service.drain.timeout", service=self.name, cancelled=len(pending))
        for sub in self._control:
            await sub.unsubscribe()
        self._control.clear()

    def _identity(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "metadata": self.metadata,
        }

    def info(self) -> ServiceInfo:
        endpoints = [
            EndpointInfo(name=e.name, subject=e.subject, queue_group=e.queue)
            for e in self.endpoints
        ]
        return ServiceInfo(**self._identity(), description=self.description, endpoints=endpoints)

    def stats(self) -> ServiceStats:
        # a Struct (RouterStats, WorkerStats ...) becomes JSON-ready builtins here
        data = msgspec.to_builtins(self.stats_data()) if self.stats_data else None
        return ServiceStats(
            **self._identity(),
            started=self.started.replace(tzinfo=None),
            endpoints=[e.stats(data) for e in self.endpoints],
        )

    async def _ping(self, msg: Msg) -> None:
        await msg.respond(json.dumps(ServicePing(**self._identity()).to_dict()).encode())

    async def _info(self, msg: Msg) -> None:
        await msg.respond(json.dumps(self.info().to_dict()).encode())

    async def _stats(self, msg: Msg) -> None:
        await msg.respond(json.dumps(self.stats().to_dict(), default=str).encode())


def _header(text: str) -> str:
    """``text`` as one bounded header line."""
    line = " ".join(text.split())
    return line if len(line) <= _MAX_HEADER else line[: _MAX_HEADER - 3] + "..."
