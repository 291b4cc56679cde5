"""The worker's host of cpex plugins, on a cpex plugin written here (cpex comes from the
workspace lock, as the hookwire-cpex member's dependency)."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from hookwire.schemas import RequestContext, ToolPostInvokePayload, ToolPreInvokePayload
from hookwire.workers import Block, Context, Continue
from hookwire.workers._cpex import LOCAL_STATE, host_class, package_defaults

pytest.importorskip("cpex")

PLUGIN = """
from cpex.framework import Plugin
from cpex.framework.hooks.tools import (
    ToolPostInvokePayload, ToolPostInvokeResult, ToolPreInvokePayload, ToolPreInvokeResult,
)
from cpex.framework.models import PluginViolation


class Stamp(Plugin):
    async def tool_pre_invoke(self, payload, context):
        cfg = self.config.config
        if payload.args.get("deny"):
            return ToolPreInvokeResult(
                continue_processing=False,
                violation=PluginViolation(reason="no", description="denied", code="DENY",
                                          details={"by": cfg["who"]}, http_status_code=403),
            )
        context.state["seen"] = payload.args.get("q")
        args = {**payload.args, "who": cfg["who"], "level": cfg["level"],
                "user": context.global_context.user}
        changed = ToolPreInvokePayload(name=payload.name, args=args)
        return ToolPreInvokeResult(modified_payload=changed, metadata={"stamped": True})

    async def tool_post_invoke(self, payload, context):
        result = {"pre_saw": context.state.get("seen")}
        changed = ToolPostInvokePayload(name=payload.name, result=result)
        return ToolPostInvokeResult(modified_payload=changed)
"""


@pytest.fixture
def package(tmp_path: Path) -> Iterator[str]:
    pkg = tmp_path / "cpex_stamp_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "stamp.py").write_text(textwrap.dedent(PLUGIN))
    (pkg / "plugin-manifest.yaml").write_text(
        "kind: cpex_stamp_pkg.stamp.Stamp\navailable_hooks: [tool_pre_invoke]\n"
        "default_configs:\n  who: manifest\n  level: 1\n"
    )
    sys.path.insert(0, str(tmp_path))
    yield "cpex_stamp_pkg.stamp.Stamp"
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("cpex_stamp_pkg")]:
        del sys.modules[name]


def ctx(hook: str, state: dict[str, object]) -> Context:
    return Context(
        request=RequestContext(request_id="r1", user="alice"),
        config={},
        state=state,
        instance="i",
        hook=hook,
    )


def test_package_defaults_come_from_the_shipped_manifest(package: str) -> None:
    assert package_defaults(package) == {"who": "manifest", "level": 1}


def test_a_package_without_manifest_has_no_defaults() -> None:
    assert package_defaults("json.JSONDecoder") == {}


async def test_config_over_defaults_payload_in_and_out(package: str) -> None:
    host = host_class("stamp", ("tool_pre_invoke", "tool_post_invoke"), package)({"level": 2})
    await host.setup()
    result = await host.tool_pre_invoke(  # type: ignore[attr-defined]
        ToolPreInvokePayload(name="t", args={"q": "hi"}), ctx("tool_pre_invoke", {})
    )
    assert isinstance(result, Continue)
    assert result.payload == ToolPreInvokePayload(
        name="t", args={"q": "hi", "who": "manifest", "level": 2, "user": "alice"}
    )
    assert result.metadata == {"stamped": True}


async def test_the_local_context_travels_from_pre_to_post(package: str) -> None:
    host = host_class("stamp", ("tool_pre_invoke", "tool_post_invoke"), package)({})
    await host.setup()
    state: dict[str, object] = {}
    await host.tool_pre_invoke(  # type: ignore[attr-defined]
        ToolPreInvokePayload(name="t", args={"q": "kept"}), ctx("tool_pre_invoke", state)
    )
    assert state == {LOCAL_STATE: {"seen": "kept"}}
    result = await host.tool_post_invoke(  # type: ignore[attr-defined]
        ToolPostInvokePayload(name="t", result=None), ctx("tool_post_invoke", state)
    )
    assert isinstance(result, Continue)
    assert result.payload == ToolPostInvokePayload(name="t", result={"pre_saw": "kept"})


async def test_a_violation_becomes_a_block_with_every_field(package: str) -> None:
    host = host_class("stamp", ("tool_pre_invoke",), package)({})
    await host.setup()
    result = await host.tool_pre_invoke(  # type: ignore[attr-defined]
        ToolPreInvokePayload(name="t", args={"deny": True}), ctx("tool_pre_invoke", {})
    )
    assert result == Block(
        "no", code="DENY", description="denied", details={"by": "manifest"}, http_status_code=403
    )
