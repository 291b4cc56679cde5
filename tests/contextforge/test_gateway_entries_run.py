"""A ContextForge plugins entry (`kind: package.module.Class`) runs on hookwire as it is:
its venv gets the PyPI distribution, the worker hosts the cpex class unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from hookwire import client as hw
from hookwire.router import load_config
from hookwire.router._stack import Stack
from hookwire.router.pools._generated import GENERATED_DIR

#: Each event's budget. The first event sets up every plugin instance in its worker
#: (cpex imports, model building), which on a loaded 2-core CI machine took ~19 s of
#: a 20 s budget once; these tests compare answers, not latency.
EVENT_BUDGET = 120.0

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

GATEWAY_STYLE = """\
plugins:
  - name: "PIIFilterPlugin"
    kind: "cpex_pii_filter.PIIFilterPlugin"
    version: "0.3.9"
    hooks: ["tool_pre_invoke"]
    mode: "enforce"
    priority: 50
    conditions:
      - tools: ["send"]
    config:
      redaction_text: "{{ env.HOOKWIRE_TEST_MASK | default('[PII]') }}"
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    folder = tmp_path_factory.mktemp("gateway-style")
    path = folder / "config.yaml"
    path.write_text(GATEWAY_STYLE)
    async with Stack(load_config(path), data_dir=folder / "data", ready_timeout=600) as started:
        yield started


async def test_the_cpex_class_masks_on_the_tools_its_conditions_name(stack: Stack) -> None:
    async with await hw.connect(
        stack.url, timeout=EVENT_BUDGET, auth=stack.auth_for("gateway")
    ) as gateway:
        result = await gateway.tool_pre_invoke("send", {"to": "alice@example.com"})
    assert result.decision == "allow", result.error
    assert result.payload.args == {"to": "[PII]"}


async def test_other_tools_pass_untouched(stack: Stack) -> None:
    async with await hw.connect(
        stack.url, timeout=EVENT_BUDGET, auth=stack.auth_for("gateway")
    ) as gateway:
        result = await gateway.tool_pre_invoke("other", {"to": "alice@example.com"})
    assert result.decision == "allow", result.error
    assert result.payload.args == {"to": "alice@example.com"}
    assert result.trace == []


async def test_its_plugin_folder_is_written_under_the_data_dir(stack: Stack) -> None:
    manifest = stack.data_dir / GENERATED_DIR / "PIIFilterPlugin" / "plugin-manifest.yaml"
    text = manifest.read_text()
    assert "requirement: cpex-pii-filter==0.3.9" in text
    assert "kind: cpex_pii_filter.PIIFilterPlugin" in text
