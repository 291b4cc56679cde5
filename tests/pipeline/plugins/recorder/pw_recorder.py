"""Pipeline test plugin: what it does is set by its config (every key optional).

``tag``          its name in the log and in ``args["trail"]`` (default ``"rec"``)
``log``          JSON Lines file: a ``start`` line when called, an ``end`` line when done,
                 each with the tag, request id and the ``args`` it was given
``sleep``        seconds to sleep between ``start`` and acting
``append``       return the payload with ``tag`` appended to ``args["trail"]``
``block``        block the event (code ``REC_BLOCK``)
``fail``         raise ``RuntimeError``
``fail_until``   raise ``RuntimeError`` on deliveries before this one (durable calls)
``break_schema`` return a "modified payload" whose ``name`` is a number
``stamp``        with ``append``, also set ``args["stamp"]`` to the time (varies per run)
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import msgspec

from hookwire.schemas import ToolPreInvokePayload
from hookwire.workers import Block, Context, Continue, HookResult, Plugin


class Recorder(Plugin):
    def _note(self, event: str, payload: ToolPreInvokePayload, ctx: Context) -> None:
        log = self.config.get("log")
        if not log:
            return
        line = {
            "tag": self.config.get("tag", "rec"),
            "event": event,
            "request_id": ctx.request.request_id,
            "delivery": ctx.delivery,
            "args": payload.args,
            "t": time.monotonic(),
        }
        with Path(log).open("a") as f:
            f.write(json.dumps(line) + "\n")

    async def tool_pre_invoke(self, payload: ToolPreInvokePayload, ctx: Context) -> HookResult:
        tag = self.config.get("tag", "rec")
        self._note("start", payload, ctx)
        await asyncio.sleep(float(self.config.get("sleep", 0)))
        self._note("end", payload, ctx)
        if ctx.delivery < int(self.config.get("fail_until", 0)):
            raise RuntimeError(f"recorder {tag} fails delivery {ctx.delivery}")
        if self.config.get("fail"):
            raise RuntimeError(f"recorder {tag} was told to fail")
        if self.config.get("block"):
            return Block(f"{tag} says no", code="REC_BLOCK", details={"tag": tag})
        if self.config.get("break_schema"):
            broken: dict[str, Any] = {"name": 5, "args": dict(payload.args)}
            return Continue(broken)
        if self.config.get("append"):
            args = dict(payload.args)
            args["trail"] = [*args.get("trail", []), tag]
            if self.config.get("stamp"):
                args["stamp"] = time.time()
            return Continue(msgspec.structs.replace(payload, args=args))
        return None
