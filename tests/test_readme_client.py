"""The README's client snippet runs as written and prints what the README shows.

The snippet is taken from README.md ("The Python client"), saved as ``gateway.py`` and
run as its own process, as a reader would, against a real nats-server and a router and
workers for ``plugins/demo.yaml`` (the config the README tells the reader to run).
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from _nats import NatsServer

from hookwire.router import load_config
from hookwire.router.live._discovery import wait_for_instances
from hookwire.router.pipeline._service import ROUTER_SERVICE, Router
from hookwire.service import connect
from hookwire.workers import Worker

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DEMO = ROOT / "plugins" / "demo.yaml"
SECTION = "### The Python client"
#: Plugins the snippet's event goes through; audit_logger (fire_and_forget, writes a
#: file) is left out: nothing waits for it.
PLUGINS = (
    "rate_limiter",
    "cedar_policy",
    "arg_size_guard",
    "deny_list",
    "schema_guard",
    "content_moderation",
    "pii_filter",
)


def readme_blocks(language: str) -> list[str]:
    """The fenced blocks of ``language`` in the README's client section, in order."""
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start)
    section = text[start : end if end != -1 else None]
    return re.findall(rf"^```{language}\n(.*?)^```$", section, re.S | re.M)


def test_the_readme_offers_no_unpublished_package() -> None:
    text = README.read_text(encoding="utf-8")
    assert "pip install hookwire-schemas[client]" not in text
    assert 'uv pip install "./schemas[client]"' in text


@pytest.fixture
async def demo(nats_server: NatsServer) -> AsyncIterator[str]:
    """A router and in-process workers of the demo config on the test NATS; its URL."""
    config = load_config(DEMO)
    conns = [await connect(nats_server.url, f"readme-{name}") for name in (*PLUGINS, "router")]
    workers = []
    router = Router(conns[-1], config)
    try:
        for name, nc in zip(PLUGINS, conns, strict=False):
            path = config.plugins[name].path
            assert path is not None
            workers.append(await Worker.start(nc, path))
        await router.start()
        assert await wait_for_instances(conns[-1], ROUTER_SERVICE, 1, 10.0) >= 1
        yield nats_server.url
    finally:
        await router.drain(timeout=2)
        for worker in workers:
            await worker.stop(timeout=2)
        for nc in conns:
            await nc.close()


@pytest.mark.timeout(60)
async def test_the_readme_client_snippet_runs_as_written(demo: str, tmp_path: Path) -> None:
    (snippet,) = readme_blocks("python")
    shown = [b for b in readme_blocks("") if b.startswith("$ python gateway.py")]
    assert len(shown) == 1, "the README shows what the snippet prints"
    expected = shown[0].splitlines()[1]
    script = tmp_path / "gateway.py"
    script.write_text(snippet)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        demo,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 45)
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip() == expected
