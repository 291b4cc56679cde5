"""schema_guard in the pipeline (a real nats-server, a router, its worker pool in its own
venv), and a malformed schema in the config as a load error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import hookwire.client
from hookwire.router import config_from_text
from hookwire.router._stack import Stack
from hookwire.router.errors import ConfigError
from hookwire.schemas import Entity

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"

CONFIG = """
plugin_dirs: [{plugins}]
plugins:
  schema_guard:
    config:
      tools:
        pay:
          input_schema: &pay
            type: object
            required: [to, amount]
            properties:
              to: {{type: string}}
              amount: {{type: number, minimum: 0}}
          output_schema: {schema}
        pay_soft: {{input_schema: *pay}}
routes:
  - entities: [tool]
    name: [pay, lookup]
    plugins: [{{name: schema_guard}}]
  - entities: [tool]
    name: pay_soft
    plugins: [{{name: schema_guard, mode: transform}}]
"""
OUTPUT = "{type: object, required: [id], properties: {id: {type: integer}}}"
LOOKUP = {"type": "object", "properties": {"q": {"type": "string", "maxLength": 5}}}


def test_a_malformed_schema_in_the_config_is_a_load_error(tmp_path: Path) -> None:
    text = CONFIG.format(plugins=PLUGINS, schema="{type: objekt, minProperties: -1}")
    with pytest.raises(ConfigError) as caught:
        config_from_text(text, file="sg.yaml", base_dir=tmp_path)
    message = str(caught.value)
    assert "plugins.schema_guard.config.tools.pay.output_schema.minProperties" in message
    assert "plugins.schema_guard.config.tools.pay.output_schema.type" in message


@pytest.fixture
async def gateway(nats_server, tmp_path: Path) -> AsyncIterator[hookwire.client.Client]:
    config = config_from_text(
        CONFIG.format(plugins=PLUGINS, schema=OUTPUT), file="sg.yaml", base_dir=tmp_path
    )
    async with (
        Stack(config, nats_url=nats_server.url, data_dir=tmp_path, router=True) as stack,
        await hookwire.client.connect(stack.url, timeout=20) as client,
    ):
        yield client


@pytest.mark.integration
@pytest.mark.timeout(300)
async def test_schema_guard_blocks_listing_every_path_and_warns_in_transform_mode(
    gateway: hookwire.client.Client,
) -> None:
    ok = await gateway.tool_pre_invoke("pay", {"to": "bob", "amount": 3}, request_id="r1")
    assert ok.decision == "allow", ok.error

    bad = await gateway.tool_pre_invoke("pay", {"to": 7, "amount": -1})
    assert bad.decision == "block"
    assert bad.violation is not None and bad.violation.code == "schema_violation"
    assert [e["path"] for e in bad.violation.details["errors"]] == ["$.amount", "$.to"]

    result = await gateway.tool_post_invoke("pay", {"id": "x"}, request_id="r1")
    assert result.decision == "block"
    assert result.violation is not None
    assert result.violation.details["field"] == "result"

    soft = await gateway.tool_pre_invoke("pay_soft", {"amount": "x"})
    assert soft.decision == "allow"  # transform mode: the block becomes a warning
    [warning] = soft.warnings
    assert warning.plugin == "schema_guard"
    assert warning.violation is not None
    assert [e["path"] for e in warning.violation.details["errors"]] == ["$", "$.amount"]

    entity = Entity(type="tool", name="lookup", metadata={"input_schema": LOOKUP})
    sent = await gateway.invoke(
        "tool_pre_invoke", {"name": "lookup", "args": {"q": "too long"}}, entity=entity
    )
    assert sent.decision == "block"
    assert sent.violation is not None
    assert sent.violation.details["schema_source"] == "entity"
