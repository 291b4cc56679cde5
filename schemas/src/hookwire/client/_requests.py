"""Request-reply over one inbox subscription, cheaper per call than nats-py's ``request``.

nats-py's ``request`` draws a NUID and a random token and wraps a future in
``asyncio.wait_for`` on every call; at a few hops per event that is most of
what a router or gateway spends of its own. Here one wildcard subscription on
``<inbox>.*`` receives every reply, a counter names each request, and a single
timer handle bounds its wait. A reply with NATS's ``503`` status means no one
is subscribed: it is raised at once, as nats-py does.
"""

from __future__ import annotations

import asyncio
import itertools

import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

_STATUS = "Status"
_NO_RESPONDERS = "503"


def _expire(future: asyncio.Future[Msg]) -> None:
    if not future.done():
        future.set_exception(nats.errors.TimeoutError())


class Requests:
    """Concurrent request-reply on a connection; ``start()`` once, then ``request()``."""

    def __init__(self, nc: Client) -> None:
        self.nc = nc
        self._prefix = ""
        self._waiting: dict[str, asyncio.Future[Msg]] = {}
        #: token -> the subject its request went to (``waiting_on``)
        self._subjects: dict[str, str] = {}
        self._tokens = itertools.count()
        self._sub: Subscription | None = None

    async def start(self) -> None:
        self._prefix = self.nc.new_inbox() + "."
        self._sub = await self.nc.subscribe(self._prefix + "*", cb=self._on_reply)

    async def _on_reply(self, msg: Msg) -> None:
        future = self._waiting.pop(msg.subject[len(self._prefix) :], None)
        if future is not None and not future.done():
            future.set_result(msg)

    async def request(self, subject: str, data: bytes, timeout: float) -> Msg:
        """The reply to ``data`` on ``subject``; raises nats-py's TimeoutError,
        NoRespondersError or the publish's own errors (MaxPayloadError ...)."""
        if self._sub is None:
            await self.start()
        token = str(next(self._tokens))
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Msg] = loop.create_future()
        self._waiting[token] = future
        self._subjects[token] = subject
        timer = loop.call_later(timeout, _expire, future)
        try:
            await self.nc.publish(subject, data, reply=self._prefix + token)
            msg = await future
        finally:
            timer.cancel()
            self._waiting.pop(token, None)
            self._subjects.pop(token, None)
        if msg.headers and msg.headers.get(_STATUS) == _NO_RESPONDERS and not msg.data:
            raise nats.errors.NoRespondersError
        return msg

    def waiting_on(self, prefix: str) -> dict[str, str]:
        """The requests to subjects starting with ``prefix`` still waiting: token -> the
        reply subject their answer is to come to."""
        return {t: self._prefix + t for t, s in self._subjects.items() if s.startswith(prefix)}

    def still_waiting(self, calls: dict[str, str]) -> dict[str, str]:
        """``calls`` without the ones answered meanwhile."""
        return {t: r for t, r in calls.items() if t in self._waiting}

    def fail(self, token: str, exc: BaseException) -> bool:
        """End request ``token``'s wait with ``exc``; whether it was still waiting."""
        future = self._waiting.get(token)
        if future is None or future.done():
            return False
        future.set_exception(exc)
        return True

    async def close(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()
            self._sub = None
        for future in self._waiting.values():
            if not future.done():
                future.cancel()
        self._waiting.clear()
