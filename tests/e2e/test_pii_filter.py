"""pii_filter in the pipeline: a real nats-server, a router, its worker pool in its own venv.

The venv is made by uv from the package index (phonenumbers included), as on a user's
machine; one deployment serves every check of the module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import hookwire.client
from hookwire.router import config_from_text
from hookwire.router._stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
PLUGINS = Path(__file__).resolve().parents[2] / "plugins"

CONFIG = """
plugin_dirs: [{plugins}]
plugins:
  pii_filter: {{}}
routes:
  - entities: [tool]
    name: send_email
    plugins: [{{name: pii_filter}}]
  - entities: [tool]
    name: vault_write
    plugins: [{{name: pii_filter, config: {{block: true}}}}]
"""


@pytest.fixture
async def gateway(nats_server, tmp_path: Path) -> AsyncIterator[hookwire.client.Client]:
    text = CONFIG.format(plugins=PLUGINS)
    config = config_from_text(text, file="pii.yaml", base_dir=tmp_path)
    async with (
        Stack(config, nats_url=nats_server.url, data_dir=tmp_path, router=True) as stack,
        await hookwire.client.connect(stack.url, timeout=20) as client,
    ):
        yield client


async def test_pii_filter_masks_args_and_results_and_blocks_where_configured(
    gateway: hookwire.client.Client,
) -> None:
    args = {
        "to": ["alice@example.com"],
        "body": {"text": "call +44 20 7946 0958, key AKIAIOSFODNN7EXAMPLE"},
    }
    pre = await gateway.tool_pre_invoke("send_email", args, request_id="r1")
    assert pre.decision == "allow", pre.error
    assert pre.payload.args == {"to": ["[EMAIL]"], "body": {"text": "call [PHONE], key [API_KEY]"}}
    assert [r.plugin for r in pre.trace] == ["pii_filter"]

    post = await gateway.tool_post_invoke("send_email", {"ssn": "123-45-6789"}, request_id="r1")
    assert post.decision == "allow", post.error
    assert post.payload.result == {"ssn": "[SSN]"}

    blocked = await gateway.tool_pre_invoke("vault_write", {"iban": "DE89370400440532013000"})
    assert blocked.decision == "block"
    assert blocked.violation is not None
    assert blocked.violation.code == "pii_detected"
    assert blocked.violation.plugin_name == "pii_filter"
    assert "DE89" not in str(blocked.violation.details)

    clean = await gateway.tool_pre_invoke("vault_write", {"note": "order 100234 on 2024-01-15"})
    assert clean.decision == "allow" and not clean.modified
