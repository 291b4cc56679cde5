"""A worker's memory when requests bring ever new instance ids: bounded or not.

uv run python bench/instances.py            # 3,000 ids, limit 64 and no limit
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests")]

from _nats import NatsServer  # noqa: E402

import hookwire.workers._runtime as runtime  # noqa: E402
from hookwire.service import configure_logging, connect  # noqa: E402
from hookwire.workers import Worker  # noqa: E402
from hookwire.workers._instances import DEFAULT_LIMIT, Instances  # noqa: E402

PLUGIN = ROOT / "tests" / "workers" / "plugins" / "configured"
SCRIPT = """
import asyncio, sys, msgspec
sys.path[:0] = {paths!r}
from hookwire.schemas import WorkerRequest, RequestContext
import nats
async def main():
    nc = await nats.connect({url!r})
    enc = msgspec.json.encode
    for i in range({n}):
        req = WorkerRequest(instance=f"id-{{i}}", plugin="configured", hook="tool_pre_invoke",
            payload=msgspec.Raw(enc({{"name": "x", "args": {{}}}})),
            config=msgspec.Raw(enc({{"greeting": "x" * 20000}})), context=RequestContext())
        await nc.request("hookwire.plugin.configured.tool_pre_invoke", enc(req), timeout=5)
    await nc.close()
asyncio.run(main())
"""


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run(url: str, limit: int, n: int) -> tuple[float, float, int]:
    original = runtime.Instances

    def bounded(*args: object, **kw: object) -> Instances:
        return original(*args, limit=limit, **kw)  # type: ignore[arg-type]

    runtime.Instances = bounded  # type: ignore[assignment,misc]
    nc = await connect(url, "bench-worker")
    worker = await Worker.start(nc, PLUGIN)
    before = rss_mb()
    code = SCRIPT.format(paths=sys.path, url=url, n=n)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", code)
    await proc.wait()
    after = rss_mb()
    held = len(worker.instances)
    await worker.stop(timeout=2)
    await nc.close()
    runtime.Instances = original  # type: ignore[misc]
    return before, after, held


async def main(n: int, limit: int) -> None:
    configure_logging(json=False, level="error")
    with tempfile.TemporaryDirectory() as tmp, NatsServer(Path(tmp)) as server:
        before, after, held = await run(server.url, limit, n)
    label = "no limit" if limit >= n else f"limit {limit}"
    print(
        f"{n} new instance ids, {label}: worker RSS {before:.0f} -> {after:.0f} MB, "
        f"{held} instances held"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ids", type=int, default=3000)
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT)
    args = parser.parse_args()
    asyncio.run(main(args.ids, args.limit))
