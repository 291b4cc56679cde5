"""Where the counters live: a store with compare-and-set, in NATS or in process memory.

Every algorithm reads a key, computes the new value and writes it back only if nobody
wrote it in between (``create`` if it was absent, ``update(revision)`` otherwise); on a
``Conflict`` it reads again. That is what makes a limit exact across workers.
"""

from __future__ import annotations

from typing import Protocol


class Conflict(Exception):
    """Someone else wrote the key since it was read: read it again."""


class StoreUnavailable(Exception):
    """The shared state cannot be read or written (NATS or JetStream is down)."""


class Store(Protocol):
    """A key-value store with revisions."""

    async def get(self, key: str) -> tuple[bytes, int] | None:
        """The value and its revision, or None when the key is absent."""
        ...

    async def create(self, key: str, value: bytes) -> int:
        """Write ``key`` if it is absent (its new revision); Conflict if it exists."""
        ...

    async def update(self, key: str, value: bytes, revision: int) -> int:
        """Write ``key`` if its revision is still ``revision`` (its new revision);
        Conflict otherwise."""
        ...


class MemoryStore:
    """Process-local state (``backend: memory``): one worker's view only."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[bytes, int]] = {}
        self._revision = 0

    async def get(self, key: str) -> tuple[bytes, int] | None:
        return self._data.get(key)

    async def create(self, key: str, value: bytes) -> int:
        if key in self._data:
            raise Conflict(key)
        return self._write(key, value)

    async def update(self, key: str, value: bytes, revision: int) -> int:
        current = self._data.get(key)
        if current is None or current[1] != revision:
            raise Conflict(key)
        return self._write(key, value)

    def _write(self, key: str, value: bytes) -> int:
        self._revision += 1
        self._data[key] = (value, self._revision)
        return self._revision


class NatsStore:
    """A JetStream key-value bucket (``backend: nats``), shared by every worker."""

    def __init__(self, kv: object) -> None:
        from nats.js import errors

        self._kv = kv
        self._errors = errors

    async def get(self, key: str) -> tuple[bytes, int] | None:
        errors = self._errors
        try:
            entry = await self._kv.get(key)  # type: ignore[attr-defined]
        except errors.KeyNotFoundError:  # KeyDeletedError included
            return None
        except Exception as exc:
            raise StoreUnavailable(_describe(exc)) from exc
        return (entry.value or b"", int(entry.revision))

    async def create(self, key: str, value: bytes) -> int:
        errors = self._errors
        try:
            return int(await self._kv.create(key, value))  # type: ignore[attr-defined]
        except errors.KeyWrongLastSequenceError as exc:
            raise Conflict(key) from exc
        except Exception as exc:
            raise StoreUnavailable(_describe(exc)) from exc

    async def update(self, key: str, value: bytes, revision: int) -> int:
        errors = self._errors
        try:
            return int(await self._kv.update(key, value, last=revision))  # type: ignore[attr-defined]
        except errors.KeyWrongLastSequenceError as exc:
            raise Conflict(key) from exc
        except Exception as exc:
            raise StoreUnavailable(_describe(exc)) from exc


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
