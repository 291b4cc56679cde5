"""The gateway client: send hook events to hookwire over NATS and get decisions back.

::

    async with await hookwire.client.connect("nats://127.0.0.1:4222") as client:
        result = await client.tool_pre_invoke("search", {"q": "docs"}, request_id=rid)
        if result.blocked:
            ...  # result.violation says why
        args = result.payload.args  # possibly rewritten by a plugin
        ...
        await client.tool_post_invoke("search", output, request_id=rid)  # state carried

``Requests`` (one reply inbox for many requests) and ``connect_bounded`` are public
because hookwire.service builds on them too.

Needs the ``client`` extra of hookwire-schemas (msgspec and nats-py only).
"""

from ._auth import ENV_VARS as NATS_ENV_VARS
from ._auth import NATS_AUTH_VARS, NatsAuth, NatsAuthError, redact_url
from ._client import DEFAULT_TIMEOUT, DEFAULT_URL, Client, connect
from ._connect import NatsConnectError, connect_bounded
from ._errors import (
    HookwireTimeout,
    HookwireUnavailable,
    InvalidPayload,
    InvalidReply,
    PayloadTooLarge,
)
from ._hooks import EntityOptions, InvokeOptions
from ._requests import Requests
from ._result import HookResult
from ._state import StateStore, post_hook_of

__all__ = [
    "DEFAULT_TIMEOUT",
    "DEFAULT_URL",
    "NATS_AUTH_VARS",
    "NATS_ENV_VARS",
    "Client",
    "EntityOptions",
    "HookResult",
    "HookwireTimeout",
    "HookwireUnavailable",
    "InvalidPayload",
    "InvalidReply",
    "InvokeOptions",
    "NatsAuth",
    "NatsAuthError",
    "NatsConnectError",
    "PayloadTooLarge",
    "Requests",
    "StateStore",
    "connect",
    "connect_bounded",
    "post_hook_of",
    "redact_url",
]
