"""A config entry may rename a plugin with `kind`: its events reach that plugin's workers."""

from __future__ import annotations

from pathlib import Path

import pytest

import hookwire.client
from hookwire.router import config_from_text
from hookwire.router._stack import Stack

PLUGINS = Path(__file__).resolve().parents[1] / "workers" / "plugins"

CONFIG = """
plugin_dirs: [{plugins}]
plugins:
  shout:
    kind: echo_upper
routes:
  - entities: [tool]
    plugins: [{{name: shout}}]
"""


@pytest.mark.integration
async def test_renamed_plugin_is_served_by_its_kinds_workers(nats_server, tmp_path: Path) -> None:
    config = config_from_text(CONFIG.format(plugins=PLUGINS), file="kind.yaml", base_dir=tmp_path)
    async with Stack(config, nats_url=nats_server.url, data_dir=tmp_path, router=True) as stack:
        assert [p.plugin for p in stack.supervisor.status()] == ["echo_upper"]
        async with await hookwire.client.connect(stack.url, timeout=10) as gateway:
            result = await gateway.tool_pre_invoke("search", {"q": "cats"})
    assert result.decision == "allow", result.error
    assert result.payload.args == {"q": "CATS"}
    assert [r.plugin for r in result.trace] == ["shout"]
