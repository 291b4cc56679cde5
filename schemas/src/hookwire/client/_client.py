"""The gateway client: sends hook events to the routers over NATS request-reply."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, Unpack

import msgspec
import nats
import nats.errors
from nats.aio.client import Client as NatsClient

from hookwire.schemas import Entity, GatewayReply, GatewayRequest, is_post_hook, subjects

from ._auth import NatsAuth, redact_url
from ._build import (
    Payload,
    as_result_payload,
    decode_payload,
    decode_result,
    default_entity,
    encode_payload,
    normalize_payload,
)
from ._connect import NatsConnectError, connect_bounded
from ._errors import (
    HookwireTimeout,
    HookwireUnavailable,
    InvalidReply,
    PayloadTooLarge,
    check_size,
)
from ._hooks import HookMethods, InvokeOptions
from ._requests import Requests
from ._result import HookResult
from ._state import DEFAULT_MAX_ENTRIES, DEFAULT_TTL, StateStore

_log = logging.getLogger("hookwire.client")

__all__ = ["DEFAULT_TIMEOUT", "DEFAULT_URL", "Client", "connect"]

DEFAULT_URL = "nats://127.0.0.1:4222"
#: Seconds an event may take, end to end, unless the call says otherwise.
DEFAULT_TIMEOUT = 30.0


_NO_PAYLOAD = (b"", b"null")
#: Retries of the first connect (so ~3 attempts, _RECONNECT_WAIT apart) before giving up.
_CONNECT_RETRIES = 2
_RECONNECT_WAIT = 0.25
_REQUEST_ENCODER = msgspec.json.Encoder()
_REPLY_DECODER = msgspec.json.Decoder(GatewayReply)

#: nats-py errors that mean no router could be reached at all.
_UNREACHABLE: tuple[type[Exception], ...] = (
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionDrainingError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.StaleConnectionError,
    nats.errors.NoServersError,
)


class Client(HookMethods):
    """Sends hook events for a gateway and returns the routers' decisions.

    Wraps a connected nats-py client. ``close()`` closes that connection only when
    this client opened it (:func:`connect`); one passed in stays its owner's.
    A pre reply's ``state`` is kept (bounded, expiring) and sent with the matching
    post event of the same ``request_id``.
    """

    __slots__ = ("_owns_connection", "_requests", "_states", "nc", "timeout")

    def __init__(
        self,
        nc: NatsClient,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        states: StateStore | None = None,
        owns_connection: bool = False,
    ) -> None:
        _check_timeout(timeout)
        self.nc = nc
        self.timeout = timeout
        self._states = states if states is not None else StateStore()
        self._owns_connection = owns_connection
        self._requests = Requests(nc)  # one reply inbox for all of this client's events

    @property
    def states(self) -> StateStore:
        """Pre reply states waiting for their post events."""
        return self._states

    async def invoke(
        self,
        hook: str,
        payload: Payload,
        *,
        entity: Entity | None = None,
        **options: Unpack[InvokeOptions],
    ) -> HookResult[Any]:
        """Send one ``hook`` event and return the router's decision.

        ``payload`` is the hook's payload Struct or a mapping (checked against the
        payload type for a built-in hook). A built-in entity hook gets an entity
        named from its payload unless ``entity`` is given. Raises
        :class:`HookwireUnavailable`, :class:`HookwireTimeout` or
        :class:`PayloadTooLarge` when the event gets no decision.
        """
        request_id = options.get("request_id") or os.urandom(16).hex()  # 128 random bits
        budget = options.get("timeout")
        budget = self.timeout if budget is None else _check_timeout(budget)
        sent = normalize_payload(hook, payload)
        if entity is None:
            entity = default_entity(hook, sent)
        state = options.get("state")
        post = is_post_hook(hook)
        if state is None and post:
            state = self._states.get(hook, request_id)
        request = _event(hook, request_id, entity, sent, state, budget, options)
        reply = await self._request(hook, _REQUEST_ENCODER.encode(request), budget)
        if post:
            self._states.forget(hook, request_id)
        elif reply.state or len(self._states):  # nothing to keep or forget: skip the store
            self._states.remember(hook, request_id, reply.state)
        return _result(hook, request_id, sent, reply)

    async def _request(self, hook: str, data: bytes, budget: float) -> GatewayReply:
        """One request-reply round trip, nats-py's failures mapped to hookwire's."""
        subject = subjects.hook_subject(hook)
        check_size(hook, len(data), self.nc.max_payload)
        try:
            # the router decides within the budget; wait a little longer for its answer
            msg = await self._requests.request(subject, data, budget + reply_grace(budget))
        except nats.errors.NoRespondersError:
            raise HookwireUnavailable(
                f"no hookwire router serves {subject} (NATS reports no responders); "
                "is `hookwire up` (or a router) running on this NATS server?",
                hook=hook,
            ) from None
        except nats.errors.TimeoutError:
            raise HookwireTimeout(hook, budget) from None
        except nats.errors.MaxPayloadError:  # the limit shrank on a reconnect
            raise PayloadTooLarge(hook, len(data), self.nc.max_payload) from None
        except _UNREACHABLE as exc:
            raise HookwireUnavailable(
                f"cannot send the {hook} event: NATS connection unusable ({exc})", hook=hook
            ) from exc
        try:
            return _REPLY_DECODER.decode(msg.data)
        except msgspec.DecodeError as exc:
            raise InvalidReply(hook, str(exc)) from exc

    async def close(self) -> None:
        """Forget waiting states; close the NATS connection if this client opened it."""
        self._states.clear()
        await self._requests.close()
        if self._owns_connection and not self.nc.is_closed:
            await self.nc.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def reply_grace(budget: float) -> float:
    """How much longer than the event's budget to wait for the decision to arrive."""
    return min(1.0, 0.05 + budget * 0.1)


