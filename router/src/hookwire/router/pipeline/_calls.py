"""Calling one plugin instance over NATS, and what can come of it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import msgspec
import nats.errors

from hookwire.router.routing._instances import PluginInstance
from hookwire.schemas import HOOK_PAYLOADS, RequestContext, WorkerReply, WorkerRequest, raw_present
from hookwire.schemas.subjects import plugin_subject
from hookwire.service import Requests

Outcome = Literal["completed", "blocked", "error", "timeout", "unavailable"]

_encode = msgspec.json.Encoder().encode
_reply_decoder = msgspec.json.Decoder(WorkerReply)
_payload_decoders = {hook: msgspec.json.Decoder(t) for hook, t in HOOK_PAYLOADS.items()}
_object_decoder = msgspec.json.Decoder(dict)


@dataclass(slots=True)
class CallResult:
    """One plugin call: its outcome, the reply (if any) and what went wrong (if anything)."""

    outcome: Outcome
    reply: WorkerReply | None
    error: str | None
    duration_ms: float

    @property
    def failed(self) -> bool:
        return self.outcome in ("error", "timeout", "unavailable")


def check_payload(hook: str, payload: msgspec.Raw) -> str | None:
    """Why ``payload`` breaks ``hook``'s payload schema, or None if it fits."""
    decoder = _payload_decoders.get(hook, _object_decoder)
    try:
        decoder.decode(payload)
    except msgspec.ValidationError as exc:
        return str(exc)
    except msgspec.DecodeError as exc:
        return f"not valid JSON: {exc}"
    return None


async def call_plugin(
    requests: Requests,
    instance: PluginInstance,
    hook: str,
    payload: msgspec.Raw,
    context: RequestContext,
    state: dict[str, object],
    timeout: float,
) -> CallResult:
    """Request-reply to the instance's worker pool; never raises for a plugin's failure."""
    request = WorkerRequest(
        instance=instance.id,
        plugin=instance.worker,
        hook=hook,
        payload=payload,
        config=msgspec.Raw(instance.config_json),
        context=context,
        state=state,
        timeout=timeout,
    )
    start = time.perf_counter()
    try:
        msg = await requests.request(
            plugin_subject(instance.worker, hook), _encode(request), timeout
        )
    except nats.errors.NoRespondersError:
        return _failed("unavailable", f"no worker is serving plugin {instance.worker!r}", start)
    except nats.errors.TimeoutError:
        return _failed("timeout", f"no reply within {timeout:.3g}s", start)
    except nats.errors.MaxPayloadError:
        return _failed(
            "error",
            f"request exceeds the server's max_payload ({requests.nc.max_payload} bytes)",
            start,
        )
    except nats.errors.Error as exc:
        return _failed("error", f"NATS error: {exc!r}", start)
    return _interpret(hook, msg.data, start)


def _interpret(hook: str, data: bytes, start: float) -> CallResult:
    try:
        reply = _reply_decoder.decode(data)
    except msgspec.MsgspecError as exc:
        return _failed("error", f"unreadable worker reply: {exc}", start)
    if reply.error is not None:
        return CallResult("error", reply, reply.error, _ms(start))
    if not reply.continue_processing:
        return CallResult("blocked", reply, None, _ms(start))
    if raw_present(reply.modified_payload):
        problem = check_payload(hook, reply.modified_payload)
        if problem is not None:
            return CallResult(
                "error", reply, f"modified payload breaks the {hook} schema: {problem}", _ms(start)
            )
    return CallResult("completed", reply, None, _ms(start))


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def _failed(outcome: Outcome, error: str, start: float) -> CallResult:
    return CallResult(outcome, None, error, _ms(start))
