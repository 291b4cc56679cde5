"""Test plugin: upper-cases string tool arguments."""

from __future__ import annotations

import os

import msgspec

from hookwire.schemas import ToolPreInvokePayload
from hookwire.workers import Context, Continue, Plugin


class EchoUpper(Plugin):
    async def tool_pre_invoke(self, payload: ToolPreInvokePayload, ctx: Context) -> Continue:
        args = {k: v.upper() if isinstance(v, str) else v for k, v in payload.args.items()}
        return Continue(msgspec.structs.replace(payload, args=args), metadata={"pid": os.getpid()})
