"""Live config test plugin: its decision shows which config the router ran."""

from __future__ import annotations

import asyncio

import msgspec

from hookwire.schemas import ToolPreInvokePayload
from hookwire.workers import Block, Context, Continue, Plugin


class Stamp(Plugin):
    async def tool_pre_invoke(
        self, payload: ToolPreInvokePayload, ctx: Context
    ) -> Continue | Block:
        if self.config.get("sleep"):
            await asyncio.sleep(self.config["sleep"])
        if payload.args.get("word") in self.config.get("deny", []):
            return Block("denied word", code="denied")
        stamps = [*payload.args.get("stamps", []), self.config.get("mark", "?")]
        return Continue(msgspec.structs.replace(payload, args={**payload.args, "stamps": stamps}))
