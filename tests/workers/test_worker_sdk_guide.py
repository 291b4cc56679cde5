"""The example plugin of docs/plugin-sdk.md loads and behaves as the guide says."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import msgspec
import pytest

from hookwire.schemas import ToolPreInvokePayload, WorkerReply, WorkerRequest
from hookwire.workers import load_plugin
from hookwire.workers._dispatch import Dispatcher
from hookwire.workers._instances import Instances

GUIDE = Path(__file__).parents[2] / "docs" / "plugin-sdk.md"


@pytest.fixture
def dispatcher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dispatcher:
    """The guide's plugin written to a folder, loaded, behind a Dispatcher (no NATS)."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    text = GUIDE.read_text()
    code = re.search(r"```python\n# no_secrets/plugin.py\n(.*?)```", text, re.S)
    manifest = re.search(r"```yaml\n# plugin-manifest.yaml\n(.*?)```", text, re.S)
    assert code is not None and manifest is not None
    package = tmp_path / "no_secrets" / "no_secrets"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "plugin.py").write_text(code.group(1))
    (package.parent / "plugin-manifest.yaml").write_text(manifest.group(1))
    monkeypatch.delitem(sys.modules, "no_secrets", raising=False)
    monkeypatch.delitem(sys.modules, "no_secrets.plugin", raising=False)
    plugin = load_plugin(package.parent)
    return Dispatcher(plugin.name, plugin.manifest.hooks, Instances(plugin.name, plugin.cls))


async def run(dispatcher: Dispatcher, args: dict[str, str], config: dict[str, str]) -> WorkerReply:
    req = WorkerRequest(
        instance="i",
        plugin="no_secrets",
        hook="tool_pre_invoke",
        payload=msgspec.Raw(msgspec.json.encode({"name": "login", "args": args})),
        config=msgspec.Raw(msgspec.json.encode(config)),
        timeout=5.0,
    )
    return await dispatcher.call(req, time.monotonic())


async def test_guide_plugin_masks_a_secret(dispatcher: Dispatcher) -> None:
    reply = await run(dispatcher, {"user": "bob", "pw": "my password"}, {})
    assert reply.modified_payload is not None
    modified = msgspec.json.decode(reply.modified_payload, type=ToolPreInvokePayload)
    assert modified.args == {"user": "bob", "pw": "***"}


async def test_guide_plugin_blocks_in_block_mode(dispatcher: Dispatcher) -> None:
    reply = await run(dispatcher, {"pw": "password1"}, {"mode": "block"})
    assert reply.violation is not None
    assert (reply.violation.code, reply.violation.plugin_name) == ("SECRET", "no_secrets")


async def test_guide_plugin_lets_clean_calls_through(dispatcher: Dispatcher) -> None:
    reply = await run(dispatcher, {"q": "weather"}, {})
    assert reply == WorkerReply()
