"""Run events through cpex's own PluginManager, as the gateway calls it.

Runs in a venv holding cpex, the cpex plugins from PyPI and hookwire-cpex (never in
hookwire's dev venv). Reads {"system": "inprocess" | "bridge", "events": [...],
"plugins": {...}, "nats": URL} as JSON on stdin; prints one outcome per event.
``inprocess``: the cpex plugins in the manager; ``bridge``: hookwire_cpex.Bridge only.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from cpex.framework import PluginViolationError
from cpex.framework.hooks.registry import get_hook_registry
from cpex.framework.manager import TenantPluginManager
from cpex.framework.models import Config, GlobalContext, PluginConfig


def configs(job: dict[str, Any]) -> list[PluginConfig]:
    if job["system"] == "bridge":
        hooks = sorted({h for _, hs, _, _ in job["plugins"].values() for h in hs})
        return [
            PluginConfig(
                name="hookwire",
                kind="hookwire_cpex.Bridge",
                hooks=hooks,
                mode="sequential",
                priority=10,
                config={"nats": job["nats"], "timeout": 10, "on_failure": "closed"},
            )
        ]
    return [
        PluginConfig(
            name=name, kind=kind, hooks=hooks, mode="sequential", priority=prio, config=cfg
        )
        for name, (kind, hooks, cfg, prio) in job["plugins"].items()
    ]


def outcome(
    payload: Any, result: Any = None, error: PluginViolationError | None = None
) -> dict[str, Any]:
    if error is not None:
        v = error.violation
        violation = None
        if v is not None:
            violation = {
                "reason": v.reason,
                "description": v.description,
                "code": v.code,
                "details": v.details,
                "http_status_code": v.http_status_code,
            }
        return {"decision": "block", "payload": None, "violation": violation}
    final = result.modified_payload if result.modified_payload is not None else payload
    return {"decision": "allow", "payload": final.model_dump(mode="json"), "violation": None}


async def main() -> None:
    job = json.load(sys.stdin)
    manager = TenantPluginManager(Config(plugins=configs(job)))
    await manager.initialize()
    registry = get_hook_registry()
    out = []
    for event in job["events"]:
        payload = registry.get_payload_type(event["hook"]).model_validate(event["payload"])
        context = GlobalContext(request_id=event["request_id"], user=event["user"])
        try:
            result, _ = await manager.invoke_hook(
                event["hook"], payload, context, violations_as_exceptions=True
            )
        except PluginViolationError as exc:
            out.append(outcome(payload, error=exc))
        else:
            out.append(outcome(payload, result))
    await manager.shutdown()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main())
