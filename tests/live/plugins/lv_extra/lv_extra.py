"""Live config test plugin: present in a config only when its stamp shows."""

from __future__ import annotations

import msgspec

from hookwire.schemas import ToolPreInvokePayload
from hookwire.workers import Context, Continue, Plugin


class Extra(Plugin):
    async def tool_pre_invoke(self, payload: ToolPreInvokePayload, ctx: Context) -> Continue:
        stamps = [*payload.args.get("stamps", []), "extra"]
        return Continue(msgspec.structs.replace(payload, args={**payload.args, "stamps": stamps}))
