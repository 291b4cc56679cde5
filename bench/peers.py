"""hookwire against its peers: cpex in process, cpex's external plugins, hookwire, and
hookwire through the bridge. One command, one table, everything measured in this run.

Run from the repository root::

    uv run python bench/peers.py              # full run (about 3-4 minutes)
    uv run python bench/peers.py --quick      # smoke run
    uv run python bench/peers.py --strict     # exit 1 if a target is missed

Workloads (``tool_pre_invoke``): ``chain1`` and ``chain3``, 1 and 3 pass-through plugins;
``pii``, cpex-pii-filter 0.3.9 on args holding an email address (masked).

Systems, all on one machine, the same payloads:

* ``cpex``: cpex 0.1.4's PluginManager (TenantPluginManager) with the plugins in process;
* ``cpex-unix``, ``cpex-grpc``, ``cpex-mcp``: the same manager, each plugin a cpex external
  plugin served by one cpex plugin server over its Unix socket, gRPC and MCP streamable
  HTTP transports (``python -m cpex.framework.external.<t>.server.runtime``);
* ``hookwire``: the gateway client straight to a hookwire router (in this process) and
  worker pools (one process each, 1 or 2 per pool): pass-through plugins are hookwire
  plugins (``bench/plugins/passthrough``), cpex-pii-filter is hosted unchanged;
* ``bridge``: cpex's PluginManager holding only ``hookwire_cpex.Bridge``, to the same
  hookwire.

The cpex side runs in a venv of its own (cpex[grpc], cpex-pii-filter, hookwire-cpex and
hookwire's client; made with uv once, reused): ``bench/peers/driver.py`` measures there
and reports JSON. Figures: p50 and p99 of up to ``--events`` calls one at a time (capped
at ``--seconds``), and events/s with ``--concurrency`` (64) in flight for ``--seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import structlog  # noqa: E402

from hookwire.router import load_config  # noqa: E402
from hookwire.router._stack import Stack  # noqa: E402
from hookwire.router.pools._embedded import EmbeddedNats  # noqa: E402
from hookwire.router.pools._venv import find_uv  # noqa: E402

PEERS = ROOT / "bench" / "peers"
PASSTHROUGH = ROOT / "bench" / "plugins" / "passthrough"
CACHE = Path(tempfile.gettempdir()) / "hookwire-bench-peers"
REQUIREMENTS = ("cpex[grpc]==0.1.4", "cpex-pii-filter==0.3.9")
PII_CONFIG = {
    "detect_email": True,
    "detect_ssn": True,
    "detect_credit_card": True,
    "detect_phone": True,
    "default_mask_strategy": "redact",
}
PASS_KIND = "cpex_passthrough.PassThrough"
PII_KIND = "cpex_pii_filter.pii_filter.PIIFilterPlugin"
ARGS = {"q": "weather in Paris", "units": "metric", "days": 3}
WORKLOADS: dict[str, dict[str, Any]] = {
    "chain1": {"tool": "chain1", "args": ARGS, "expect": ARGS, "cpex": [["pass_1", PASS_KIND]]},
    "chain3": {
        "tool": "chain3",
        "args": ARGS,
        "expect": ARGS,
        "cpex": [[f"pass_{i}", PASS_KIND] for i in (1, 2, 3)],
    },
    "pii": {
        "tool": "pii",
        "args": {"text": "please mail the report to alice@example.com today"},
        "expect": {"text": "please mail the report to [REDACTED] today"},
        "cpex": [["pii_filter", PII_KIND]],
    },
}
CPEX_SYSTEMS = ["cpex", "cpex-unix", "cpex-grpc", "cpex-mcp"]
HOOKWIRE_SYSTEMS = ["hookwire", "bridge"]


# --- the peers venv and cpex's plugin servers -------------------------------------------------


def peers_venv() -> Path:
    """The cpex side's venv, made once per set of requirements; its python."""
    editable = [str(ROOT / "schemas") + "[client]", str(ROOT / "bridges" / "cpex")]
    key = hashlib.sha256(json.dumps([REQUIREMENTS, editable, sys.version]).encode()).hexdigest()
    folder = CACHE / f"venv-{key[:12]}"
    python = folder / "bin" / "python"
    if (folder / ".complete").is_file():
        return python
    shutil.rmtree(folder, ignore_errors=True)
    uv = find_uv()
    print(f"making the cpex venv {folder} (once)", file=sys.stderr)
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(folder)], check=True)
    args = [uv, "pip", "install", "-q", "--python", str(python), *REQUIREMENTS]
    for path in editable:
        args += ["-e", path]
    subprocess.run(args, check=True)
    (folder / ".complete").write_text("ok")
    return python


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def external_config(folder: Path) -> Path:
    plugins = [
        {"name": f"pass_{i}", "kind": PASS_KIND, "hooks": ["tool_pre_invoke"], "priority": 9 + i}
        for i in (1, 2, 3)
    ]
    plugins.append(
        {"name": "pii_filter", "kind": PII_KIND, "hooks": ["tool_pre_invoke"], "config": PII_CONFIG}
    )
    for p in plugins:
        p["mode"] = "sequential"
    path = folder / "external.yaml"
    path.write_text(json.dumps({"plugins": plugins}))
    return path


