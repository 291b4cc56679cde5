"""Opening a NATS connection whose first connect gives up, and which then reconnects.

nats-py retries a first connect until ``max_reconnect_attempts`` (for 0 or -1:
forever). Here the first connect makes ``attempts`` tries; the connection then
reconnects as ``max_reconnect_attempts`` asks (default: forever), which nats-py
reads at each reconnect.
"""

from __future__ import annotations

from typing import Any

import nats
from nats.aio.client import Client as NatsClient


async def connect_bounded(url: str, attempts: int, **settings: Any) -> NatsClient:
    """``nats.connect`` with at most ``attempts`` tries for the first connect.

    ``url`` may list several servers of one cluster, comma-separated.
    """
    later = settings.pop("max_reconnect_attempts", -1)
    settings["max_reconnect_attempts"] = max(1, attempts)  # positive: bounds the first loop
    servers: str | list[str] = [u.strip() for u in url.split(",")] if "," in url else url
    nc = await nats.connect(servers, **settings)
    nc.options["max_reconnect_attempts"] = later
    return nc
