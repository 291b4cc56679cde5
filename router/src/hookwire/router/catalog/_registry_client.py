"""Asking the registry service of a running router (``hookwire plugins --nats``, the
admin service)."""

from __future__ import annotations

from typing import TypeVar

import msgspec
from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from hookwire.router.errors import SourceError
from hookwire.schemas import GetReply, ListReply, SearchReply

ReplyT = TypeVar("ReplyT", ListReply, GetReply, SearchReply)
_encode = msgspec.json.Encoder().encode


async def registry_request(
    nc: Client,
    subject: str,
    request: msgspec.Struct,
    kind: type[ReplyT],
    timeout: float,
    where: str = "",
) -> ReplyT:
    """One request to the registry service; SourceError when none answers (``where``
    names the NATS server in the message)."""
    at = f" at {where}" if where else ""
    try:
        msg = await nc.request(subject, _encode(request), timeout=timeout)
    except NoRespondersError:
        raise SourceError(
            f"no registry{at}: no router is running there (hookwire router / up)"
        ) from None
    except NatsTimeout:
        raise SourceError(f"the registry{at} did not answer within {timeout:g}s") from None
    return msgspec.json.decode(msg.data, type=kind)