def start_servers(
    python: Path, folder: Path
) -> tuple[list[subprocess.Popen[bytes]], dict[str, str]]:
    """cpex's Unix socket, gRPC and MCP plugin servers, each hosting every workload plugin."""
    config = external_config(folder)
    env = {**os.environ, "PYTHONPATH": str(PEERS), "PLUGINS_CONFIG_PATH": str(config)}
    sock = folder / "plugins.sock"
    grpc_port, mcp_port = free_port(), free_port()
    module = "cpex.framework.external.{}.server.runtime"
    runs = [
        ([module.format("unix")], {"PLUGINS_UNIX_SOCKET_PATH": str(sock)}),
        (
            [
                module.format("grpc"),
                "--config",
                str(config),
                "--host",
                "127.0.0.1",
                "--port",
                str(grpc_port),
            ],
            {},
        ),
        (
            [module.format("mcp")],
            {
                "PLUGINS_TRANSPORT": "http",
                "PLUGINS_SERVER_HOST": "127.0.0.1",
                "PLUGINS_SERVER_PORT": str(mcp_port),
            },
        ),
    ]
    procs = []
    for args, extra in runs:
        log = open(folder / f"{args[0].split('.')[3]}.log", "wb")  # noqa: SIM115
        procs.append(
            subprocess.Popen(
                [str(python), "-m", *args],
                env={**env, **extra},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        )
    wait_until(lambda: sock.exists(), "the Unix socket server")
    for port in (grpc_port, mcp_port):
        wait_until(lambda p=port: listening(p), f"the server on port {port}")
    where = {
        "unix": str(sock),
        "grpc": f"127.0.0.1:{grpc_port}",
        # cpex refuses loopback IPs (SSRF protection); a host name passes
        "mcp": f"http://localhost:{mcp_port}/mcp",
    }
    return procs, where


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_until(check: Any, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start within {timeout:g}s")
        time.sleep(0.1)


# --- hookwire ---------------------------------------------------------------------------------


def hookwire_config(folder: Path, workers: int) -> Path:
    plugins = folder / "plugins"
    manifest = (PASSTHROUGH / "plugin-manifest.yaml").read_text()
    for i in (1, 2, 3):
        target = plugins / f"passthrough_{i}"
        if not target.exists():
            shutil.copytree(PASSTHROUGH, target, ignore=shutil.ignore_patterns("__pycache__"))
            text = manifest.replace("name: passthrough\n", f"name: passthrough_{i}\n", 1)
            (target / "plugin-manifest.yaml").write_text(text)
    pii = plugins / "pii_filter"
    pii.mkdir(parents=True, exist_ok=True)
    (pii / "plugin-manifest.yaml").write_text(
        "name: pii_filter\nversion: 0.3.9\ndescription: cpex-pii-filter, hosted unchanged.\n"
        "maturity: beta\nhooks: [tool_pre_invoke]\n"
        f"cpex: {{requirement: cpex-pii-filter==0.3.9, kind: {PII_KIND}}}\n"
    )
    entries: dict[str, dict[str, Any]] = {
        f"passthrough_{i}": {"workers": workers} for i in (1, 2, 3)
    }
    entries["pii_filter"] = {"workers": workers, "config": PII_CONFIG}

    def route(tool: str, names: list[str]) -> dict[str, Any]:
        return {
            "entities": ["tool"],
            "name": tool,
            "hooks": ["tool_pre_invoke"],
            "plugins": [{"name": n, "priority": i} for i, n in enumerate(names)],
        }

    doc = {
        "plugin_dirs": ["plugins"],
        "plugin_settings": {"venv_dir": str(CACHE / "plugin-venvs")},
        "plugins": entries,
        "routes": [
            route("chain1", ["passthrough_1"]),
            route("chain3", [f"passthrough_{i}" for i in (1, 2, 3)]),
            route("pii", ["pii_filter"]),
        ],
    }
    path = folder / f"hookwire-{workers}.yaml"
    path.write_text(json.dumps(doc, indent=2))
    return path


async def drive(python: Path, job: dict[str, Any]) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        str(python),
        str(PEERS / "driver.py"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(PEERS)},
    )
    out, _ = await proc.communicate(json.dumps(job).encode())
    if proc.returncode != 0:
        raise SystemExit(f"the driver failed ({proc.returncode})")
    result: dict[str, Any] = json.loads(out)
    return result


# --- the table --------------------------------------------------------------------------------


def table(results: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    base = {w: results["hookwire (1 worker)"][w] for w in WORKLOADS}
    lines = [
        "| system | workload | p50 µs | p99 µs | events/s @64 "
        "| p50 / hookwire 1w | events/s / hookwire 1w |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for system, by_workload in results.items():
        for w, f in by_workload.items():
            p50 = f["p50"] / base[w]["p50"]
            rate = f["throughput"] / base[w]["throughput"]
            lines.append(
                f"| {system} | {w} | {f['p50']:,.0f} | {f['p99']:,.0f} | {f['throughput']:,.0f} "
                f"| {p50:.2f}x | {rate:.2f}x |"
            )
    return lines


def targets(
    results: dict[str, dict[str, dict[str, float]]], workers: list[int]
) -> list[tuple[str, float, float]]:
    """(target, measured ratio, needed ratio) per target and worker count."""
    out = []
    for n in workers:
        hw = results[f"hookwire ({n} worker{'s' if n > 1 else ''})"]
        hop = hw["chain1"]["p50"]
        unix, mcp = results["cpex-unix"]["chain1"]["p50"], results["cpex-mcp"]["chain1"]["p50"]
        rate = hw["chain3"]["throughput"] / results["cpex"]["chain3"]["throughput"]
        out += [
            (f"{n}w: one hop p50, cpex-unix / hookwire", unix / hop, 1.5),
            (f"{n}w: one hop p50, cpex-mcp / hookwire", mcp / hop, 10.0),
            (f"{n}w: 3-plugin events/s, hookwire / cpex in process", rate, 0.5),
        ]
    return out


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="few events (a smoke run)")
    parser.add_argument("--events", type=int, default=1000, help="latency events per figure")
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="time cap of each latency and throughput run"
    )
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", default="1,2", help="workers per pool, comma separated")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()
    if args.quick:
        args.events, args.seconds = 100, 1.0
    workers = [int(n) for n in args.workers.split(",")]
    # the router runs in this process: only its warnings, so the table stands alone
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    CACHE.mkdir(parents=True, exist_ok=True)
    python = peers_venv()
    work = Path(tempfile.mkdtemp(prefix="hookwire-peers-"))
    nats = EmbeddedNats(work / "data")
    await nats.start()
    servers, where = start_servers(python, work)
    job: dict[str, Any] = {
        "workloads": WORKLOADS,
        "nats": nats.url,
        "external": where,
        "events": args.events,
        "seconds": args.seconds,
        "concurrency": args.concurrency,
    }
    results: dict[str, dict[str, dict[str, float]]] = {}
    try:
        for n in workers:
            config = load_config(hookwire_config(work, n))
            async with Stack(config, nats_url=nats.url, data_dir=work / "data", ready_timeout=600):
                measured = await drive(python, {**job, "systems": HOOKWIRE_SYSTEMS})
            label = f"{n} worker{'s' if n > 1 else ''}"
            results[f"hookwire ({label})"] = measured["hookwire"]
            results[f"bridge ({label})"] = measured["bridge"]
        results.update(await drive(python, {**job, "systems": CPEX_SYSTEMS}))
    finally:
        for proc in servers:
            proc.terminate()
        for proc in servers:
            proc.wait(10)
        await nats.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"\nhookwire vs cpex 0.1.4, {os.cpu_count()} cores; latency: up to {args.events} events "
        f"one at a time (at most {args.seconds:g} s); throughput: {args.concurrency} in flight "
        f"for {args.seconds:g} s\n"
    )
    print("\n".join(table(results)))
    print("\n| target | measured | needed | |\n|---|---:|---:|---|")
    missed = 0
    for what, got, need in targets(results, workers):
        ok = got >= need
        missed += not ok
        print(f"| {what} | {got:.2f}x | {need:g}x | {'PASS' if ok else 'FAIL'} |")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
