"""``Limiter``: one counted request against one key, with compare-and-set retries.

Calls of one worker on the same key queue on a local lock, so only calls from other
workers (or routers' workers on other hosts) ever race; a race is settled by the
store's revision check and the loser reads again.

Each worker remembers the last value it wrote to a key and its revision, and writes on
that assumption first: while no other worker wrote the key since, a request costs one
round trip instead of two. A stale memory can only cost a retry, never a wrong answer:
counts only grow (and tokens only shrink) between two of our writes, so a request the
remembered state refuses would be refused by the current one too.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable

from ._algorithms import STATE_SIZES, Decide, Outcome, decode_state
from ._rates import Rate
from ._store import Conflict, Store, StoreUnavailable

#: Attempts before a key under constant contention counts as unavailable.
MAX_ATTEMPTS = 100
#: Keys whose last write a worker remembers (the oldest are forgotten first).
REMEMBERED = 10_000


class Limiter:
    """Counts requests in ``store`` with ``decide`` (an algorithm of ``_algorithms``)."""

    def __init__(
        self, store: Store, decide: Decide, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.decide = decide
        self._size = STATE_SIZES.get(decide, 2)
        self.clock = clock
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._last: dict[str, tuple[bytes, int]] = {}  # key -> what we wrote, its revision

    async def hit(self, key: str, rate: Rate) -> Outcome:
        """Count one request on ``key``; the outcome says whether it is allowed.

        A refused request is not written. Raises StoreUnavailable.
        """
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                return await self._hit(key, rate)
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def _hit(self, key: str, rate: Rate) -> Outcome:
        for attempt in range(MAX_ATTEMPTS):
            current = self._last.pop(key, None) if attempt == 0 else None
            if current is None:
                current = await self.store.get(key)
            state = decode_state(current[0], self._size) if current else None
            new, outcome = self.decide(state, rate, self.clock())
            if new is None:
                if current is not None:
                    self._remember(key, *current)
                return outcome
            value = json.dumps(new, separators=(",", ":")).encode()
            try:
                if current is None:
                    revision = await self.store.create(key, value)
                else:
                    revision = await self.store.update(key, value, current[1])
            except Conflict:
                await asyncio.sleep(random.random() * 0.001 * attempt)
                continue
            self._remember(key, value, revision)
            return outcome
        raise StoreUnavailable(f"key {key!r} still contended after {MAX_ATTEMPTS} attempts")

    def _remember(self, key: str, value: bytes, revision: int) -> None:
        self._last[key] = (value, revision)
        if len(self._last) > REMEMBERED:
            del self._last[next(iter(self._last))]
