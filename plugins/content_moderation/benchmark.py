"""content_moderation's benchmark: the offline engine on a chat-sized tool call, and its
precision and recall on the labelled corpus (corpus/moderation_corpus.jsonl).

``hookwire plugins qa content_moderation`` runs it in the plugin's QA venv and records the
JSON object it prints last. Run it yourself: ``python benchmark.py [CALLS]``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from content_moderation import ContentModeration, Engine
from content_moderation._corpus import CORPUS, load, score

from hookwire.schemas import RequestContext, ToolPreInvokePayload
from hookwire.workers import Context

ARGS = {
    "messages": [
        {"role": "user", "content": "Can you help me write a polite complaint to my landlord?"},
        {
            "role": "assistant",
            "content": "Of course. Start with the facts: the heating has been broken since "
            "Monday and you reported it twice. Ask for a repair date in writing.",
        },
        {"role": "user", "content": "Thanks. He keeps ignoring me, it's so damn annoying."},
    ]
    * 3,
    "temperature": 0.2,
}


async def measure(calls: int) -> dict[str, Any]:
    plugin = ContentModeration({})
    payload = ToolPreInvokePayload(name="chat", args=ARGS)
    request = RequestContext(request_id="bench", hook="tool_pre_invoke")
    ctx = Context(request=request, config={}, state={}, instance="b", hook="tool_pre_invoke")
    for _ in range(20):
        await plugin.tool_pre_invoke(payload, ctx)
    start = time.perf_counter()
    for _ in range(calls):
        await plugin.tool_pre_invoke(payload, ctx)
    seconds = time.perf_counter() - start
    engine = Engine.build()
    figures = score(
        lambda text: {c for c, f in engine.scan(text).items() if f.score >= 0.5}, load()
    ).figures()
    return {
        "case": f"tool_pre_invoke, {len(json.dumps(ARGS))}-byte chat, 9 messages",
        "calls": calls,
        "per_call_us": round(seconds / calls * 1e6, 1),
        "calls_per_second": round(calls / seconds),
        "corpus": f"{CORPUS.name}, {figures['strings']} strings, {figures['clean']} clean",
        "precision": figures["precision"],
        "recall": figures["recall"],
    }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    print(json.dumps(asyncio.run(measure(count))))
