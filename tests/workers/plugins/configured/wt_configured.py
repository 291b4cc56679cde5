"""Test plugin: replies with its config's greeting, setup count and object id.

close() appends the greeting to ``config["closed_marker"]`` if given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hookwire.schemas import ToolPreInvokePayload
from hookwire.workers import Context, Continue, Plugin


class Configured(Plugin):
    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.setups = 0

    async def setup(self) -> None:
        await asyncio.sleep(0.05)  # widen the window in which concurrent first calls meet
        self.setups += 1

    async def close(self) -> None:
        marker = self.config.get("closed_marker")
        if marker:
            with Path(marker).open("a") as f:
                f.write(f"{self.config['greeting']}\n")

    async def tool_pre_invoke(self, payload: ToolPreInvokePayload, ctx: Context) -> Continue:
        return Continue(
            metadata={
                "greeting": self.config["greeting"],
                "ctx_greeting": ctx.config["greeting"],
                "setups": self.setups,
                "object": id(self),
                "instance": ctx.instance,
            }
        )
