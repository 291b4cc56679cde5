"""The router reads its NATS URL and credentials from the config's ``nats:`` section."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hookwire import client as hw
from hookwire.router import load_config

from .conftest import Secured

pytestmark = pytest.mark.integration


def test_relative_paths_resolve_against_the_config(tmp_path: Path) -> None:
    config = tmp_path / "hookwire.yaml"
    config.write_text("nats: {url: 'nats://h:1', creds: creds/router.creds}\nroutes: []\n")
    section = load_config(config).nats
    assert section is not None and section.creds == str(tmp_path / "creds" / "router.creds")


async def test_router_connects_as_the_section_says(secured_nats: Secured, tmp_path: Path) -> None:
    creds = secured_nats.creds.creds("router")
    config = tmp_path / "hookwire.yaml"
    config.write_text(f"nats: {{url: '{secured_nats.url}', creds: '{creds}'}}\nroutes: []\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKWIRE_NATS")}
    router = subprocess.Popen(
        [sys.executable, "-m", "hookwire.router.cli", "router", "--config", str(config)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with await hw.connect(
            secured_nats.url, timeout=5, auth=secured_nats.auth("gateway")
        ) as gateway:
            for _ in range(200):  # until the router serves (no responders before)
                try:
                    result = await gateway.tool_pre_invoke("t", {})
                    break
                except hw.HookwireUnavailable:
                    assert router.poll() is None, router.stderr.read() if router.stderr else ""
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("the router never served")
        assert result.decision == "allow"
    finally:
        router.terminate()
        router.wait(timeout=20)
