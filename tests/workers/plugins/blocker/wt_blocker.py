"""Test plugin: blocks every tool call."""

from __future__ import annotations

from hookwire.schemas import ToolPreInvokePayload
from hookwire.workers import Block, Context, Plugin


class Blocker(Plugin):
    async def tool_pre_invoke(self, payload: ToolPreInvokePayload, ctx: Context) -> Block:
        return Block(
            self.config.get("reason", "blocked"),
            code="TOOL_DENIED",
            details={"tool": payload.name},
            http_status_code=403,
        )
