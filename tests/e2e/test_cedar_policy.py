"""cedar_policy in the pipeline: real worker processes in the plugin's venv (with cedarpy)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _nats import NatsServer

import hookwire.client
from hookwire.router import config_from_text
from hookwire.router._stack import Stack
from hookwire.router.cli._up import render_status
from hookwire.router.live._discovery import collect_stats
from hookwire.router.live._status import summarize
from hookwire.schemas import HttpAuthCheckPermissionResultPayload

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"

POLICIES = """
@id("safe-tools")
permit(principal, action == Action::"tool_pre_invoke", resource is Tool)
  when { resource.tags.contains("safe") };

@id("no-etc")
forbid(principal, action, resource) when { context has path && context.path like "/etc/*" };

@id("grant-read")
permit(principal, action == Action::"http_auth_check_permission",
       resource == Permission::"tools.read");
"""
BROKEN = """permit(principal, action, resource);
@id("broken")
forbid(principal, action, resource)
  when { context.x like };"""


def config(tmp_path: Path, **plugins: Any) -> Any:
    doc = {
        "plugin_dirs": [str(PLUGINS)],
        "plugins": {name: {"kind": "cedar_policy", "config": c} for name, c in plugins.items()},
        "routes": [
            {"entities": ["tool"], "plugins": [{"name": name} for name in plugins]},
            {"hooks": ["http_auth_check_permission"], "plugins": [{"name": "cedar"}]},
        ],
    }
    return config_from_text(json.dumps(doc), file="cedar.yaml", base_dir=tmp_path)


@pytest.mark.integration
async def test_cedar_allows_denies_and_reports_a_broken_policy_set(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    cfg = config(tmp_path, cedar={"policies": POLICIES})
    async with (
        Stack(cfg, nats_url=nats_server.url, data_dir=tmp_path, router=True) as stack,
        await hookwire.client.connect(stack.url, timeout=30) as gateway,
    ):
        ok = await gateway.tool_pre_invoke(
            "read_file", {"path": "/tmp/a"}, user="alice", tags=["safe"]
        )
        denied = await gateway.tool_pre_invoke(
            "read_file", {"path": "/etc/shadow"}, user="alice", tags=["safe"]
        )
        untagged = await gateway.tool_pre_invoke("rm", {"path": "/tmp/a"}, user="alice")
        grant = await gateway.http_auth_check_permission("alice@x.io", "tools.read")
        refused = await gateway.http_auth_check_permission("alice@x.io", "tools.write")
    assert ok.decision == "allow", ok.error
    assert denied.decision == "block" and denied.violation is not None
    assert denied.violation.code == "CEDAR_DENY"
    assert denied.violation.http_status_code == 403
    assert denied.violation.details["policies"] == ["no-etc"]
    assert untagged.decision == "block"
    assert untagged.violation is not None and untagged.violation.details["policies"] == []
    assert grant.decision == "allow", grant.error
    assert grant.result == HttpAuthCheckPermissionResultPayload(
        granted=True, reason="permitted by policy grant-read"
    )
    assert grant.decided_by == ["cedar"]
    assert refused.decision == "block"
    assert refused.violation is not None and refused.violation.code == "CEDAR_DENY"


@pytest.mark.integration
async def test_an_invalid_policy_fails_the_instance_with_its_position(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    cfg = config(tmp_path, cedar={"policies": BROKEN})
    async with (
        Stack(cfg, nats_url=nats_server.url, data_dir=tmp_path, router=True) as stack,
        await hookwire.client.connect(stack.url, timeout=30) as gateway,
    ):
        result = await gateway.tool_pre_invoke("t", {}, user="alice")
        status = render_status(summarize(await collect_stats(gateway.nc), []))
    assert result.decision != "allow"
    errors = [r.error or "" for r in result.trace]
    wanted = 'CedarConfigError: policies:2:1: policy 2 (@id "broken") does not parse'
    assert any(wanted in e for e in errors), errors
    failed = [line for line in status if "FAILED" in line]  # hookwire status shows it
    assert len(failed) == 1 and wanted in failed[0], status
