"""Connecting to NATS with reconnects that are logged, not silent."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import nats.errors
import structlog
from nats.aio.client import Client

from hookwire.client import NatsAuth, connect_bounded, redact_url

log = structlog.get_logger("hookwire.nats")


#: Longest pause between two first-connect attempts, in seconds.
MAX_BACKOFF = 5.0


async def connect(
    url: str,
    name: str,
    *,
    attempts: int = 60,
    auth: NatsAuth | None = None,
    deadline: float | None = None,
    **options: Any,
) -> Client:
    """A NATS connection that, once up, reconnects forever and logs each disconnect.

    The first connect waits up to ``attempts`` times ``reconnect_time_wait`` (0.5 s by
    default: about 30 s, so a service may start before NATS), logging
    ``nats.waiting`` once, retrying with a pause that doubles up to 5 s, and then
    raises NatsConnectError; a refused TLS handshake or login raises at once, and
    ``deadline`` (seconds) bounds the whole first connect. nats-py itself would retry
    the first connect forever, silently. A clean ``close()`` logs no
    ``nats.disconnected``. ``auth``: credentials and TLS (default: the
    ``HOOKWIRE_NATS_*`` variables).
    """
    holder: list[Client] = []
    causes: list[Exception] = []  # why the first connect fails (nats-py raises NoServersError)

    async def on_disconnect() -> None:
        if holder and not holder[0].is_closed:  # close() is not news
            log.warning("nats.disconnected", client=name)

    async def on_reconnect() -> None:
        url_now = holder[0].connected_url if holder else None
        shown = redact_url(url_now.geturl() if url_now else url)
        log.info("nats.reconnected", client=name, url=shown)

    async def on_error(exc: Exception) -> None:
        if holder:
            log.warning("nats.error", client=name, error=repr(exc))
        else:  # while connecting the first time, the failure is what connect raises
            causes[:] = [exc]

    settings: dict[str, Any] = {
        "name": name,
        "reconnect_time_wait": 0.5,
        "disconnected_cb": on_disconnect,
        "reconnected_cb": on_reconnect,
        "error_cb": on_error,
    }
    settings.update(options)
    if auth is None:
        auth = NatsAuth.from_env()
    pause = float(settings["reconnect_time_wait"])
    loop = asyncio.get_running_loop()
    budget = max(1, attempts) * pause
    if deadline is not None:
        budget = min(budget, deadline) if attempts > 1 else deadline
    end = loop.time() + budget
    waited = False
    while True:
        left = max(end - loop.time(), 0.01)
        try:
            nc = await connect_bounded(url, 1, auth=auth, deadline=left, **settings)
            break
        except (OSError, TimeoutError, nats.errors.Error) as exc:
            if getattr(exc, "permanent", False):
                raise
            left = end - loop.time()
            if left <= 0:
                raise
            if not waited and attempts > 2:  # a one-shot command says it itself
                why = causes[0] if causes else exc
                log.warning(
                    "nats.waiting", client=name, url=redact_url(url), error=str(why) or repr(why)
                )
                waited = True
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, MAX_BACKOFF)
    if waited:
        log.info("nats.connected", client=name, url=redact_url(url))
    holder.append(nc)
    return nc


async def subscribed(nc: Client) -> None:
    """Return once the server has every subscription made so far on ``nc``.

    One ``flush()`` is not enough with nats-py 2.16: it writes its PING straight to
    the socket, ahead of SUB lines still in the pending buffer, so the PONG can come
    back before the server has the SUB. A second PING goes out behind them.
    """
    await nc.flush()
    await nc.flush()


class SignalQueue:
    """Signals as they arrive, with handlers installed at construction (not at first await).

    Create it before announcing readiness, so a signal sent right after cannot be missed.
    """

    def __init__(self, *signals: signal.Signals) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[signal.Signals] = asyncio.Queue()
        self._signals = signals or (signal.SIGTERM, signal.SIGINT)
        for sig in self._signals:
            self._loop.add_signal_handler(sig, self._queue.put_nowait, sig)

    async def next(self) -> signal.Signals:
        """The next signal received."""
        return await self._queue.get()

    def close(self) -> None:
        for sig in self._signals:
            self._loop.remove_signal_handler(sig)


async def wait_for_signal(*signals: signal.Signals) -> signal.Signals:
    """Wait until one of ``signals`` (default SIGTERM, SIGINT) arrives; return it."""
    loop = asyncio.get_running_loop()
    got: asyncio.Future[signal.Signals] = loop.create_future()
    wanted = signals or (signal.SIGTERM, signal.SIGINT)

    def arrived(sig: signal.Signals) -> None:
        if not got.done():
            got.set_result(sig)

    for sig in wanted:
        loop.add_signal_handler(sig, arrived, sig)
    try:
        return await got
    finally:
        for sig in wanted:
            loop.remove_signal_handler(sig)
