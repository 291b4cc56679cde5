"""pii_masker's benchmark: mask a realistic tool call's arguments, many times.

``hookwire plugins qa pii_masker`` runs it in the plugin's QA venv and records the one
JSON object it prints last. Run it yourself: ``python benchmark.py [CALLS]``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from pii_masker import PiiMasker

from hookwire.schemas import RequestContext, ToolPreInvokePayload
from hookwire.workers import Context

ARGS = {
    "to": "alice.smith@example.com",
    "cc": ["bob@example.org", "carol@example.net"],
    "subject": "Invoice 2024-118 for order 5561",
    "body": (
        "Hi Alice, please call me at +1 (415) 555-0132 about the refund. The card on file "
        "is 4111 1111 1111 1111; my SSN for the form is 078-05-1120. Thanks! "
    )
    * 4,
    "meta": {"priority": 2, "tags": ["billing", "refund"], "ticket": "T-99812"},
}


async def measure(calls: int) -> dict[str, float | int | str]:
    plugin = PiiMasker({})
    payload = ToolPreInvokePayload(name="send_email", args=ARGS)
    request = RequestContext(request_id="bench", hook="tool_pre_invoke")
    ctx = Context(request=request, config={}, state={}, instance="bench", hook="tool_pre_invoke")
    for _ in range(50):  # warm up
        await plugin.tool_pre_invoke(payload, ctx)
    start = time.perf_counter()
    for _ in range(calls):
        await plugin.tool_pre_invoke(payload, ctx)
    seconds = time.perf_counter() - start
    size = len(json.dumps(ARGS))
    return {
        "case": f"tool_pre_invoke, {size}-byte args with 8 PII values",
        "calls": calls,
        "seconds": round(seconds, 4),
        "per_call_us": round(seconds / calls * 1e6, 1),
        "calls_per_second": round(calls / seconds),
    }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(json.dumps(asyncio.run(measure(count))))
