"""How fast hookwire heals: kill-to-decision for a call in flight, and recovery times.

    uv run python bench/healing.py              # 5 kills per kill scenario
    uv run python bench/healing.py --kills 10

Each scenario runs a real deployment (``Stack``: embedded nats-server, router, worker
pools in their own venvs under a temporary folder; uv offline, from its cache) with
default settings unless the table says otherwise, and measures wall-clock time:

- kill -> decision: an event's one plugin call is in flight (the plugin sleeps 60 s,
  plugin_timeout 30 s); its worker gets SIGKILL; time until the gateway has its reply.
  Target: under 1 s whatever the timeout. "idempotent" is the same with a plugin that
  declares ``idempotent: true`` and two workers: the call is sent again to the other.
- hung worker -> restarted: a call blocks the event loop of a worker that has answered
  its health checks; time from the call to an event served by the new process (a check
  round every 5 s, killed after 4 missed).
- poisoned pool -> serving: from the pool failing (5 crashes) to an event served again
  (first cooldown 10 s, one half-open worker).
- embedded NATS killed -> serving: SIGKILL to the nats-server, until an event is served.
- venv removed + worker killed -> serving: the venv is rebuilt (uv, offline) first.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import structlog

from hookwire import client as hw
from hookwire.router import load_config
from hookwire.router._stack import Stack
from hookwire.router.live._discovery import wait_for_instances
from hookwire.schemas.subjects import worker_service

PLUGIN = """
import asyncio
import os
import time
from pathlib import Path

import msgspec

from hookwire.workers import Continue, Plugin

_HERE = Path(__file__).parent


class Entry(Plugin):
    async def tool_pre_invoke(self, payload, ctx):
        args = payload.args
        if args.get("sleep"):
            marker = _HERE / f"started-{args['sleep']}"
            if not marker.exists():
                marker.write_text(str(os.getpid()))
                await asyncio.sleep(60)
        if args.get("hang"):
            time.sleep(3600)
        if args.get("poison"):
            os._exit(9)
        return Continue(msgspec.structs.replace(payload, args={**args, "bench": "ok"}))
