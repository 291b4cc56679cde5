"""One plugin call: request bytes in, reply bytes out. No NATS here (see ``_runtime``).

Every outcome is a ``WorkerReply``: a plugin that raises gets an immediate error reply
(``"ValueError: ..."``), so a failing plugin never looks like a timeout to the router.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import msgspec
import structlog

from hookwire.schemas import (
    HOOK_PAYLOADS,
    MAX_PLUGIN_WARNINGS,
    MAX_WARNING_LENGTH,
    NO_PAYLOAD,
    Violation,
    WorkerReply,
    WorkerRequest,
)

from ._context import Context
from ._deadlines import Deadlines
from ._instances import Instance, InstanceConfigError, Instances
from ._sdk import Block, Continue

log = structlog.get_logger("hookwire.workers")

DEADLINE_PASSED = "deadline passed before start"
#: Log event of each kind of error reply (``Dispatcher.errors`` counts them by kind).
_ERROR_EVENTS = {
    "request": "worker.request.error",
    "deadline": "worker.request.late",
    "plugin": "plugin.error",
    "timeout": "plugin.timeout",
}


def describe(exc: BaseException) -> str:
    """``"ExcType: message"``, or just the type when the message is empty."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Dispatcher:
    """Decodes a WorkerRequest, calls the plugin instance's hook, encodes its answer."""

    def __init__(self, plugin: str, hooks: tuple[str, ...], instances: Instances) -> None:
        self.plugin = plugin
        self.hooks = hooks
        self._instances = instances
        #: Calls answered with an error, by kind (counted on error paths only).
        self.errors = dict.fromkeys(_ERROR_EVENTS, 0)
        self._request = msgspec.json.Decoder(WorkerRequest)
        self._deadlines = Deadlines()
        self._encoder = msgspec.json.Encoder()
        self._payloads: dict[str, msgspec.json.Decoder[Any]] = {
            hook: msgspec.json.Decoder(HOOK_PAYLOADS.get(hook, dict[str, Any])) for hook in hooks
        }

    async def handle(
        self, data: bytes, subject_hook: str | None = None, *, delivery: int = 1
    ) -> bytes:
        """Answer one request; ``subject_hook`` is the hook its subject names, if any;
        ``delivery`` counts the tries of a durable (fire_and_forget) call."""
        arrived = time.monotonic()
        try:
            req = self._request.decode(data)
        except msgspec.DecodeError as exc:
            self.errors["request"] += 1
            log.warning("worker.request.malformed", plugin=self.plugin, error=str(exc))
            return self._encoder.encode(WorkerReply(error=f"malformed request: {exc}"))
        if subject_hook is not None and subject_hook != req.hook:
            reply = self._error(req, f"request for hook {req.hook!r} sent to {subject_hook!r}")
        else:
            reply = await self.call(req, arrived, delivery)
        return self._encoder.encode(reply)

    def error_reply(self, exc: BaseException) -> bytes:
        """The reply when ``handle`` itself fails (a worker bug, not a plugin error)."""
        return self._encoder.encode(WorkerReply(error=f"worker failed: {describe(exc)}"))

    async def call(self, req: WorkerRequest, arrived: float, delivery: int = 1) -> WorkerReply:
        """Run ``req`` against its instance; ``arrived`` (monotonic) starts its timeout."""
        problem = self._check(req)
        if problem is not None:
            return self._error(req, problem)
        if req.timeout is not None and req.timeout <= 0:
            return self._error(req, DEADLINE_PASSED, "deadline")
        try:
            payload = self._payloads[req.hook].decode(req.payload)
        except msgspec.DecodeError as exc:
            return self._error(req, f"invalid {req.hook} payload: {exc}")
        try:
            inst = await self._instances.acquire(req.instance, req.config)
        except msgspec.DecodeError as exc:
            return self._error(req, f"config of instance {req.instance!r} is invalid: {exc}")
        except InstanceConfigError as exc:
            return self._error(req, str(exc))
        except Exception as exc:
            log.exception("plugin.setup.failed", plugin=self.plugin, instance=req.instance)
            message = f"setup of instance {req.instance!r} failed: {describe(exc)}"
            return self._error(req, message, "plugin")
        deadline = None if req.timeout is None else arrived + req.timeout
        try:
            return await self._run(req, inst, payload, deadline, delivery)
        finally:
            self._instances.release(inst)

    def _check(self, req: WorkerRequest) -> str | None:
        if req.plugin != self.plugin:
            return f"request for plugin {req.plugin!r} reached a worker of {self.plugin!r}"
        if req.hook not in self._payloads:
            return (
                f"plugin {self.plugin!r} does not implement hook {req.hook!r} "
                f"(its hooks: {', '.join(self.hooks)})"
            )
        return None

    async def _run(
        self,
        req: WorkerRequest,
        inst: Instance,
        payload: Any,
        deadline: float | None,
        delivery: int = 1,
    ) -> WorkerReply:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return self._error(req, DEADLINE_PASSED, "deadline")
        ctx = Context(
            request=req.context,
            config=inst.config,
            state=dict(req.state),
            instance=req.instance,
            hook=req.hook,
            deadline=deadline,
            delivery=delivery,
        )
        task = asyncio.current_task()
        watched = deadline is not None and task is not None
        if watched:
            self._deadlines.watch(task, deadline)  # type: ignore[arg-type]
        expired = False
        try:
            try:
                result = await getattr(inst.plugin, req.hook)(payload, ctx)
            finally:
                expired = watched and self._deadlines.release(task)  # type: ignore[arg-type]
        except asyncio.CancelledError:
            if not expired:
                raise
            task.uncancel()  # type: ignore[union-attr]
            message = f"TimeoutError: hook did not finish within {req.timeout}s"
            return self._error(req, message, "timeout")
        except Exception as exc:  # a plugin's own TimeoutError included: a plugin error
            return self._plugin_failed(req, exc)
        return self._reply(req, ctx, result)

    def _reply(self, req: WorkerRequest, ctx: Context, result: Any) -> WorkerReply:
        # An emptied state is sent back too, so the router can forget what it holds.
        state = ctx.state if ctx.state or req.state else None
        if result is None:
            return WorkerReply(state=state)
        if isinstance(result, Continue):
            modified = NO_PAYLOAD
            if result.payload is not None:
                try:
                    modified = msgspec.Raw(self._encoder.encode(result.payload))
                except (TypeError, msgspec.EncodeError) as exc:
                    message = f"modified payload cannot be encoded: {describe(exc)}"
                    return self._error(req, message, "plugin")
            given = NO_PAYLOAD
            if result.result is not None:
                try:
                    given = msgspec.Raw(self._encoder.encode(result.result))
                except (TypeError, msgspec.EncodeError) as exc:
                    message = f"result cannot be encoded: {describe(exc)}"
                    return self._error(req, message, "plugin")
            metadata = result.metadata or {}
            try:
                warnings = bounded_warnings(result.warnings)
            except TypeError as exc:
                return self._error(req, str(exc), "plugin")
            return WorkerReply(
                modified_payload=modified,
                metadata=metadata,
                state=state,
                result=given,
                warnings=warnings,
            )
        if isinstance(result, Block):
            return WorkerReply(
                continue_processing=False, violation=self._violation(result), state=state
            )
        return self._error(
            req,
            f"hook returned {type(result).__name__}; expected Continue, Block or None",
            "plugin",
        )

    def _violation(self, block: Block) -> Violation:
        return Violation(
            reason=block.reason,
            description=block.description,
            code=block.code,
            details=block.details or {},
            plugin_name=self.plugin,
            http_status_code=block.http_status_code,
            http_headers=block.http_headers,
        )

    def _plugin_failed(self, req: WorkerRequest, exc: Exception) -> WorkerReply:
        self.errors["plugin"] += 1
        log.exception(
            _ERROR_EVENTS["plugin"], plugin=self.plugin, hook=req.hook, instance=req.instance
        )
        return WorkerReply(error=describe(exc))

    def _error(self, req: WorkerRequest, message: str, kind: str = "request") -> WorkerReply:
        self.errors[kind] += 1
        log.warning(
            _ERROR_EVENTS[kind],
            plugin=self.plugin,
            hook=req.hook,
            instance=req.instance,
            request_id=req.context.request_id,
            error=message,
        )
        return WorkerReply(error=message)


def bounded_warnings(warnings: object) -> list[str]:
    """``Continue.warnings`` as the reply carries them: the first ``MAX_PLUGIN_WARNINGS``
    non-empty ones, each cut to ``MAX_WARNING_LENGTH`` characters (ending in ``…``).

    ``TypeError`` when they are not a sequence of strings (the plugin's error).
    """
    if isinstance(warnings, str) or not isinstance(warnings, Sequence):
        raise TypeError(f"warnings must be a list of strings, not {type(warnings).__name__}")
    kept: list[str] = []
    for warning in warnings:
        if not isinstance(warning, str):
            raise TypeError(f"a warning must be a string, not {type(warning).__name__}")
        if not warning:
            continue
        if len(warning) > MAX_WARNING_LENGTH:
            warning = warning[: MAX_WARNING_LENGTH - 1] + "…"
        kept.append(warning)
        if len(kept) == MAX_PLUGIN_WARNINGS:
            break
    return kept
