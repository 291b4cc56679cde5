"""content_moderation in the pipeline: a real nats-server, a router, its worker pool in
its own venv, and the OpenAI-compatible backend pointed at a fake server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import hookwire.client
from hookwire.router import config_from_text
from hookwire.router._stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
PLUGINS = Path(__file__).resolve().parents[2] / "plugins"

CONFIG = """
plugin_dirs: [{plugins}]
plugins:
  content_moderation: {{}}
  moderated_by_provider:
    kind: content_moderation
    config:
      provider: {{type: openai, url: "{url}/v1", timeout: 5}}
routes:
  - entities: [tool]
    name: chat
    plugins: [{{name: content_moderation}}]
  - entities: [tool]
    name: chat_provider
    plugins: [{{name: moderated_by_provider}}]
"""


@pytest.fixture
def provider() -> Iterator[list[dict[str, Any]]]:
    """A fake moderation endpoint flagging 'attack plan' as violence; the bodies it got."""
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append(body)
            results = [
                {"category_scores": {"violence": 0.99 if "attack plan" in t else 0.0}}
                for t in body["input"]
            ]
            data = json.dumps({"results": results}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    seen.append({"url": f"http://127.0.0.1:{server.server_port}"})
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
async def gateway(
    nats_server, tmp_path: Path, provider: list[dict[str, Any]]
) -> AsyncIterator[hookwire.client.Client]:
    text = CONFIG.format(plugins=PLUGINS, url=provider.pop(0)["url"])
    config = config_from_text(text, file="cm.yaml", base_dir=tmp_path)
    async with (
        Stack(config, nats_url=nats_server.url, data_dir=tmp_path, router=True) as stack,
        await hookwire.client.connect(stack.url, timeout=20) as client,
    ):
        yield client


async def test_content_moderation_blocks_redacts_and_asks_the_provider(
    gateway: hookwire.client.Client, provider: list[dict[str, Any]]
) -> None:
    blocked = await gateway.tool_pre_invoke("chat", {"text": "I will kill you"})
    assert blocked.decision == "block"
    assert blocked.violation is not None and blocked.violation.code == "content_moderation"

    redacted = await gateway.tool_pre_invoke("chat", {"text": "this is bullshit"})
    assert redacted.decision == "allow"
    assert redacted.payload.args == {"text": "this is [REDACTED]"}

    warned = await gateway.tool_pre_invoke("chat", {"text": "you are a pathetic loser"})
    assert warned.decision == "allow" and warned.violation is None
    [warning] = warned.warnings
    assert (warning.plugin, warning.kind) == ("content_moderation", "violation")
    assert warning.message == "args.text: harassment (score 0.8)"
    assert warning.violation is not None and warning.violation.code == "plugin_warning"

    result = await gateway.tool_post_invoke("chat", {"reply": "send nudes"})
    assert result.decision == "block"

    flagged = await gateway.tool_pre_invoke("chat_provider", {"text": "our attack plan"})
    assert flagged.decision == "block"
    assert flagged.violation is not None
    assert flagged.violation.details["categories"] == ["violence"]
    assert provider == [{"model": "omni-moderation-latest", "input": ["our attack plan"]}]
