"""Test plugin: fails, in its hook or (config ``fail_setup``) in setup()."""

from __future__ import annotations

from hookwire.schemas import ToolPreInvokePayload
from hookwire.workers import Context, Plugin


class Crasher(Plugin):
    async def setup(self) -> None:
        if self.config.get("fail_setup"):
            raise RuntimeError("cannot reach the policy store")

    async def tool_pre_invoke(self, payload: ToolPreInvokePayload, ctx: Context) -> None:
        raise ValueError(f"boom on {payload.name}")
