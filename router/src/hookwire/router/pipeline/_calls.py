"""Calling one plugin instance over NATS, and what can come of it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
import nats.errors

from hookwire.router.pipeline._deaths import WorkerLost
from hookwire.router.routing._instances import PluginInstance
from hookwire.schemas import (
    HOOK_PAYLOADS,
    HOOK_RESULTS,
    HookwireError,
    RequestContext,
    WorkerReply,
    WorkerRequest,
    raw_present,
)
from hookwire.schemas.subjects import plugin_subject
from hookwire.service import Requests

Outcome = Literal["completed", "blocked", "error", "timeout", "unavailable"]

_encode = msgspec.json.Encoder().encode
_reply_decoder = msgspec.json.Decoder(WorkerReply)
_payload_decoders = {hook: msgspec.json.Decoder(t) for hook, t in HOOK_PAYLOADS.items()}
_object_decoder = msgspec.json.Decoder(dict)
_result_decoders = {hook: msgspec.json.Decoder(t) for hook, t in HOOK_RESULTS.items()}
_any_decoder = msgspec.json.Decoder()


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


class NotUtf8(HookwireError, ValueError):
    """JSON whose strings are not valid UTF-8: malformed input, whatever its schema."""


def read_payload(hook: str, payload: msgspec.Raw) -> Any:
    """``payload`` decoded as ``hook``'s payload; ``ValueError`` saying why it does not fit."""
    decoder = _payload_decoders.get(hook, _object_decoder)
    try:
        return decoder.decode(payload)
    except msgspec.ValidationError as exc:
        raise ValueError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise NotUtf8(f"not valid UTF-8 (byte {exc.start} of the payload)") from None
    except (msgspec.DecodeError, ValueError, RecursionError) as exc:
        raise ValueError(f"not valid JSON: {exc}") from None


def check_payload(hook: str, payload: msgspec.Raw) -> str | None:
    """Why ``payload`` breaks ``hook``'s payload schema, or None if it fits."""
    try:
        read_payload(hook, payload)
    except ValueError as exc:
        return str(exc)
    return None


def check_result(hook: str, result: msgspec.Raw) -> str | None:
    """Why ``result`` breaks ``hook``'s result type, or None if it fits (or has none)."""
    decoder = _result_decoders.get(hook)
    try:
        if decoder is None:
            _any_decoder.decode(result)
        else:
            decoder.decode(result)
    except msgspec.ValidationError as exc:
        return str(exc)
    except (msgspec.DecodeError, ValueError, RecursionError) as exc:
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
    *,
    retry_lost: bool = False,
) -> CallResult:
    """Request-reply to the instance's worker pool; never raises for a plugin's failure.

    A call whose worker died before answering (``WorkerLost``) is an error at once; with
    ``retry_lost`` (the plugin declares its hooks idempotent) it is sent once more, to
    whichever worker of the pool takes it, within what is left of ``timeout``.
    """
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
    subject, data = plugin_subject(instance.worker, hook), _encode(request)
    try:
        try:
            msg = await requests.request(subject, data, timeout)
        except WorkerLost as lost:
            left = timeout - (time.perf_counter() - start)
            if not retry_lost or left <= 0:
                return _failed("error", f"the worker serving this call died: {lost}", start)
            msg = await requests.request(subject, data, left)
    except WorkerLost as lost:
        return _failed("error", f"the worker serving this call died, twice: {lost}", start)
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
    except (msgspec.MsgspecError, ValueError, RecursionError) as exc:
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
    if raw_present(reply.result):
        problem = check_result(hook, reply.result)
        if problem is not None:
            return CallResult(
                "error", reply, f"result breaks the {hook} result type: {problem}", _ms(start)
            )
    return CallResult("completed", reply, None, _ms(start))


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def _failed(outcome: Outcome, error: str, start: float) -> CallResult:
    return CallResult(outcome, None, error, _ms(start))
