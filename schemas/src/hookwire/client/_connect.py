"""Opening a NATS connection whose first connect gives up, and which then reconnects.

nats-py retries a first connect until ``max_reconnect_attempts`` (for 0 or -1:
forever). Here the first connect makes ``attempts`` tries, and gives up at once on an
error no retry can fix (an untrusted certificate, a refused login), or when ``deadline``
seconds have passed; the connection then reconnects as ``max_reconnect_attempts`` asks
(default: forever), which nats-py reads at each reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import nats.errors
from nats.aio.client import Client as NatsClient

from hookwire.schemas import HookwireError

from ._auth import NatsAuth, redact_url


class NatsConnectError(HookwireError, ConnectionError):
    """The first connect to NATS failed: unreachable, TLS refused, or login refused.

    ``permanent``: a retry cannot fix it (the TLS handshake or the login was refused).
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def is_permanent(exc: BaseException) -> bool:
    """An error a retry cannot fix: the TLS handshake or the login was refused."""
    if isinstance(exc, ssl.SSLError | nats.errors.AuthorizationError):
        return True
    text = str(exc).lower()
    return "authorization violation" in text or "authentication" in text


def explain(url: str, auth: NatsAuth | None, exc: BaseException) -> str:
    """One line saying why connecting to ``url`` failed, with the url redacted."""
    who = auth.describe() if auth is not None else "anonymous"
    where = redact_url(url)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"TLS handshake with {where} failed: the server's certificate is not trusted "
            f"({exc.verify_message}); give its CA with --nats-ca or HOOKWIRE_NATS_CA"
        )
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake with {where} failed ({who}): {exc}"
    if isinstance(exc, nats.errors.AuthorizationError) or is_permanent(exc):
        return f"NATS at {where} refused the login ({who}): authorization violation"
    if isinstance(exc, TimeoutError):
        return f"cannot connect to NATS at {where} ({who}): timed out"
    return f"cannot connect to NATS at {where} ({who}): {exc!r}"


async def connect_bounded(
    url: str,
    attempts: int,
    *,
    auth: NatsAuth | None = None,
    deadline: float | None = None,
    **settings: Any,
) -> NatsClient:
    """``nats.connect`` with at most ``attempts`` tries for the first connect.

    ``url`` may list several servers of one cluster, comma-separated.
    ``auth`` adds its credentials and TLS; an error no retry can fix ends the first
    connect at once, and ``deadline`` (seconds) bounds it. Raises NatsConnectError
    (or NatsAuthError for an unusable option) with a message that names no secret.
    """
    if auth is not None:
        settings = {**auth.options(), **settings}
    later = settings.pop("max_reconnect_attempts", -1)
    settings["max_reconnect_attempts"] = max(1, attempts)  # positive: bounds the first loop
    fatal: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()
    their_cb: Callable[[Exception], Awaitable[None]] | None = settings.get("error_cb")

    async def on_error(exc: Exception) -> None:
        if is_permanent(exc) and not fatal.done():
            fatal.set_result(exc)
        if their_cb is not None:
            await their_cb(exc)

    settings["error_cb"] = on_error
    servers: str | list[str] = [u.strip() for u in url.split(",")] if "," in url else url
    nc = NatsClient()
    connecting: asyncio.Future[Any] = asyncio.ensure_future(nc.connect(servers, **settings))
    waiting: set[asyncio.Future[Any]] = {connecting, fatal}
    try:
        done, _ = await asyncio.wait(waiting, timeout=deadline, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        connecting.cancel()
        raise
    if connecting in done and connecting.exception() is None:
        nc.options["max_reconnect_attempts"] = later
        return nc
    if connecting in done:
        error: BaseException = connecting.exception()  # type: ignore[assignment]
        if fatal.done():
            error = fatal.result()
    elif fatal.done():
        error = fatal.result()
    else:
        error = TimeoutError(f"no connection within {deadline:g}s")
    connecting.cancel()
    with contextlib.suppress(BaseException):
        await connecting
    with contextlib.suppress(Exception):
        await nc.close()
    raise NatsConnectError(explain(url, auth, error), permanent=is_permanent(error)) from None
