"""The benchmark's pass-through plugin: continue, payload unchanged, no state."""

from __future__ import annotations

from typing import Any


class Passthrough:
    """``tool_pre_invoke`` returns None (continue with the payload as it is)."""

    def __init__(self, config: Any) -> None:
        self.config = config

    async def tool_pre_invoke(self, payload: Any, ctx: Any) -> None:
        return None