async def connect(
    url: str = DEFAULT_URL,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    name: str = "hookwire-gateway",
    state_max_entries: int = DEFAULT_MAX_ENTRIES,
    state_ttl: float = DEFAULT_TTL,
    auth: NatsAuth | None = None,
    connect_deadline: float | None = None,
    **nats_options: Any,
) -> Client:
    """Connect to NATS at ``url`` and return a client that owns the connection.

    ``timeout`` is every event's default budget in seconds; ``nats_options`` go to
    ``nats.connect`` (credentials, TLS, reconnect settings ...). The first connect
    makes a few quick attempts and raises :class:`HookwireUnavailable` when NATS
    cannot be reached; once connected, the client reconnects forever (unless
    ``max_reconnect_attempts`` says otherwise), and events sent while NATS is away
    raise :class:`HookwireTimeout` or :class:`HookwireUnavailable`.

    ``auth`` gives credentials and TLS (:class:`NatsAuth`; default: the
    ``HOOKWIRE_NATS_*`` variables). An untrusted server certificate or a refused
    login raises :class:`HookwireUnavailable` at once; ``connect_deadline`` (default
    ``timeout``) bounds the whole first connect.
    """
    _check_timeout(timeout)
    states = StateStore(state_max_entries, state_ttl)
    connected: list[bool] = []

    async def on_error(exc: Exception) -> None:
        # nats-py's default logs each failed attempt with a traceback; the first
        # connect's failure is the HookwireUnavailable raised below
        if connected:
            _log.warning("hookwire client: NATS error: %r", exc)

    settings: dict[str, Any] = {
        "reconnect_time_wait": _RECONNECT_WAIT,
        "error_cb": on_error,
        **nats_options,
    }
    if auth is None:
        auth = NatsAuth.from_env()
    deadline = timeout if connect_deadline is None else connect_deadline
    try:
        nc = await connect_bounded(
            url, _CONNECT_RETRIES, auth=auth, deadline=deadline, name=name, **settings
        )
    except NatsConnectError as exc:
        raise HookwireUnavailable(str(exc)) from None
    except (TimeoutError, OSError, nats.errors.Error) as exc:
        raise HookwireUnavailable(f"cannot connect to NATS at {redact_url(url)}: {exc!r}") from exc
    connected.append(True)
    return Client(nc, timeout=timeout, states=states, owns_connection=True)


def _is_empty(raw: msgspec.Raw) -> bool:
    """A reply ``payload`` that is absent (empty) or ``null``."""
    return len(raw) <= 4 and bytes(raw) in _NO_PAYLOAD


def _check_timeout(timeout: float) -> float:
    if not timeout > 0:
        raise ValueError(f"timeout must be positive seconds, got {timeout!r}")
    return timeout


def _event(
    hook: str,
    request_id: str,
    entity: Entity | None,
    sent: Any,
    state: Mapping[str, Any] | None,
    budget: float,
    options: InvokeOptions,
) -> GatewayRequest:
    """The event on the wire for one ``invoke``."""
    return GatewayRequest(
        hook=hook,
        request_id=request_id,
        entity=entity,
        server_name=options.get("server_name"),
        server_id=options.get("server_id"),
        gateway_id=options.get("gateway_id"),
        user=options.get("user"),
        tenant_id=options.get("tenant_id"),
        agent=options.get("agent"),
        payload=msgspec.Raw(encode_payload(sent)),
        state=dict(state or {}),
        timeout=budget,
    )


def _result(hook: str, request_id: str, sent: Any, reply: GatewayReply) -> HookResult[Any]:
    """The router's reply as the caller sees it; an unmodified payload is the one sent."""
    return HookResult(
        hook=hook,
        request_id=reply.request_id or request_id,
        decision=reply.decision,
        payload=(
            as_result_payload(hook, sent)  # unchanged: no need to decode it again
            if not reply.modified or _is_empty(reply.payload)
            else decode_payload(hook, reply.payload)
        ),
        modified=reply.modified,
        violation=reply.violation,
        warnings=reply.warnings,
        trace=reply.trace,
        state=reply.state,
        error=reply.error,
        result=decode_result(hook, reply.result),
        decided_by=reply.decided_by,
        metadata=reply.metadata,
    )
