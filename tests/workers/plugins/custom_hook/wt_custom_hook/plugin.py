"""Test plugin: a custom hook gets and returns a plain dict."""

from __future__ import annotations

from typing import Any

from hookwire.workers import Context, Continue


class Exporter:  # no base class: the SDK's Plugin is optional
    def __init__(self, config: dict[str, Any]) -> None:
        self.tag = config.get("tag", "exported")

    async def export_audit(self, payload: dict[str, Any], ctx: Context) -> Continue:
        out = {**payload, "tag": self.tag, "payload_type": type(payload).__name__}
        return Continue(out, metadata={"remaining": ctx.remaining()})
