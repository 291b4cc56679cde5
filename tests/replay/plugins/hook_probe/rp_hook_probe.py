"""Replay test plugin: every built-in hook; blocks a payload that holds the ``deny`` word."""

from __future__ import annotations

from typing import Any

import msgspec

from hookwire.workers import Block, Context, Plugin

_encode = msgspec.json.Encoder().encode


class HookProbe(Plugin):
    async def _probe(self, payload: Any, ctx: Context) -> Block | None:
        word = str(self.config.get("deny", "forbidden"))
        if word.encode() in _encode(payload):
            return Block(
                f"payload mentions {word!r}", code="PROBE_DENY", details={"hook": ctx.hook}
            )
        return None

    tool_pre_invoke = tool_post_invoke = _probe
    prompt_pre_fetch = prompt_post_fetch = _probe
    resource_pre_fetch = resource_post_fetch = _probe
    agent_pre_invoke = agent_post_invoke = _probe
    http_pre_request = http_post_request = _probe
    http_auth_resolve_user = http_auth_check_permission = _probe
