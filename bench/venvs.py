"""Plugin venv benchmark: cold creation, warm reuse, and `hookwire up` start-to-ready.

    uv run python bench/venvs.py            # 5 rounds
    uv run python bench/venvs.py --rounds 3
    uv run python bench/venvs.py --strict   # exit 1 if a target is missed

Needs no network: the plugins' one dependency is a wheel this script writes, found
through UV_FIND_LINKS; hookwire's own dependencies come from uv's cache (run after
`uv sync`). Targets: warm reuse under 100 ms per plugin; `hookwire up` with 5 plugins on
warm venvs ready in under 3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from hookwire.router.pools._venv import VenvManager

PLUGINS = 5
MODULE = """
import tinydep
from hookwire.workers import Continue, Plugin


class Bench(Plugin):
    async def tool_pre_invoke(self, payload, ctx):
        return Continue()
"""


def write_wheel(folder: Path, name: str = "tinydep", version: str = "1.0") -> Path:
    """A pure-Python wheel written by hand (no build backend, no network)."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f'__version__ = "{version}"\n',
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = "\n".join(record) + "\n"
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return wheel


def write_plugin(root: Path, name: str) -> Path:
    folder = root / name
    (folder / name).mkdir(parents=True)
    (folder / name / "__init__.py").write_text("")
    (folder / name / "plugin.py").write_text(MODULE)
    (folder / "requirements.txt").write_text("tinydep==1.0\n")
    (folder / "plugin-manifest.yaml").write_text(
        f"name: {name}\nversion: '1.0.0'\ndescription: bench plugin\nentry: {name}.plugin:Bench\n"
        "maturity: alpha\nhooks: [tool_pre_invoke]\n"
    )
    return folder


def write_config(root: Path, names: list[str], venvs: Path) -> Path:
    plugins = "\n".join(f"  {n}: {{}}" for n in names)
    attach = "\n".join(f"      - name: {n}" for n in names)
    config = root / "hookwire.yaml"
    config.write_text(
        f"plugin_dirs: [plugins]\nplugin_settings:\n  venv_dir: {venvs}\nplugins:\n{plugins}\n"
        f"routes:\n  - entities: [tool]\n    plugins:\n{attach}\n"
    )
    return config


async def cold_and_warm(
    plugin_dir: Path, rounds: int, venvs: Path
) -> tuple[list[float], list[float]]:
    cold, warm = [], []
    for i in range(rounds):
        root = venvs / f"cold-{i}"
        first = await VenvManager(root).ensure(plugin_dir)
        assert first.action == "created"
        cold.append(first.seconds)
        again = await VenvManager(root).ensure(plugin_dir)
        assert again.action == "reused"
        warm.append(again.seconds)
    return cold, warm


def up_to_ready(config: Path, data: Path) -> float:
    """Seconds from spawning `hookwire up` to its 'hookwire is up' line; then stop it."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hookwire.router.cli",
            "up",
            "--config",
            str(config),
            "--data-dir",
            str(data),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "HOOKWIRE_LOG_LEVEL": "error"},
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("hookwire is up"):
            break
    else:
        raise RuntimeError(f"hookwire up exited with {proc.wait()} before it was ready")
    took = time.perf_counter() - start
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    return took


def row(name: str, values: list[float], target: float | None) -> str:
    median = statistics.median(values)
    verdict = "" if target is None else ("PASS" if median < target else "FAIL")
    limit = "" if target is None else f"< {target * 1000:.0f} ms"
    return f"  {name:<44} {median * 1000:>9.1f} ms  {limit:<10} {verdict}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per figure (default 5)")
    parser.add_argument("--strict", action="store_true", help="exit 1 on a missed target")
    ns = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hookwire-bench-venvs-") as tmp:
        root = Path(tmp)
        (root / "wheels").mkdir()
        write_wheel(root / "wheels")
        os.environ["UV_FIND_LINKS"] = str(root / "wheels")
        os.environ["UV_OFFLINE"] = "1"
        names = [f"bench_{i}" for i in range(PLUGINS)]
        dirs = [write_plugin(root / "plugins", n) for n in names]
        cold, warm = asyncio.run(cold_and_warm(dirs[0], ns.rounds, root / "venvs"))
        config = write_config(root, names, root / "up-venvs")
        up_to_ready(config, root / "data")  # first start makes the 5 venvs
        ready = [up_to_ready(config, root / "data") for _ in range(ns.rounds)]
    rows = [
        row("cold venv, plugin with one small dependency", cold, None),
        row("warm reuse, per plugin", warm, 0.100),
        row(f"hookwire up, {PLUGINS} plugins on warm venvs, to ready", ready, 3.0),
    ]
    print(f"plugin venvs: median of {ns.rounds} rounds (uv cache warm; no network)")
    print("\n".join(rows))
    missed = sum("FAIL" in r for r in rows)
    return 1 if ns.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
