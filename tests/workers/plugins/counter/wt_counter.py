"""A Plugin that keeps a shared count in its bucket (``Plugin.key_value``)."""

from typing import Any

from hookwire.workers import Continue, Plugin


class Counter(Plugin):
    async def setup(self) -> None:
        self.kv = await self.key_value()

    async def tool_pre_invoke(self, payload: Any, ctx: Any) -> Continue:
        try:
            entry = await self.kv.get("calls")
            count = int(entry.value or b"0") + 1
            await self.kv.update("calls", str(count).encode(), last=entry.revision)
        except Exception:  # the first call: absent
            count = 1
            await self.kv.create("calls", b"1")
        return Continue(metadata={"count": count, "plugin": self.plugin_name})
