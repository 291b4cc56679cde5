"""Running one event through its resolved plugins, phase by phase (docs/pipeline.md, Modes).

sequential -> transform -> audit -> concurrent; fire_and_forget after the reply
(stored in JetStream by ``hookwire.router.delivery``).
Within a phase the resolved order is kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import msgspec
import structlog
from nats.aio.client import Client

from hookwire.router.pipeline._calls import CallResult, call_plugin
from hookwire.router.routing._instances import PluginInstance, ResolvedPlugin
from hookwire.router.routing._modes import Mode, OnError
from hookwire.schemas import (
    HOOK_RESULTS,
    NO_PAYLOAD,
    ErrorInfo,
    ExecutionRecord,
    ExecutionStatus,
    GatewayReply,
    GatewayRequest,
    HttpAuthCheckPermissionResultPayload,
    PluginWarning,
    RequestContext,
    Violation,
    raw_present,
)
from hookwire.service import Requests

log = structlog.get_logger("hookwire.router")
_encode = msgspec.json.Encoder().encode
_SERIAL = (Mode.SEQUENTIAL, Mode.TRANSFORM, Mode.AUDIT)
#: Log event of each kind of failed call: the names the worker logs the same failure under.
_FAILURE_EVENTS = {
    "error": "plugin.error",
    "timeout": "plugin.timeout",
    "unavailable": "plugin.unavailable",
}
#: ``violation.code`` of a warning a plugin gave itself, in the reply's ``warnings``.
PLUGIN_WARNING_CODE = "plugin_warning"
_ERROR_CODES = {
    "error": "plugin_error",
    "timeout": "plugin_timeout",
    "unavailable": "plugin_unavailable",
}


class EventRun:
    """The mutable state of one event on its way through the phases."""

    __slots__ = (
        "context",
        "deadline",
        "decided_by",
        "event",
        "metadata",
        "modified",
        "payload",
        "result",
        "state",
        "trace",
        "warnings",
    )

    def __init__(self, event: GatewayRequest, deadline: float | None) -> None:
        self.event = event
        self.deadline = deadline
        self.payload = event.payload
        self.modified = False
        self.warnings: list[PluginWarning] = []
        self.trace: list[ExecutionRecord] = []
        self.state: dict[str, Any] = {}
        self.result: msgspec.Raw = NO_PAYLOAD
        self.decided_by: list[str] = []
        self.metadata: dict[str, dict[str, Any]] = {}
        self.context = RequestContext(
            request_id=event.request_id,
            hook=event.hook,
            entity=event.entity,
            server_name=event.server_name,
            server_id=event.server_id,
            gateway_id=event.gateway_id,
            user=event.user,
            tenant_id=event.tenant_id,
            agent=event.agent,
        )

    def remaining(self) -> float | None:
        if self.deadline is None:
            return None
        return self.deadline - asyncio.get_running_loop().time()

    def record(
        self,
        inst: PluginInstance,
        status: ExecutionStatus,
        ms: float = 0.0,
        modified: bool = False,
        error: str | None = None,
    ) -> None:
        self.trace.append(
            ExecutionRecord(
                plugin=inst.plugin,
                instance=inst.id,
                mode=inst.mode.value,
                status=status,
                duration_ms=round(ms, 3),
                payload_modified=modified,
                error=error,
            )
        )

    def warn(
        self, inst: PluginInstance, kind: str, message: str, violation: Violation | None = None
    ) -> None:
        self.warnings.append(
            PluginWarning(
                plugin=inst.plugin,
                instance=inst.id,
                kind=kind,  # type: ignore[arg-type]
                message=message,
                violation=violation,
            )
        )

    def reply(
        self, decision: str, violation: Violation | None = None, error: ErrorInfo | None = None
    ) -> GatewayReply:
        return GatewayReply(
            request_id=self.event.request_id,
            decision=decision,  # type: ignore[arg-type]
            payload=self.payload,
            modified=self.modified,
            violation=violation,
            warnings=self.warnings,
            state=self.state,
            trace=self.trace,
            error=error,
            result=self.result,
            decided_by=self.decided_by,
            metadata=self.metadata,
        )

    def take_result(self, inst: PluginInstance, result: msgspec.Raw) -> None:
        """Keep a plugin's result: the first one given, except that a deny beats a grant."""
        if not raw_present(self.result) or (
            _denies(self.event.hook, result) and not _denies(self.event.hook, self.result)
        ):
            self.result = result
        if inst.plugin not in self.decided_by:
            self.decided_by.append(inst.plugin)


_decode_grant = msgspec.json.Decoder(HttpAuthCheckPermissionResultPayload).decode


def _denies(hook: str, result: msgspec.Raw) -> bool:
    """Whether ``result`` refuses a permission (``granted: false``); checked already."""
    return hook == "http_auth_check_permission" and not _decode_grant(result).granted


def _violation(inst: PluginInstance, result: CallResult) -> Violation:
    assert result.reply is not None and result.reply.violation is not None
    v = result.reply.violation
    return (
        v if v.plugin_name == inst.plugin else msgspec.structs.replace(v, plugin_name=inst.plugin)
    )


def _plugin_warning(inst: PluginInstance, text: str) -> Violation:
    """A plugin's own warning (``Continue(warnings=...)``), as the reply lists it."""
    return Violation(reason=text, code=PLUGIN_WARNING_CODE, plugin_name=inst.plugin)


