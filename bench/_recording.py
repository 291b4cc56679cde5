"""The recording and replay section of bench/pipeline.py (``--record``).

One embedded nats-server, one passthrough worker, and a router process that is started
with recording off and on in turn, alternating from round to round (same run, same
worker, same server). Per round and setting: p50 of sequential events and events/s at
``--concurrency``. Then the recorded events are exported and replayed through the
router (recording off) at ``--concurrency``: events/s.
Targets: recording costs at most 10% of throughput; replay runs at least 1,000 events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import hookwire.client
from hookwire.router.pools._embedded import EmbeddedNats
from hookwire.router.record import RecordFilter, export_records, nats_sender, replay
from hookwire.service import connect

RECORD_COST_TARGET = 0.10
REPLAY_TARGET = 1000.0


def _config(root: Path, plugins: Path, record: bool) -> Path:
    lines = [
        f"plugin_dirs: [{plugins}]",
        "plugin_settings:",
        "  event_timeout: 10",
        *(["  record: {enabled: true, keep: full, max_age: 1h, max_bytes: 1GB}"] if record else []),
        "plugins:",
        "  passthrough_1: {}",
        "routes:",
        "  - entities: [tool]",
        "    plugins: [{name: passthrough_1}]",
    ]
    path = root / f"record-{'on' if record else 'off'}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _spawn(cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HOOKWIRE_LOG_LEVEL": "warning"}
    with log.open("wb") as out:
        return subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
            start_new_session=True,
        )  # fmt: skip


async def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    while proc.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


async def _ready(client: hookwire.client.Client) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            r = await client.tool_pre_invoke("chain1", {"q": 1}, timeout=2.0)
            if r.decision == "allow" and len(r.trace) == 1:
                return
        except (hookwire.client.HookwireUnavailable, hookwire.client.HookwireTimeout):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the router of the recording bench did not get ready")
        await asyncio.sleep(0.1)


async def run_recording(ns: argparse.Namespace, root: Path, bench: Any) -> dict[str, Any]:
    """p50 and events/s with recording off and on (medians over rounds); replay events/s."""
    plugins = bench.write_plugins(root)
    nats = EmbeddedNats(root / "record-data")
    await nats.start()
    worker = _spawn(
        [sys.executable, "-m", "hookwire.workers", "--plugin", str(plugins / "passthrough_1"),
         "--nats", nats.url, "--log-json"],
        root / "record-worker.log",
    )  # fmt: skip
    client = await hookwire.client.connect(nats.url, timeout=10, name="bench-record")
    figures: dict[str, dict[str, list[float]]] = {
        s: {"p50": [], "rate": [], "router_cpu": [], "nats_cpu": []} for s in ("off", "on")
    }
    call = bench.HookwireSide(client).call(1)
    try:
        for r in range(ns.rounds):
            for setting in ("off", "on") if r % 2 == 0 else ("on", "off"):
                config = _config(root, plugins, setting == "on")
                router = _spawn(
                    [sys.executable, "-m", "hookwire.router.cli", "router", "--config",
                     str(config), "--nats", nats.url, "--no-follow", "--log-json"],
                    root / f"record-router-{setting}.log",
                )  # fmt: skip
                try:
                    await _ready(client)
                    p50, _ = await bench.latency(call, ns.events, ns.warmup)
                    groups = {"router": [router.pid], "nats": [nats.pid] if nats.pid else []}
                    rate, cpu = await bench.throughput(
                        call, ns.throughput_events, ns.concurrency, groups
                    )
                finally:
                    await _stop(router)
                figures[setting]["p50"].append(p50)
                figures[setting]["rate"].append(rate)
                figures[setting]["router_cpu"].append(cpu["router"])
                figures[setting]["nats_cpu"].append(cpu["nats"])
            print(f"recording round {r + 1}/{ns.rounds} done", flush=True)
        config = _config(root, plugins, False)
        router = _spawn(
            [sys.executable, "-m", "hookwire.router.cli", "router", "--config", str(config),
             "--nats", nats.url, "--no-follow", "--log-json"],
            root / "record-router-replay.log",
        )  # fmt: skip
        try:
            await _ready(client)
            nc = await connect(nats.url, "bench-replay")
            records = []
            async for rec in export_records(nc.jetstream(), RecordFilter(limit=ns.replay_events)):
                records.append(rec)
            send = await nats_sender(nc)()
            report, _ = await replay(records, send, concurrency=ns.concurrency)
            await nc.close()
        finally:
            await _stop(router)
    finally:
        await client.close()
        await _stop(worker)
        await nats.stop()
    med = bench.med
    return {
        "p50_off": med(figures["off"]["p50"]),
        "p50_on": med(figures["on"]["p50"]),
        "rate_off": med(figures["off"]["rate"]),
        "rate_on": med(figures["on"]["rate"]),
        **{
            f"{k}_{s}": med(figures[s][k])
            for k in ("router_cpu", "nats_cpu")
            for s in ("off", "on")
        },
        "replayed": report.total,
        "replay_rate": report.total / report.seconds if report.seconds else 0.0,
        "replay_unchanged": report.unchanged,
    }


def report_recording(f: dict[str, Any], bench: Any) -> bool:
    cost = 1 - f["rate_on"] / f["rate_off"]
    rows = [
        [
            s,
            f"{f[f'p50_{s}']:.0f}",
            f"{f[f'rate_{s}']:.0f}",
            f"{f[f'router_cpu_{s}']:.0f}",
            f"{f[f'nats_cpu_{s}']:.0f}",
        ]
        for s in ("off", "on")
    ]
    print()
    print("Recording (1 plugin; median over rounds)")
    header = ["record", "p50 µs", "events/s", "router CPU µs/event", "nats-server CPU µs/event"]
    print(bench.table(header, rows))
    print(
        f"replay: {f['replayed']} recorded events at {f['replay_rate']:.0f} events/s "
        f"({f['replay_unchanged']} unchanged)"
    )
    ok_cost = bool(cost <= RECORD_COST_TARGET)
    ok_replay = bool(f["replay_rate"] >= REPLAY_TARGET)
    print(
        f"{bench.verdict(ok_cost)}  recording costs {cost * 100:.1f}% of throughput "
        f"(target <= {RECORD_COST_TARGET * 100:.0f}%)"
    )
    print(
        f"{bench.verdict(ok_replay)}  replay {f['replay_rate']:.0f} events/s "
        f"(target >= {REPLAY_TARGET:.0f})"
    )
    return ok_cost and ok_replay
