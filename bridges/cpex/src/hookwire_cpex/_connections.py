"""One hookwire client (one NATS connection) per process and event loop, shared by every
bridge instance: cpex makes a new plugin object per tenant context and again when its
30 s cache expires, and none of them may open a connection of its own."""

from __future__ import annotations

import asyncio

from hookwire import client as hw

from ._settings import BridgeSettings

__all__ = ["Connections", "connections"]


class Connections:
    """Connected clients by (event loop, URL, options); an explicit, per-process cache."""

    def __init__(self) -> None:
        self._clients: dict[tuple[int, object], hw.Client] = {}
        self._locks: dict[tuple[int, object], asyncio.Lock] = {}

    async def get(self, settings: BridgeSettings) -> hw.Client:
        """The shared client for ``settings``, connected on first use."""
        key = (id(asyncio.get_running_loop()), settings.connection_key)
        found = self._clients.get(key)
        if found is not None and not found.nc.is_closed:
            return found
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            found = self._clients.get(key)
            if found is None or found.nc.is_closed:
                found = await hw.connect(
                    settings.nats,
                    timeout=settings.timeout,
                    name="hookwire-cpex-bridge",
                    **dict(settings.connect_options),
                )
                self._clients[key] = found
        return found

    def __len__(self) -> int:
        return len(self._clients)

    async def close(self) -> None:
        """Close every client (the gateway's shutdown; tests)."""
        clients = list(self._clients.values())
        self._clients.clear()
        self._locks.clear()
        for c in clients:
            await c.close()


#: The process's clients.
connections = Connections()
