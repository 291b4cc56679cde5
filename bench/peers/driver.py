"""The measuring side of bench/peers.py; runs in the peers venv (cpex, cpex-pii-filter,
hookwire-cpex, hookwire's client), never in hookwire's own.

Reads a job as JSON on stdin: {"systems": [...], "workloads": {...}, "nats": URL,
"external": {"unix": PATH, "grpc": TARGET, "mcp": URL}, "events": N, "seconds": S,
"concurrency": 64}. Prints {system: {workload: figures}}.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cpex.framework import PluginViolationError
from cpex.framework.hooks.tools import ToolPreInvokePayload
from cpex.framework.manager import TenantPluginManager
from cpex.framework.models import Config, GlobalContext, PluginConfig

from hookwire import client as hw

Call = Callable[[int], Awaitable[Any]]

PII_CONFIG = {
    "detect_email": True,
    "detect_ssn": True,
    "detect_credit_card": True,
    "detect_phone": True,
    "default_mask_strategy": "redact",
}


def percentile(sorted_ns: list[int], q: float) -> float:
    """Nearest rank, in microseconds."""
    return sorted_ns[max(0, math.ceil(q * len(sorted_ns)) - 1)] / 1000


def cpex_plugins(
    workload: dict[str, Any], transport: str | None, job: dict[str, Any]
) -> list[PluginConfig]:
    """The workload's plugins in process (transport None) or as external plugins."""
    out = []
    for i, (name, kind) in enumerate(workload["cpex"]):
        if transport is None:
            cfg = PII_CONFIG if "pii" in kind else {}
            out.append(
                PluginConfig(
                    name=name,
                    kind=kind,
                    hooks=["tool_pre_invoke"],
                    mode="sequential",
                    priority=10 + i,
                    config=cfg,
                )
            )
            continue
        where = job["external"][transport]
        section = {
            "unix": {"unix_socket": {"path": where}},
            "grpc": {"grpc": {"target": where}},
            "mcp": {"mcp": {"proto": "STREAMABLEHTTP", "url": where}},
        }[transport]
        out.append(
            PluginConfig(
                name=name,
                kind="external",
                hooks=["tool_pre_invoke"],
                mode="sequential",
                priority=10 + i,
                **section,
            )
        )
    return out


async def cpex_call(plugins: list[PluginConfig], workload: dict[str, Any]) -> tuple[Call, Any]:
    manager = TenantPluginManager(Config(plugins=plugins))
    await manager.initialize()
    assert manager.plugin_count == len(plugins), "a plugin did not load"

    async def call(i: int) -> Any:
        payload = ToolPreInvokePayload(name=workload["tool"], args=workload["args"])
        context = GlobalContext(request_id=f"r{i}", user="bench")
        try:
            result, _ = await manager.invoke_hook(
                "tool_pre_invoke", payload, context, violations_as_exceptions=True
            )
        except PluginViolationError:
            return "block"
        return result.modified_payload or payload

    return call, manager


async def hookwire_call(job: dict[str, Any], workload: dict[str, Any]) -> tuple[Call, Any]:
    client = await hw.connect(job["nats"], timeout=20)

    async def call(i: int) -> Any:
        result = await client.tool_pre_invoke(
            workload["tool"], workload["args"], request_id=f"r{i}", user="bench"
        )
        if result.decision == "error":
            raise RuntimeError(str(result.error))
        return result.payload

    return call, client


async def measure(call: Call, job: dict[str, Any]) -> dict[str, float]:
    """p50/p99 of up to ``events`` calls one at a time (at most ``seconds``), then
    events/s with ``concurrency`` in flight for ``seconds`` (slow transports stay bounded)."""
    for i in range(max(20, job["events"] // 10)):  # warm up
        await call(i)
    times = []
    stop = time.perf_counter() + job["seconds"]
    for i in range(job["events"]):
        t0 = time.perf_counter_ns()
        await call(i)
        times.append(time.perf_counter_ns() - t0)
        if time.perf_counter() > stop:
            break
    times.sort()
    done = 0
    t0 = time.perf_counter()
    stop = t0 + job["seconds"]

    async def sender(first: int) -> None:
        nonlocal done
        i = first
        while time.perf_counter() < stop:
            await call(i)
            done += 1
            i += job["concurrency"]

    await asyncio.gather(*(sender(k) for k in range(job["concurrency"])))
    elapsed = time.perf_counter() - t0
    return {
        "p50": percentile(times, 0.5),
        "p99": percentile(times, 0.99),
        "throughput": done / elapsed,
        "n": len(times),
    }


async def one(system: str, workload: dict[str, Any], job: dict[str, Any]) -> dict[str, float]:
    if system == "hookwire":
        call, owner = await hookwire_call(job, workload)
    elif system == "bridge":
        bridge = PluginConfig(
            name="hookwire",
            kind="hookwire_cpex.Bridge",
            hooks=["tool_pre_invoke"],
            mode="sequential",
            config={"nats": job["nats"], "timeout": 20},
        )
        call, owner = await cpex_call([bridge], workload)
    else:
        transport = None if system == "cpex" else system.removeprefix("cpex-")
        call, owner = await cpex_call(cpex_plugins(workload, transport, job), workload)
    try:
        check = await call(0)
        if check != workload["expect"] and getattr(check, "args", None) != workload["expect"]:
            raise AssertionError(f"{system}: unexpected answer {check!r}")
        return await measure(call, job)
    finally:
        await (owner.close() if hasattr(owner, "close") else owner.shutdown())


async def main() -> None:
    job = json.load(sys.stdin)
    out: dict[str, dict[str, Any]] = {}
    for system in job["systems"]:
        for name, workload in job["workloads"].items():
            if system in workload.get("skip", ()):
                continue
            out.setdefault(system, {})[name] = await one(system, workload, job)
            print(f"  measured {system} / {name}", file=sys.stderr, flush=True)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main())
