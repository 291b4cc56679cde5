"""``Bridge``: the cpex plugin that hands every hook it is given to hookwire."""

from __future__ import annotations

import logging
from typing import Any

from cpex.framework.base import Plugin
from cpex.framework.models import PluginConfig, PluginContext, PluginResult

from hookwire import client as hw
from hookwire.schemas import is_post_hook

from ._connections import connections
from ._convert import event_options, failure_violation, result_from_reply, result_type, wire_payload
from ._settings import BridgeSettings

__all__ = ["Bridge"]

#: The gateway's own logging setup applies (stdlib logging, as cpex and ContextForge use).
log = logging.getLogger("hookwire.cpex")


class Bridge(Plugin):
    """Forwards each hook of its ``hooks:`` list to hookwire and returns hookwire's decision.

    cpex routes every hook of a plugin that has a callable ``invoke_hook`` to it, as it
    does for its external plugins. The gateway's entry::

        - name: hookwire
          kind: hookwire_cpex.Bridge
          hooks: [tool_pre_invoke, tool_post_invoke]
          mode: sequential
          config: {nats: "nats://hookwire-nats:4222", timeout: 10, on_failure: closed}
    """

    def __init__(self, config: PluginConfig) -> None:
        super().__init__(config)
        self.settings = BridgeSettings.parse(config.name, config.config)

    async def invoke_hook(
        self, hook_type: str, payload: Any, context: PluginContext
    ) -> PluginResult[Any]:
        """One hook event through hookwire, as cpex's ``PluginResult`` of the hook."""
        settings = self.settings
        wire = wire_payload(payload)
        gc = context.global_context
        options: dict[str, Any] = event_options(hook_type, wire, gc)
        if is_post_hook(hook_type):  # what the pre hook's plugins handed on
            options["state"] = dict(context.state.get(settings.state_key) or {})
        try:
            gateway = await connections.get(settings)
            reply = await gateway.invoke(
                hook_type, wire, timeout=settings.timeout, **_non_null(options)
            )
        except hw.InvalidPayload as exc:
            return self._failed(hook_type, "HOOKWIRE_INVALID_PAYLOAD", str(exc))
        except hw.HookwireTimeout as exc:
            return self._failed(hook_type, "HOOKWIRE_TIMEOUT", str(exc))
        except (hw.HookwireUnavailable, hw.InvalidReply) as exc:
            return self._failed(hook_type, "HOOKWIRE_UNAVAILABLE", str(exc))
        if reply.decision == "error":
            error = reply.error
            code = error.code if error is not None else "error"
            message = error.message if error is not None else "hookwire answered with an error"
            return self._failed(hook_type, f"HOOKWIRE_{code.upper()}", message)
        if not is_post_hook(hook_type):
            context.state[settings.state_key] = dict(reply.state)
        return result_from_reply(hook_type, reply)

    def _failed(self, hook: str, code: str, message: str) -> PluginResult[Any]:
        """No decision from hookwire: block (fail closed) or let through (fail open)."""
        log.warning(
            "hookwire bridge %r: no decision for %s (%s: %s); failing %s",
            self.name,
            hook,
            code,
            message,
            self.settings.on_failure,
        )
        cls = result_type(hook)
        if self.settings.on_failure == "open":
            return cls(continue_processing=True, metadata={"hookwire_error": message})
        return cls(continue_processing=False, violation=failure_violation(code, message))


def _non_null(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if v is not None}