class Pipeline:
    """Calls plugins for events; owns the set of instances disabled by ``on_error: disable``."""

    def __init__(
        self,
        nc: Client,
        fail_on_plugin_error: bool,
        requests: Requests | None = None,
        *,
        deny_if_undecided: bool = False,
    ) -> None:
        self.nc = nc
        self.requests = requests or Requests(nc)
        self.fail_on_plugin_error = fail_on_plugin_error
        #: a hook with a result type and no deciding plugin is blocked (``undecided``)
        self.deny_if_undecided = deny_if_undecided
        self.disabled: set[str] = set()
        #: plugins (as their workers know them) whose manifest declares their hooks
        #: idempotent: a call lost with its worker is sent once more to another worker
        self.idempotent: frozenset[str] = frozenset()

    async def run(self, run: EventRun, plugins: Sequence[ResolvedPlugin]) -> GatewayReply:
        """The event's reply; fire_and_forget plugins are left to ``fire_and_forget``."""
        for mode in _SERIAL:
            for resolved in plugins:
                if resolved.instance.mode is mode:
                    stop = await self._serial(run, resolved.instance)
                    if stop is not None:
                        return stop
        concurrent = [r.instance for r in plugins if r.instance.mode is Mode.CONCURRENT]
        if concurrent:
            stop = await self._concurrent(run, concurrent)
            if stop is not None:
                return stop
        if self.deny_if_undecided and not run.decided_by and run.event.hook in HOOK_RESULTS:
            violation = Violation(
                reason=f"no plugin decided {run.event.hook}",
                description="no plugin gave a result or blocked, and deny_if_undecided is set",
                code="undecided",
            )
            return run.reply("block", violation)
        return run.reply("allow")

    async def _call(self, run: EventRun, inst: PluginInstance) -> CallResult:
        timeout = inst.timeout
        left = run.remaining()
        if left is not None:
            if left <= 0:
                return CallResult(
                    "timeout", None, "the event's time budget ran out before the call", 0.0
                )
            timeout = min(timeout, left)
        state = run.event.state.get(inst.id) or {}
        return await call_plugin(
            self.requests,
            inst,
            run.event.hook,
            run.payload,
            run.context,
            state,
            timeout,
            retry_lost=inst.worker in self.idempotent,
        )

    def _skip_disabled(self, run: EventRun, inst: PluginInstance) -> bool:
        if inst.id in self.disabled:
            run.record(inst, "skipped", error="disabled after an earlier error (on_error: disable)")
            return True
        return False

    async def _serial(self, run: EventRun, inst: PluginInstance) -> GatewayReply | None:
        if self._skip_disabled(run, inst):
            return None
        result = await self._call(run, inst)
        if result.failed:
            return self._on_error(run, inst, result)
        return self._settle(run, inst, result)

    def _settle(
        self, run: EventRun, inst: PluginInstance, result: CallResult
    ) -> GatewayReply | None:
        """Apply a completed or blocked call; a reply when it ends the event."""
        reply = result.reply
        assert reply is not None
        if reply.state:
            run.state[inst.id] = reply.state
        if reply.metadata:
            run.metadata[inst.plugin] = {**run.metadata.get(inst.plugin, {}), **reply.metadata}
        if result.outcome == "blocked":
            violation = _violation(inst, result)
            run.record(inst, "blocked", result.duration_ms)
            if inst.mode in (Mode.SEQUENTIAL, Mode.CONCURRENT):
                if inst.plugin not in run.decided_by:
                    run.decided_by.append(inst.plugin)
                return run.reply("block", violation)
            run.warn(inst, "violation", violation.reason, violation)
            return None
        may_modify = inst.mode in (Mode.SEQUENTIAL, Mode.TRANSFORM)
        takes = raw_present(reply.modified_payload) and may_modify
        if takes:
            run.payload = reply.modified_payload
            run.modified = True
        if may_modify and raw_present(reply.result):
            run.take_result(inst, reply.result)
        for text in reply.warnings:  # bounded by WorkerReply's schema
            run.warn(inst, "violation", text, _plugin_warning(inst, text))
        run.record(inst, "completed", result.duration_ms, modified=takes)
        return None

    def _on_error(
        self, run: EventRun, inst: PluginInstance, result: CallResult
    ) -> GatewayReply | None:
        status: ExecutionStatus = "timeout" if result.outcome == "timeout" else "error"
        run.record(inst, status, result.duration_ms, error=result.error)
        code = _ERROR_CODES[result.outcome]
        how = f"plugin {inst.plugin!r} ({inst.id}) {result.outcome}: {result.error}"
        log.warning(
            _FAILURE_EVENTS[result.outcome],
            plugin=inst.plugin,
            instance=inst.id,
            outcome=result.outcome,
            error=result.error,
            request_id=run.event.request_id,
        )
        if self.fail_on_plugin_error:
            return run.reply("error", error=ErrorInfo(code=code, message=how))
        if inst.on_error is OnError.FAIL:
            violation = Violation(
                reason=f"plugin {inst.plugin} failed ({result.outcome})",
                description=how,
                code=code,
                plugin_name=inst.plugin,
            )
            return run.reply("block", violation)
        if inst.on_error is OnError.DISABLE:
            self.disabled.add(inst.id)
            log.warning("plugin.instance.disabled", plugin=inst.plugin, instance=inst.id)
        run.warn(inst, "error", how)
        return None

    async def _concurrent(
        self, run: EventRun, insts: Sequence[PluginInstance]
    ) -> GatewayReply | None:
        """All at once; the first block (or failing error) wins and the rest are cancelled."""
        loop = asyncio.get_running_loop()
        tasks = {
            loop.create_task(self._call(run, i)): i
            for i in insts
            if not self._skip_disabled(run, i)
        }
        pending = set(tasks)
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    inst, result = tasks[task], task.result()
                    if result.failed:
                        stop = self._on_error(run, inst, result)
                    else:
                        stop = self._settle(run, inst, result)
                    if stop is not None:
                        return stop
        finally:
            for task in pending:
                task.cancel()
                run.record(tasks[task], "skipped", error="cancelled: another plugin decided first")
        return None
