"""``Context``: what a hook call knows besides its payload."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from hookwire.schemas import RequestContext


class Context:
    """The request a hook call belongs to, its instance's config and per-request state.

    ``state`` is this instance's state for the request: what the pre hook left arrives
    in the post hook; change it in place and it travels back with the reply.
    ``delivery`` is 1 for a call made once; a durable ``fire_and_forget`` call tried
    again after a failure (or a worker that died) has 2, 3 ...: with
    ``request.request_id`` it tells a plugin it sees the same call again.
    """

    __slots__ = ("_deadline", "config", "delivery", "hook", "instance", "request", "state")

    def __init__(
        self,
        *,
        request: RequestContext,
        config: Mapping[str, Any],
        state: dict[str, Any],
        instance: str,
        hook: str,
        deadline: float | None = None,
        delivery: int = 1,
    ) -> None:
        self.request = request
        self.config = config
        self.state = state
        self.instance = instance
        self.hook = hook
        self._deadline = deadline
        self.delivery = delivery

    def remaining(self) -> float | None:
        """Seconds left before the caller gives up (never negative); None without deadline."""
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - time.monotonic())

    def __repr__(self) -> str:
        return (
            f"Context(hook={self.hook!r}, instance={self.instance!r}, "
            f"request_id={self.request.request_id!r}, remaining={self.remaining()})"
        )
