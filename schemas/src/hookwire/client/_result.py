"""What a gateway gets back for one hook event."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

from hookwire.schemas import Decision, ErrorInfo, ExecutionRecord, PluginWarning, Violation

__all__ = ["HookResult"]

P = TypeVar("P")


class HookResult(msgspec.Struct, Generic[P], frozen=True, kw_only=True):
    """The router's decision on one event, with the payload decoded.

    ``payload`` is the payload as it stands after the plugins: the hook's payload
    Struct for a built-in hook (a dict for a custom hook); the payload sent when the
    reply carried none. ``error`` explains an ``error`` decision, which is returned,
    not raised. ``state`` is what the plugins handed on to the matching post hook
    (the client sends it with the post event by itself). ``result`` is the hook's
    answer (``HttpAuthResolveUserResultPayload``, ``HttpAuthCheckPermissionResultPayload``;
    plain JSON for a custom hook), None when no plugin gave one; ``decided_by`` names
    the plugins that gave a result or blocked; ``metadata`` is each plugin's metadata.
    """

    hook: str
    request_id: str
    decision: Decision
    payload: P
    modified: bool = False
    violation: Violation | None = None
    warnings: list[PluginWarning] = []
    trace: list[ExecutionRecord] = []
    state: dict[str, Any] = {}
    error: ErrorInfo | None = None
    result: Any = None
    decided_by: list[str] = []
    metadata: dict[str, dict[str, Any]] = {}

    @property
    def decided(self) -> bool:
        """A plugin gave a result or blocked: not "allowed because nothing decided"."""
        return bool(self.decided_by)

    @property
    def allowed(self) -> bool:
        """The event may go on (with ``payload``)."""
        return self.decision == "allow"

    @property
    def blocked(self) -> bool:
        """A plugin stopped the event; ``violation`` says why."""
        return self.decision == "block"
