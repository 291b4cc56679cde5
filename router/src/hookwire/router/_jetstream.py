"""JetStream helpers every part of the router shares: an acknowledged publish over one
reply inbox, and creating or updating a stream."""

from __future__ import annotations

import msgspec
import nats.errors
import nats.js.errors
from nats.js.api import StreamConfig
from nats.js.client import JetStreamContext

from hookwire.router.errors import JetStreamPublishError, NoStreamError
from hookwire.service import Requests

_ack = msgspec.json.Decoder(dict[str, object]).decode
#: Seconds the router waits for JetStream to acknowledge a stored message.
ACK_TIMEOUT = 5.0


async def publish_acked(
    requests: Requests, subject: str, data: bytes, timeout: float = ACK_TIMEOUT
) -> None:
    """Publish ``data`` and wait for JetStream's acknowledgement; raises
    JetStreamPublishError saying why it was not stored."""
    try:
        msg = await requests.request(subject, data, timeout)
    except nats.errors.NoRespondersError:
        raise NoStreamError(f"no JetStream stream takes {subject!r}") from None
    except nats.errors.TimeoutError:
        raise JetStreamPublishError(f"JetStream did not acknowledge within {timeout}s") from None
    except nats.errors.Error as exc:
        raise JetStreamPublishError(f"NATS error: {exc!r}") from exc
    try:
        ack = _ack(msg.data)
    except msgspec.MsgspecError:
        raise JetStreamPublishError(f"unreadable JetStream ack: {msg.data[:200]!r}") from None
    if "error" in ack:
        raise JetStreamPublishError(f"JetStream refused the message: {ack['error']}")


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    """Create the stream, or bring an existing one to ``config``."""
    try:
        await js.add_stream(config)
    except nats.js.errors.BadRequestError:
        await js.update_stream(config)
