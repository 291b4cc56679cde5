"""cedar_policy's benchmark: decisions per second with 100 policies.

``hookwire plugins qa cedar_policy`` runs it in the plugin's QA venv and records the JSON
object it prints last. Run it yourself: ``python benchmark.py [CALLS]``.

The 100 policies are what a gateway's policy set looks like: per-tool permits on tags
and tenants, forbids on argument patterns, a few broad rules. Each call maps the event
(principal, action, resource with tags and metadata, the arguments as context) and asks
Cedar; half the events are allowed, half denied.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from cedar_policy import CedarPolicy

from hookwire.schemas import Entity, RequestContext, ToolPreInvokePayload
from hookwire.workers import Context

POLICY_COUNT = 100


def policies() -> str:
    out = []
    for i in range(POLICY_COUNT // 2):
        out.append(
            f'@id("tool-{i}")\npermit(principal, action == Action::"tool_pre_invoke", '
            f'resource == Tool::"tool_{i}")\n  when {{ resource.tags.contains("team_{i % 7}") '
            f'&& principal has tenant_id && principal.tenant_id == "tenant_{i % 5}" }};'
        )
    for i in range(POLICY_COUNT // 2 - 2):
        out.append(
            f'@id("deny-{i}")\nforbid(principal, action, resource is Tool)\n'
            f'  when {{ context has path && context.path like "/secret_{i}/*" }};'
        )
    out.append('@id("admins")\npermit(principal == User::"root", action, resource);')
    out.append('@id("no-drop")\nforbid(principal, action, resource == Tool::"drop_table");')
    return "\n".join(out)


def event(i: int) -> tuple[ToolPreInvokePayload, Context]:
    n = i % (POLICY_COUNT // 2)
    allowed = i % 2 == 0
    tool = f"tool_{n}"
    entity = Entity(
        type="tool", name=tool, tags=[f"team_{n % 7}", "web"], metadata={"owner": "ops", "v": 2}
    )
    tenant = f"tenant_{n % 5}" if allowed else "other"
    request = RequestContext(
        request_id="bench", hook="tool_pre_invoke", user=f"user{i}", tenant_id=tenant, entity=entity
    )
    args = {"path": f"/data/{i}/report.csv", "limit": 50, "recursive": False}
    ctx = Context(request=request, config={}, state={}, instance="bench", hook="tool_pre_invoke")
    return ToolPreInvokePayload(name=tool, args=args), ctx


async def measure(calls: int) -> dict[str, Any]:
    start = time.perf_counter()
    plugin = CedarPolicy({"policies": policies()})
    load_ms = (time.perf_counter() - start) * 1000
    events = [event(i) for i in range(200)]
    for payload, ctx in events[:20]:  # warm up
        await plugin.tool_pre_invoke(payload, ctx)
    denied = 0
    start = time.perf_counter()
    for i in range(calls):
        payload, ctx = events[i % len(events)]
        denied += (await plugin.tool_pre_invoke(payload, ctx)) is not None
    seconds = time.perf_counter() - start
    return {
        "case": f"tool_pre_invoke, {plugin.policy_count} policies, half allowed",
        "policies": plugin.policy_count,
        "calls": calls,
        "denied": denied,
        "load_ms": round(load_ms, 1),
        "seconds": round(seconds, 4),
        "per_call_us": round(seconds / calls * 1e6, 1),
        "decisions_per_second": round(calls / seconds),
    }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(json.dumps(asyncio.run(measure(count))))
