"""End-to-end pipeline benchmark: hookwire against a bare nats-py chain of the same hops.

Run from the repository root::

    uv run python bench/pipeline.py                      # full run (about 3-4 minutes)
    uv run python bench/pipeline.py --quick              # smoke run (well under a minute)
    uv run --with uvloop python bench/pipeline.py        # every process on uvloop
    uv run python bench/pipeline.py --strict             # exit 1 if a target is missed
    uv run python bench/pipeline.py --record             # recording on vs off; replay rate

One embedded nats-server (``EmbeddedNats``, loopback, a port it picks; never 4222) and,
each its own OS process:

* hookwire: ``hookwire router --config <generated> --nats URL`` and one
  ``python -m hookwire.workers --plugin DIR --nats URL`` per plugin ``passthrough_1`` ..
  ``passthrough_5`` (copies of ``bench/plugins/passthrough``, each its own pool). The
  config routes the tool ``chain<n>`` through ``passthrough_1`` .. ``passthrough_<n>``
  (``chain0`` matches no rule). This process sends ``tool_pre_invoke`` events with the
  gateway client ``hookwire.client`` (args of about 200 bytes of JSON).
* bare: ``bench/bare_nats.py router`` (queue group; per request, ``n`` sequential
  ``nc.request`` hops to ``bench/bare_nats.py worker`` 1..n, which answer an empty body,
  then an empty reply) and 5 bare workers. This process sends the very bytes the
  hookwire client sends for the same event, with plain ``nc.request``. For 0 plugins
  the bare side is one request-reply to the bare router, which answers at once.

Both routers and all workers spawn a task per message. The same number of NATS
request-reply hops is made on both sides, so the bare figures are the floor any design
over NATS (and nats-py) pays on this machine.

Measurements, per chain length and side, in every round (the order of the two sides
alternates from round to round, so machine noise hits both alike):

* latency: 1 event in flight, ``--warmup`` events, then ``--events`` timed one by one
  (``perf_counter_ns`` around the awaited call); p50 and p99 (nearest rank);
* throughput: ``--concurrency`` senders sharing ``--throughput-events`` events; events/s.
  CPU time of each process (``/proc/<pid>/stat``) over the run gives the CPU cost per
  event, by process.

The tables show the median over ``--rounds`` rounds of each figure. Targets: hookwire
p50 <= 1.25x bare at every length; hookwire throughput >= 0.8x bare at every length;
hookwire with 0 plugins <= 1.3x one bare request-reply (p50).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.util
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import nats
import nats.errors

import hookwire.client
from hookwire.router.pools._embedded import EmbeddedNats
from hookwire.schemas import Entity, GatewayRequest, ToolPreInvokePayload
from hookwire.service import configure_logging

BENCH_DIR = Path(__file__).resolve().parent
PASSTHROUGH_DIR = BENCH_DIR / "plugins" / "passthrough"
BARE_SCRIPT = BENCH_DIR / "bare_nats.py"
UVLOOP_MAIN = BENCH_DIR / "_uvloop_main.py"

HOOK = "tool_pre_invoke"
MAX_PLUGINS = 5
LENGTHS = (0, 1, 3, 5)
EVENT_TIMEOUT = 10.0
READY_TIMEOUT = 60.0

P50_TARGET = 1.25
THROUGHPUT_TARGET = 0.8
ZERO_TARGET = 1.3

#: About 200 bytes of JSON: a realistic small tool call.
ARGS: dict[str, Any] = {
    "query": "quarterly revenue by region for the EMEA sales team",
    "limit": 25,
    "offset": 0,
    "filters": {"region": "EMEA", "year": 2024, "status": ["open", "won"]},
    "sort": {"field": "amount", "order": "desc"},
    "include_archived": False,
}

CLK_TCK = os.sysconf("SC_CLK_TCK")
SIDES = ("bare", "hookwire")


# --- setup ---------------------------------------------------------------------------------------


def plugin_name(i: int) -> str:
    return f"passthrough_{i}"


def tool_name(n: int) -> str:
    return f"chain{n}"


def write_plugins(root: Path) -> Path:
    """``root/plugins/passthrough_i``: copies of the passthrough plugin, renamed."""
    plugins = root / "plugins"
    manifest = (PASSTHROUGH_DIR / "plugin-manifest.yaml").read_text(encoding="utf-8")
    for i in range(1, MAX_PLUGINS + 1):
        folder = plugins / plugin_name(i)
        shutil.copytree(
            PASSTHROUGH_DIR, folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        text = manifest.replace("name: passthrough\n", f"name: {plugin_name(i)}\n", 1)
        assert text != manifest, "the passthrough manifest must say `name: passthrough`"
        (folder / "plugin-manifest.yaml").write_text(text, encoding="utf-8")
    return plugins


def write_config(root: Path, lengths: Sequence[int]) -> Path:
    """A config routing tool ``chain<n>`` through passthrough_1 .. passthrough_n."""
    lines = [
        "plugin_dirs: [plugins]",
        "plugin_settings:",
        f"  plugin_timeout: {EVENT_TIMEOUT}",
        f"  event_timeout: {EVENT_TIMEOUT}",
        "plugins:",
    ]
    lines += [f"  {plugin_name(i)}: {{}}" for i in range(1, MAX_PLUGINS + 1)]
    lines.append("routes:")
    for n in sorted({n for n in lengths if n > 0} | {MAX_PLUGINS}):
        lines += [
            f"  - display_name: chain of {n}",
            "    entities: [tool]",
            f"    name: {tool_name(n)}",
            f"    hooks: [{HOOK}]",
            "    plugins:",
        ]
        lines += [f"      - {{name: {plugin_name(i)}, priority: {i}}}" for i in range(1, n + 1)]
    path = root / "bench-config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def module_cmd(module: str, uvloop: bool) -> list[str]:
    """``python -m module`` (through the uvloop launcher when asked)."""
    if uvloop:
        return [sys.executable, str(UVLOOP_MAIN), module]
    return [sys.executable, "-m", module]


@dataclass
class Proc:
    role: str
    side: str
    popen: subprocess.Popen[bytes]
    log: Path

    def check(self) -> None:
        code = self.popen.poll()
        if code is not None:
            raise RuntimeError(
                f"{self.side} {self.role} (pid {self.popen.pid}) exited with code {code}; "
                f"its log:\n{tail(self.log)}"
            )


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Cluster:
    """The embedded nats-server and every router and worker process of both sides."""

    def __init__(self, root: Path, uvloop: bool, lengths: Sequence[int]) -> None:
        self.root = root
        self.uvloop = uvloop
        self.lengths = lengths
        self.nats = EmbeddedNats(root / "data")
        self.procs: list[Proc] = []

    def start_proc(self, role: str, side: str, cmd: list[str]) -> Proc:
        log = self.root / "logs" / f"{side}-{role}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HOOKWIRE_LOG_LEVEL": "warning", "PYTHONUNBUFFERED": "1"}
        with log.open("wb") as out:
            popen = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                env=env,
                start_new_session=True,  # a Ctrl-C in the terminal reaches only the bench
            )
        proc = Proc(role, side, popen, log)
        self.procs.append(proc)
        return proc

    async def start(self) -> None:
        await self.nats.start()
        url = self.nats.url
        plugins = write_plugins(self.root)
        config = write_config(self.root, self.lengths)
        self.start_proc(
            "router",
            "hookwire",
            [
                *module_cmd("hookwire.router.cli", self.uvloop),
                "router", "--config", str(config), "--nats", url, "--log-json",
            ],
        )  # fmt: skip
        for i in range(1, MAX_PLUGINS + 1):
            self.start_proc(
                f"worker{i}",
                "hookwire",
                [
                    *module_cmd("hookwire.workers", self.uvloop),
                    "--plugin", str(plugins / plugin_name(i)), "--nats", url, "--log-json",
                ],
            )  # fmt: skip
        loop_flag = ["--uvloop"] if self.uvloop else []
        self.start_proc(
            "router",
            "bare",
            [sys.executable, str(BARE_SCRIPT), "router", "--nats", url, *loop_flag],
        )
        for i in range(1, MAX_PLUGINS + 1):
            self.start_proc(
                f"worker{i}",
                "bare",
                [
                    sys.executable, str(BARE_SCRIPT), "worker",
                    "--index", str(i), "--nats", url, *loop_flag,
                ],
            )  # fmt: skip

    def check(self) -> None:
        for proc in self.procs:
            proc.check()

    def pids(self, side: str) -> dict[str, list[int]]:
        """Process ids by group, for CPU accounting."""
        mine = [p for p in self.procs if p.side == side]
        return {
            "router": [p.popen.pid for p in mine if p.role == "router"],
            "workers": [p.popen.pid for p in mine if p.role.startswith("worker")],
            "nats-server": [self.nats.pid] if self.nats.pid else [],
        }

    async def stop(self) -> None:
        for proc in self.procs:
            if proc.popen.poll() is None:
                proc.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10.0
        for proc in self.procs:
            while proc.popen.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if proc.popen.poll() is None:
                proc.popen.kill()
                proc.popen.wait()
        await self.nats.stop()


# --- the two sides -------------------------------------------------------------------------------

Call = Callable[[], Awaitable[None]]


class HookwireSide:
    """Events through the gateway client; a call fails unless every plugin completed."""

    def __init__(self, client: hookwire.client.Client) -> None:
        self.client = client
        self.errors = 0

    def call(self, n: int) -> Call:
        name = tool_name(n)
        invoke = self.client.tool_pre_invoke

        async def one() -> None:
            result = await invoke(name, ARGS)
            if result.decision != "allow" or len(result.trace) != n:
                self.errors += 1

        return one

    async def ready(self, n: int) -> bool:
        try:
            result = await self.client.tool_pre_invoke(tool_name(n), ARGS, timeout=2.0)
        except (hookwire.client.HookwireUnavailable, hookwire.client.HookwireTimeout):
            return False
        return (
            result.decision == "allow"
            and len(result.trace) == n
            and all(r.status == "completed" for r in result.trace)
        )


class BareSide:
    """Plain ``nc.request`` with the bytes the hookwire client sends for the same event."""

    def __init__(self, nc: nats.aio.client.Client) -> None:
        self.nc = nc
        self.errors = 0

    def call(self, n: int) -> Call:
        subject = f"bench.bare.hook.{n}"
        data = event_bytes(n)
        request = self.nc.request

        async def one() -> None:
            msg = await request(subject, data, timeout=EVENT_TIMEOUT)
            if msg.data:
                self.errors += 1

        return one

    async def ready(self, n: int) -> bool:
        try:
            msg = await self.nc.request(f"bench.bare.hook.{n}", event_bytes(n), timeout=2.0)
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
            return False
        return msg.data == b""


def event_bytes(n: int) -> bytes:
    """What ``client.tool_pre_invoke(tool_name(n), ARGS)`` puts on the wire."""
    payload = ToolPreInvokePayload(name=tool_name(n), args=dict(ARGS))
    return msgspec.json.encode(
        GatewayRequest(
            hook=HOOK,
            request_id="0" * 32,  # a uuid4 hex, as the client makes
            entity=Entity(type="tool", name=tool_name(n)),
            payload=msgspec.Raw(msgspec.json.encode(payload)),
            timeout=EVENT_TIMEOUT,
        )
    )


# --- measuring -----------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """CPU seconds a process has run so far: its threads' ``schedstat`` (ns), summed.

    Falls back to ``stat`` (user + system, clock ticks) where schedstat is missing.
    """
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
        if not os.path.exists(f"/proc/{pid}/task/{tasks[0]}/schedstat"):
            raise OSError("no schedstat")
    except (OSError, IndexError):
        tasks = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat", encoding="ascii") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that just ended
    if tasks:
        return total / 1e9
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_snapshot(groups: dict[str, list[int]]) -> dict[str, float]:
    snap = {g: sum(cpu_seconds(p) for p in pids) for g, pids in groups.items()}
    snap["bench"] = time.process_time()
    return snap


def percentile(sorted_ns: Sequence[int], q: float) -> float:
    """Nearest-rank percentile, in microseconds."""
    k = max(0, min(len(sorted_ns) - 1, math.ceil(q * len(sorted_ns)) - 1))
    return sorted_ns[k] / 1000.0


async def latency(call: Call, events: int, warmup: int) -> tuple[float, float]:
    """p50 and p99 (µs) of ``events`` sequential calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        await call()
    samples: list[int] = []
    clock = time.perf_counter_ns
    for _ in range(events):
        t0 = clock()
        await call()
        samples.append(clock() - t0)
    samples.sort()
    return percentile(samples, 0.50), percentile(samples, 0.99)


