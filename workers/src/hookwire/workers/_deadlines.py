"""Cancelling plugin calls that outlive their deadline, with one sweeper for all of them.

``asyncio.timeout`` arms and disarms a heap timer per call, about half of what a
worker spends on a pass-through call. Here each call is noted in a dict and one task
wakes every ``tick`` seconds to cancel those past their deadline: the router keeps
the exact timeout; the worker only has to stop work whose answer can no longer be used.
"""

from __future__ import annotations

import asyncio
import time


class Deadlines:
    """Watches running calls; ``release`` says whether the deadline cancelled one."""

    def __init__(self, tick: float = 0.02) -> None:
        self.tick = tick
        self._calls: dict[asyncio.Task[object], float] = {}
        self._expired: set[asyncio.Task[object]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    def watch(self, task: asyncio.Task[object], deadline: float) -> None:
        """Cancel ``task`` if it still runs at ``deadline`` (``time.monotonic()``)."""
        self._calls[task] = deadline
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    def release(self, task: asyncio.Task[object]) -> bool:
        """Stop watching ``task``; True if its deadline cancelled it."""
        self._calls.pop(task, None)
        if task in self._expired:
            self._expired.discard(task)
            return True
        return False

    async def _sweep(self) -> None:
        while self._calls:
            await asyncio.sleep(self.tick)
            now = time.monotonic()
            for task, deadline in list(self._calls.items()):
                if deadline <= now:
                    del self._calls[task]
                    self._expired.add(task)
                    task.cancel()
