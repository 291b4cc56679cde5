"""A cpex plugin that does nothing: the cost of one cpex hop, nothing else (bench/peers.py)."""

from __future__ import annotations

from typing import Any

from cpex.framework import Plugin
from cpex.framework.hooks.tools import ToolPreInvokeResult


class PassThrough(Plugin):  # type: ignore[misc]
    """``tool_pre_invoke`` continues with the payload unchanged."""

    async def tool_pre_invoke(self, payload: Any, context: Any) -> ToolPreInvokeResult:
        return ToolPreInvokeResult()
