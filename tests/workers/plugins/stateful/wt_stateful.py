"""Test plugin: the pre hook leaves state, the post hook reads it into the result."""

from __future__ import annotations

import msgspec

from hookwire.schemas import ToolPostInvokePayload, ToolPreInvokePayload
from hookwire.workers import Context, Continue, Plugin


class Stateful(Plugin):
    async def tool_pre_invoke(self, payload: ToolPreInvokePayload, ctx: Context) -> None:
        ctx.state["pre_saw"] = payload.name
        ctx.state["user"] = ctx.request.user

    async def tool_post_invoke(self, payload: ToolPostInvokePayload, ctx: Context) -> Continue:
        result = {"original": payload.result, "state": dict(ctx.state)}
        ctx.state.clear()
        return Continue(msgspec.structs.replace(payload, result=result))
