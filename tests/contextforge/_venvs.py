"""The gateway side's venv: cpex, the cpex plugins from PyPI and hookwire-cpex, made
with uv at test time (CI starts with an empty cache and reaches PyPI)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from hookwire.router.pools._venv import find_uv

ROOT = Path(__file__).resolve().parents[2]
CPEX_PACKAGES = (
    "cpex==0.1.4",
    "cpex-pii-filter==0.3.9",
    "cpex-secrets-detection==0.3.14",
    "cpex-rate-limiter==0.1.12",
)
SIDE = Path(__file__).with_name("_cpex_side.py")
BRIDGE_SIDE = Path(__file__).with_name("_bridge_side.py")


def make_gateway_venv(folder: Path) -> Path:
    """A venv like a ContextForge gateway's with hookwire-cpex installed; its python."""
    uv = find_uv()
    subprocess.run(
        [uv, "venv", "--quiet", "--python", sys.executable, str(folder)], check=True, timeout=120
    )
    python = folder / "bin" / "python"
    subprocess.run(
        [
            uv, "pip", "install", "--quiet", "--python", str(python),
            *CPEX_PACKAGES,
            "-e", str(ROOT / "schemas") + "[client]",
            "-e", str(ROOT / "bridges" / "cpex"),
        ],
        check=True,
        timeout=600,
    )  # fmt: skip
    return python


async def run_cpex(python: Path, job: dict[str, Any], script: Path = SIDE) -> list[dict[str, Any]]:
    """Outcomes of ``job`` run by cpex's PluginManager in the gateway venv; a job's
    ``creds`` (the gateway role's creds file) reaches the client as HOOKWIRE_NATS_CREDS."""
    env = {**os.environ}
    if job.get("creds"):
        env["HOOKWIRE_NATS_CREDS"] = str(job["creds"])
    proc = await asyncio.create_subprocess_exec(
        str(python),
        str(script),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(json.dumps(job).encode()), 300)
    assert proc.returncode == 0, err.decode()[-4000:]
    result: list[dict[str, Any]] = json.loads(out)
    return result
