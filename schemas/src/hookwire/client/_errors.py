"""What the gateway client raises: transport failures and payloads it cannot send.

A decision (``allow``, ``block`` or ``error``) is never raised: it is a
:class:`~hookwire.client.HookResult`. These are for events that got no decision.
"""

from __future__ import annotations

from hookwire.schemas import HookwireError


class HookwireUnavailable(HookwireError, ConnectionError):
    """No router could take the event: nobody serves the subject, or NATS is unreachable."""

    def __init__(self, message: str, *, hook: str | None = None) -> None:
        self.hook = hook
        super().__init__(message)


class HookwireTimeout(HookwireError, TimeoutError):
    """A router took the event but no reply came within the budget."""

    def __init__(self, hook: str, timeout: float) -> None:
        self.hook = hook
        self.timeout = timeout
        super().__init__(
            f"no reply to the {hook} event within {timeout:g}s; the router or a plugin is "
            "slow or stuck (raise timeout=, or look at `hookwire status`)"
        )


class PayloadTooLarge(HookwireError, ValueError):
    """The encoded event is bigger than the NATS server accepts (``max_payload``)."""

    def __init__(self, hook: str, size: int, limit: int) -> None:
        self.hook = hook
        self.size = size
        self.limit = limit
        super().__init__(
            f"the {hook} event is {size:,} bytes encoded, over the NATS server's "
            f"max_payload of {limit:,} bytes by {size - limit:,}; send a smaller payload "
            "or raise max_payload in the nats-server config"
        )


class InvalidPayload(HookwireError, ValueError):
    """A payload that does not fit its built-in hook's payload type (caught before sending)."""

    def __init__(self, hook: str, message: str) -> None:
        self.hook = hook
        super().__init__(f"invalid {hook} payload: {message}")


class InvalidReply(HookwireError):
    """A reply that is not a GatewayReply, or whose payload breaks the hook's payload type."""

    def __init__(self, hook: str, message: str) -> None:
        self.hook = hook
        super().__init__(f"invalid reply to the {hook} event: {message}")


def check_size(hook: str, size: int, limit: int) -> None:
    """Raise :class:`PayloadTooLarge` when ``size`` bytes exceed ``limit``."""
    if size > limit:
        raise PayloadTooLarge(hook, size, limit)
