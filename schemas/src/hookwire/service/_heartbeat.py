"""A file a service touches while it is healthy, for container healthchecks.

With ``HOOKWIRE_HEALTH_FILE`` set, a router or worker touches that file every few
seconds from its event loop, and only while its NATS connection is up: a process whose
loop is blocked, or that lost NATS, lets the file grow old. A healthcheck compares its
age with a bound (docker-compose.yml: 30 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from nats.aio.client import Client

INTERVAL = 5.0


def start_heartbeat(nc: Client, path: str | None = None) -> asyncio.Task[None] | None:
    """Touch ``path`` (default ``$HOOKWIRE_HEALTH_FILE``) while ``nc`` is connected."""
    target = path or os.environ.get("HOOKWIRE_HEALTH_FILE")
    if not target:
        return None
    return asyncio.get_running_loop().create_task(_beat(nc, Path(target)))


async def _beat(nc: Client, path: Path) -> None:
    while not nc.is_closed:
        if nc.is_connected:
            with contextlib.suppress(OSError):
                path.touch()
        await asyncio.sleep(INTERVAL)
