"""Test plugin: lets the call go on with ``config["warnings"]`` as its warnings."""

from __future__ import annotations

from hookwire.schemas import ToolPreInvokePayload
from hookwire.workers import Context, Continue, Plugin


class Warner(Plugin):
    async def tool_pre_invoke(self, payload: ToolPreInvokePayload, ctx: Context) -> Continue:
        return Continue(warnings=self.config.get("warnings", []))