"""


def write_deployment(root: Path, *, workers: int = 1, idempotent: bool = False) -> Path:
    plugin = root / "plugins" / "bench"
    plugin.mkdir(parents=True)
    (plugin / "bench_heal.py").write_text(PLUGIN)
    (plugin / "requirements.txt").write_text("")
    (plugin / "plugin-manifest.yaml").write_text(
        "name: bench\nversion: 1.0.0\ndescription: healing bench\nentry: bench_heal:Entry\n"
        "maturity: alpha\nhooks: [tool_pre_invoke]\n" + ("idempotent: true\n" if idempotent else "")
    )
    config = root / "hookwire.yaml"
    config.write_text(
        "plugin_dirs: [plugins]\n"
        "plugin_settings: {plugin_timeout: 30, venv_dir: venvs}\n"
        f"plugins: {{bench: {{workers: {workers}}}}}\n"
        "routes: [{entities: [tool], plugins: [{name: bench}]}]\n"
    )
    return config


async def served(url: str, args: dict[str, Any] | None = None, timeout: float = 60) -> bool:
    try:
        async with await hw.connect(url, timeout=timeout) as gateway:
            result = await gateway.tool_pre_invoke("lookup", dict(args or {}))
    except (hw.HookwireUnavailable, hw.HookwireTimeout, OSError):
        return False
    return result.payload is not None and result.payload.args.get("bench") == "ok"


async def until(check: Callable[[], bool], timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise TimeoutError("the bench waited too long")
        await asyncio.sleep(0.005)


async def until_served(url: str, timeout: float = 180) -> float:
    """Seconds until an event is served (polled every 50 ms)."""
    start = time.monotonic()
    while not await served(url, timeout=5):
        if time.monotonic() - start > timeout:
            raise TimeoutError("not served again")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


async def kill_to_decision(root: Path, kills: int, *, idempotent: bool) -> list[float]:
    config = write_deployment(root, workers=2, idempotent=idempotent)
    plugin = root / "plugins" / "bench"
    times = []
    stack = Stack(load_config(config), data_dir=root / "d")
    async with stack, await hw.connect(stack.url, timeout=60) as gateway:
        assert stack.nc is not None
        for k in range(kills):
            await until_served(stack.url)
            # both workers serve: a resent call has somewhere to go
            await wait_for_instances(stack.nc, worker_service("bench"), 2, 60)
            call = asyncio.create_task(gateway.tool_pre_invoke("lookup", {"sleep": k + 1}))
            marker = plugin / f"started-{k + 1}"
            await until(partial(_written, marker))
            killed = time.monotonic()
            os.kill(int(marker.read_text()), signal.SIGKILL)
            result = await call
            times.append(time.monotonic() - killed)
            got = result.payload.args.get("bench") if result.payload else None
            assert (got == "ok") is idempotent, result
    return times


def _written(path: Path) -> bool:
    return path.exists() and path.read_text() != ""


async def hung(root: Path) -> float:
    config = write_deployment(root)
    async with Stack(load_config(config), data_dir=root / "d") as stack:
        assert stack.supervisor is not None
        pool = stack.supervisor.pools["bench"]
        pid = next(p.pid for p in pool.processes.values() if p.returncode is None)
        health = stack.health
        assert health is not None
        await until(lambda: health.answered(pid), 60)  # a worker that was serving, then hangs
        start = time.monotonic()
        hang = asyncio.create_task(served(stack.url, {"hang": True}, timeout=35))
        await until(lambda: pool.restarts >= 1, 120)
        await until_served(stack.url)
        took = time.monotonic() - start
        await hang
        return took


async def poisoned(root: Path) -> float:
    config = write_deployment(root)
    async with Stack(load_config(config), data_dir=root / "d") as stack:
        assert stack.supervisor is not None
        pool = stack.supervisor.pools["bench"]
        while not pool.failed:
            await until_served(stack.url)
            await served(stack.url, {"poison": True}, timeout=35)
            await until(lambda: pool.failed or pool.alive == 0 or True, 1)
        return await until_served(stack.url)


async def nats_killed(root: Path) -> float:
    config = write_deployment(root)
    async with Stack(load_config(config), data_dir=root / "d") as stack:
        assert stack.embedded is not None and stack.embedded.pid is not None
        os.kill(stack.embedded.pid, signal.SIGKILL)
        return await until_served(stack.url)


async def venv_removed(root: Path) -> float:
    import shutil

    config = write_deployment(root)
    async with Stack(load_config(config), data_dir=root / "d") as stack:
        assert stack.supervisor is not None
        pool = stack.supervisor.pools["bench"]
        shutil.rmtree(Path(pool.spec.python).parent.parent)
        pid = next(p.pid for p in pool.processes.values() if p.returncode is None)
        os.kill(pid, signal.SIGKILL)
        return await until_served(stack.url)


def row(name: str, values: list[float], target: str) -> str:
    if len(values) == 1:
        figure = f"{values[0]:8.2f} s"
        spread = ""
    else:
        figure = f"{statistics.median(values):8.3f} s"
        spread = f"min {min(values):.3f}  max {max(values):.3f}  (n={len(values)})"
    return f"| {name:<40} | {figure} | {spread:<34} | {target:<10} |"


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--kills", type=int, default=5)
    ns = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    os.environ.setdefault("UV_OFFLINE", "1")
    rows = []
    with tempfile.TemporaryDirectory(prefix="hookwire-bench-heal-") as tmp:
        base = Path(tmp)
        lost = await kill_to_decision(base / "a", ns.kills, idempotent=False)
        rows.append(row("kill -> decision (error policy)", lost, "< 1 s"))
        again = await kill_to_decision(base / "b", ns.kills, idempotent=True)
        rows.append(row("kill -> decision (idempotent, resent)", again, "< 1 s"))
        rows.append(row("hung worker -> serving again", [await hung(base / "c")], "< 30 s"))
        rows.append(row("poisoned pool failed -> serving", [await poisoned(base / "d")], "< 30 s"))
        rows.append(row("embedded NATS killed -> serving", [await nats_killed(base / "e")], "-"))
        rows.append(
            row("venv removed, worker killed -> serving", [await venv_removed(base / "f")], "-")
        )
    print(f"| {'scenario':<40} | {'median':<10} | {'spread':<34} | {'target':<10} |")
    print(f"|{'-' * 42}|{'-' * 12}|{'-' * 36}|{'-' * 12}|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
