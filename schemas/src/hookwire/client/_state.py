"""Plugin state a pre hook's reply hands to the matching post hook event.

The router is stateless, so the state travels through the gateway: the client keeps
each pre reply's ``state`` under (post hook, request id) and sends it with the post
event of the same request id, then forgets it. Bounded (least recently stored entries
go first) and with an expiry, so a pre hook whose post hook never comes cannot leak.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from hookwire.schemas import is_post_hook

__all__ = ["DEFAULT_MAX_ENTRIES", "DEFAULT_TTL", "StateStore", "post_hook_of"]

DEFAULT_MAX_ENTRIES = 10_000
#: Seconds a pre reply's state waits for its post event (a tool call may be slow).
DEFAULT_TTL = 600.0

_Key = tuple[str, str]


def post_hook_of(hook: str) -> str | None:
    """The post hook that follows the pre hook ``hook``, or None when it has none.

    ``tool_pre_invoke`` -> ``tool_post_invoke``, ``http_pre_request`` ->
    ``http_post_request``; custom hooks follow the same ``_pre_`` / ``_post_`` naming.
    Post hooks and hooks without ``_pre_`` (``http_auth_resolve_user``) have none.
    """
    if is_post_hook(hook) or "_pre_" not in hook:
        return None
    return hook.replace("_pre_", "_post_", 1)


class StateStore:
    """Pre reply states waiting for their post events: LRU-bounded, each expiring."""

    __slots__ = ("_clock", "_entries", "max_entries", "ttl")

    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        ttl: float = DEFAULT_TTL,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        if ttl <= 0:
            raise ValueError(f"ttl must be positive seconds, got {ttl}")
        self.max_entries = max_entries
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[_Key, tuple[float, dict[str, Any]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def remember(self, pre_hook: str, request_id: str, state: dict[str, Any]) -> None:
        """Keep the state a ``pre_hook`` reply returned for the matching post event.

        An empty state replaces (forgets) what an earlier reply for the same request
        left. Hooks without a post hook are ignored.
        """
        post = post_hook_of(pre_hook)
        if post is None:
            return
        key = (post, request_id)
        self._entries.pop(key, None)
        now = self._clock()
        self._expire(now)
        if not state:
            return
        self._entries[key] = (now + self.ttl, state)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def get(self, post_hook: str, request_id: str) -> dict[str, Any] | None:
        """The state waiting for this post event, or None (never stored, expired, evicted)."""
        key = (post_hook, request_id)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._entries[key]
            return None
        return entry[1]

    def forget(self, post_hook: str, request_id: str) -> None:
        """Drop the state of a post event that has been answered."""
        self._entries.pop((post_hook, request_id), None)

    def clear(self) -> None:
        self._entries.clear()

    def _expire(self, now: float) -> None:
        # Entries are kept in the order they were stored and share one ttl,
        # so the expired ones are all at the front.
        entries = self._entries
        while entries:
            key, (expires, _) = next(iter(entries.items()))
            if expires > now:
                break
            del entries[key]