async def throughput(
    call: Call, events: int, concurrency: int, groups: dict[str, list[int]]
) -> tuple[float, dict[str, float]]:
    """Events/s of ``concurrency`` senders sharing ``events``; CPU µs per event by process."""
    left = concurrency * 4

    async def sender() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await call()

    await asyncio.gather(*(sender() for _ in range(concurrency)))  # warm up at this load
    left = events
    before = cpu_snapshot(groups)
    t0 = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    after = cpu_snapshot(groups)
    cpu = {g: (after[g] - before[g]) * 1e6 / events for g in after}
    return events / elapsed, cpu


@dataclass
class Figures:
    """Per (side, length): one value per round of each figure."""

    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    rate: list[float] = field(default_factory=list)
    cpu: list[dict[str, float]] = field(default_factory=list)


def med(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


async def wait_ready(cluster: Cluster, sides: dict[str, Any], lengths: Sequence[int]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    for side_name, side in sides.items():
        for n in lengths:
            while not await side.ready(n):
                cluster.check()
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{side_name} side not ready for {n} plugins within {READY_TIMEOUT}s"
                    )
                await asyncio.sleep(0.1)


async def run(ns: argparse.Namespace, uvloop: bool) -> dict[tuple[str, int], Figures]:
    root = Path(tempfile.mkdtemp(prefix="hookwire-bench-"))
    cluster = Cluster(root, uvloop, ns.lengths)
    client = None
    bare_nc = None
    try:
        await cluster.start()
        client = await hookwire.client.connect(
            cluster.nats.url, timeout=EVENT_TIMEOUT, name="bench-gateway"
        )
        bare_nc = await nats.connect(cluster.nats.url, name="bench-bare-gateway")
        sides = {"bare": BareSide(bare_nc), "hookwire": HookwireSide(client)}
        await wait_ready(cluster, sides, ns.lengths)
        print(
            f"ready: nats-server {cluster.nats.url}, event {len(event_bytes(MAX_PLUGINS))} B "
            f"(args {len(msgspec.json.encode(ARGS))} B), logs in {root / 'logs'}",
            flush=True,
        )
        if ns.print_pids:
            for proc in cluster.procs:
                print(f"pid {proc.popen.pid}: {proc.side} {proc.role}", flush=True)
        print("load average before measuring: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        results: dict[tuple[str, int], Figures] = {
            (s, n): Figures() for s in SIDES for n in ns.lengths
        }
        gc.collect()
        gc.freeze()  # what setup allocated is not scanned again during the rounds
        for r in range(ns.rounds):
            started = time.perf_counter()
            for j, n in enumerate(ns.lengths):
                order = SIDES if (r + j) % 2 == 0 else SIDES[::-1]
                for s in order:
                    p50, p99 = await latency(sides[s].call(n), ns.events, ns.warmup)
                    results[s, n].p50.append(p50)
                    results[s, n].p99.append(p99)
                for s in order:
                    rate, cpu = await throughput(
                        sides[s].call(n), ns.throughput_events, ns.concurrency, cluster.pids(s)
                    )
                    results[s, n].rate.append(rate)
                    results[s, n].cpu.append(cpu)
                cluster.check()
            print(
                f"round {r + 1}/{ns.rounds} done in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
        print("load average after measuring: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        errors = {s: sides[s].errors for s in SIDES}
        if any(errors.values()):
            raise RuntimeError(f"events that did not come back as expected: {errors}")
        return results
    finally:
        if client is not None:
            await client.close()
        if bare_nc is not None:
            await bare_nc.close()
        await cluster.stop()
        if ns.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


# --- report --------------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join([line, rule, *body])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(results: dict[tuple[str, int], Figures], ns: argparse.Namespace, loop: str) -> bool:
    """Print the tables and targets; True when every target is met."""
    print()
    print(
        f"loop: {loop}; {ns.rounds} rounds; latency {ns.events} events (1 in flight) after "
        f"{ns.warmup} warmup; throughput {ns.throughput_events} events, "
        f"{ns.concurrency} in flight; medians over rounds; {os.cpu_count()} CPUs shared "
        "by the bench, nats-server, routers and workers"
    )
    print()
    rows = []
    lat_ratio: dict[int, float] = {}
    rate_ratio: dict[int, float] = {}
    for n in ns.lengths:
        b, h = results["bare", n], results["hookwire", n]
        lat_ratio[n] = med(h.p50) / med(b.p50)
        rate_ratio[n] = med(h.rate) / med(b.rate)
        rows.append(
            [
                str(n),
                f"{med(b.p50):.0f}",
                f"{med(h.p50):.0f}",
                f"{lat_ratio[n]:.2f}x",
                f"{med(b.p99):.0f}",
                f"{med(h.p99):.0f}",
                f"{med(b.rate):,.0f}",
                f"{med(h.rate):,.0f}",
                f"{rate_ratio[n]:.2f}x",
            ]
        )
    header = [
        "plugins",
        "bare p50 µs",
        "hookwire p50 µs",
        "ratio",
        "bare p99 µs",
        "hookwire p99 µs",
        "bare ev/s",
        "hookwire ev/s",
        "ratio",
    ]
    print(table(header, rows))
    print()
    spread = []
    for n in ns.lengths:
        b, h = results["bare", n], results["hookwire", n]
        per_round = [hp / bp for hp, bp in zip(h.p50, b.p50, strict=True)]
        per_rate = [hr / br for hr, br in zip(h.rate, b.rate, strict=True)]
        spread.append(
            [
                str(n),
                f"{min(per_round):.2f}-{max(per_round):.2f}x",
                f"{min(per_rate):.2f}-{max(per_rate):.2f}x",
            ]
        )
    print("per-round spread of the ratios (min-max):")
    print(table(["plugins", "p50 ratio", "ev/s ratio"], spread))
    print()

    groups = ["bench", "router", "workers", "nats-server"]
    cpu_rows = []
    for n in ns.lengths:
        totals: dict[str, float] = {}
        for s in SIDES:
            cpus = results[s, n].cpu
            per = {g: med([c[g] for c in cpus]) for g in groups}
            totals[s] = sum(per.values())
            ratio = f"{totals[s] / totals['bare']:.2f}x" if s != "bare" else ""
            cpu_rows.append(
                [str(n), s, *(f"{per[g]:.0f}" for g in groups), f"{totals[s]:.0f}", ratio]
            )
    print("CPU µs per event during the throughput runs, by process (/proc schedstat):")
    header = ["plugins", "side", "bench (gateway)", "router", "workers", "nats-server", "total"]
    print(table([*header, "vs bare"], cpu_rows))
    print()

    ok_lat = all(r <= P50_TARGET for r in lat_ratio.values())
    ok_rate = all(r >= THROUGHPUT_TARGET for r in rate_ratio.values())
    checks = [
        (
            f"hookwire p50 <= {P50_TARGET}x bare at every length",
            ", ".join(f"{n}: {lat_ratio[n]:.2f}x" for n in ns.lengths),
            ok_lat,
        ),
        (
            f"hookwire throughput >= {THROUGHPUT_TARGET}x bare at every length",
            ", ".join(f"{n}: {rate_ratio[n]:.2f}x" for n in ns.lengths),
            ok_rate,
        ),
    ]
    if 0 in ns.lengths:
        b0, h0 = med(results["bare", 0].p50), med(results["hookwire", 0].p50)
        zero = h0 / b0
        print(
            f"0 plugins: hookwire p50 {h0:.0f} µs vs one bare request-reply {b0:.0f} µs "
            f"= {zero:.2f}x (target <= {ZERO_TARGET}x)"
        )
        print()
        checks.append(
            (f"0 plugins <= {ZERO_TARGET}x one bare request-reply (p50)", f"{zero:.2f}x",
             zero <= ZERO_TARGET)
        )  # fmt: skip
    print(table(["target", "measured", "result"], [[t, m, verdict(ok)] for t, m, ok in checks]))
    return all(ok for _, _, ok in checks)


# --- command line --------------------------------------------------------------------------------


def parse_lengths(text: str) -> tuple[int, ...]:
    try:
        values = tuple(sorted({int(x) for x in text.split(",") if x.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 0,1,3,5, got {text!r}") from None
    if not values or min(values) < 0 or max(values) > MAX_PLUGINS:
        raise argparse.ArgumentTypeError(f"lengths must be between 0 and {MAX_PLUGINS}")
    return values


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bench/pipeline.py",
        description="hookwire end to end (gateway client -> router -> N pass-through "
        "plugin workers, each its own process) against a bare nats-py chain of the same "
        "request-reply hops, on one embedded nats-server. Prints medians over rounds and "
        "PASS/FAIL against the targets.",
        epilog="Run it on an otherwise idle machine; compare figures within one run.",
    )
    p.add_argument("--quick", action="store_true", help="short smoke run (3 rounds, fewer events)")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--rounds", type=int, help="interleaved rounds (default 5; quick 3)")
    p.add_argument("--events", type=int, help="timed latency events per round (2000; quick 300)")
    p.add_argument("--warmup", type=int, help="untimed events before each latency run (200; 50)")
    p.add_argument(
        "--throughput-events", type=int, help="events per throughput run (5000; quick 1000)"
    )
    p.add_argument("--concurrency", type=int, default=64, help="events in flight (default 64)")
    p.add_argument(
        "--lengths", type=parse_lengths, default=LENGTHS, help="plugin chain lengths (0,1,3,5)"
    )
    p.add_argument(
        "--loop",
        choices=("auto", "asyncio", "uvloop"),
        default="auto",
        help="event loop of every process; auto: uvloop when it is installed "
        "(`uv run --with uvloop ...`), else asyncio",
    )
    p.add_argument(
        "--record",
        action="store_true",
        help="measure recording instead (on vs off, alternating rounds) and the replay "
        "rate (bench/_recording.py)",
    )
    p.add_argument(
        "--replay-events", type=int, default=5000, help="recorded events replayed (5000)"
    )
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, config)")
    p.add_argument(
        "--print-pids",
        action="store_true",
        help="print every router's and worker's pid before measuring (to attach py-spy)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    ns = build_parser().parse_args(argv)
    configure_logging(json=False, level="warning")
    quick = ns.quick
    ns.rounds = ns.rounds or (3 if quick else 5)
    ns.events = ns.events or (300 if quick else 2000)
    ns.warmup = ns.warmup if ns.warmup is not None else (50 if quick else 200)
    ns.throughput_events = ns.throughput_events or (1000 if quick else 5000)
    have_uvloop = importlib.util.find_spec("uvloop") is not None
    if ns.loop == "uvloop" and not have_uvloop:
        print(
            "uvloop is not installed: uv run --with uvloop python bench/pipeline.py",
            file=sys.stderr,
        )
        return 2
    uvloop = ns.loop == "uvloop" or (ns.loop == "auto" and have_uvloop)
    if uvloop:
        import uvloop as uvloop_module

        asyncio.set_event_loop_policy(uvloop_module.EventLoopPolicy())
    loop = "uvloop" if uvloop else "asyncio"
    if ns.record:
        return _record_main(ns)
    print(f"bench/pipeline.py: {loop}, lengths {','.join(map(str, ns.lengths))}", flush=True)
    try:
        results = asyncio.run(run(ns, uvloop))
    except RuntimeError as exc:
        print(f"bench/pipeline.py: {exc}", file=sys.stderr)
        return 2
    ok = report(results, ns, loop)
    return 1 if ns.strict and not ok else 0


def _record_main(ns: argparse.Namespace) -> int:
    sys.path.insert(0, str(BENCH_DIR))
    import _recording

    print("bench/pipeline.py --record", flush=True)
    print("load average before measuring: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    root = Path(tempfile.mkdtemp(prefix="hookwire-bench-record-"))
    try:
        figures = asyncio.run(_recording.run_recording(ns, root, sys.modules[__name__]))
    finally:
        if not ns.keep:
            shutil.rmtree(root, ignore_errors=True)
    print("load average after measuring: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    ok = _recording.report_recording(figures, sys.modules[__name__])
    return 1 if ns.strict and not ok else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
