"""Test plugin: appends a line to ``config["marker"]`` when called, sleeps ``config["seconds"]``."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hookwire.schemas import ToolPreInvokePayload
from hookwire.workers import Context, Continue, Plugin


class Sleeper(Plugin):
    async def tool_pre_invoke(self, payload: ToolPreInvokePayload, ctx: Context) -> Continue:
        marker = self.config.get("marker")
        if marker:
            with Path(marker).open("a") as f:
                f.write(f"{ctx.request.request_id}\n")
        await asyncio.sleep(float(self.config.get("seconds", 0)))
        return Continue(metadata={"slept": self.config.get("seconds", 0)})
