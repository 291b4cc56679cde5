"""Bridge scenarios, run in the gateway venv through cpex's own TenantPluginManager.

Reads {"scenario": ..., "nats": URL, ...} on stdin, prints a JSON list of findings.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import hookwire_cpex
from cpex.framework import PluginViolationError
from cpex.framework.hooks.tools import ToolPostInvokePayload, ToolPreInvokePayload
from cpex.framework.manager import TenantPluginManager
from cpex.framework.models import Config, GlobalContext, PluginConfig


def bridge(job: dict[str, Any], **config: Any) -> PluginConfig:
    return PluginConfig(
        name="hookwire",
        kind="hookwire_cpex.Bridge",
        hooks=["tool_pre_invoke", "tool_post_invoke"],
        mode="sequential",
        config={"nats": job["nats"], **config},
    )


async def manager(plugin: PluginConfig) -> TenantPluginManager:
    m = TenantPluginManager(Config(plugins=[plugin]))
    await m.initialize()
    assert m.plugin_count == 1, "the bridge did not load"
    return m


def pre(args: dict[str, Any]) -> ToolPreInvokePayload:
    return ToolPreInvokePayload(name="lookup", args=args)


async def invoke(
    m: TenantPluginManager, hook: str, payload: Any, rid: str, table: Any = None
) -> dict[str, Any]:
    ctx = GlobalContext(request_id=rid, user="alice@example.com", tenant_id="acme")
    try:
        result, table = await m.invoke_hook(
            hook, payload, ctx, local_contexts=table, violations_as_exceptions=True
        )
    except PluginViolationError as exc:
        v = exc.violation
        return {"decision": "block", "code": v.code, "http_status_code": v.http_status_code,
                "description": v.description}  # fmt: skip
    final = result.modified_payload or payload
    return {"decision": "allow", "payload": final.model_dump(mode="json"), "table": table}


async def main() -> None:
    job = json.load(sys.stdin)
    scenario = job["scenario"]
    out: list[Any] = []
    if scenario == "failure":
        for on_failure in ("closed", "open"):
            m = await manager(bridge(job, on_failure=on_failure, timeout=2))
            found = await invoke(m, "tool_pre_invoke", pre({"q": "x"}), f"r-{on_failure}")
            found.pop("table", None)
            out.append(found)
    elif scenario == "shared":
        for i in range(3):  # cpex makes a new plugin object per context and on its TTL
            m = await manager(bridge(job))
            found = await invoke(m, "tool_pre_invoke", pre({"q": f"q{i}"}), f"r{i}")
            out.append(found["decision"])
        out.append(len(hookwire_cpex.connections))
    elif scenario == "state":
        m = await manager(bridge(job))
        first = await invoke(m, "tool_pre_invoke", pre({"q": "remember me"}), "r-state")
        post = ToolPostInvokePayload(name="lookup", result={"ok": True})
        second = await invoke(m, "tool_post_invoke", post, "r-state", first["table"])
        out.append(second["payload"])
    elif scenario == "settings":
        for bad in ({"timeout": 45}, {"on_failure": "maybe"}, {"nat": "x"}, {}):
            config = {"nats": job["nats"], **bad} if bad != {} else {}
            try:
                hookwire_cpex.BridgeSettings.parse("hookwire", config)
            except hookwire_cpex.SettingsError as exc:
                out.append(str(exc))
    await hookwire_cpex.connections.close()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main())
