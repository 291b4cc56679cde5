"""Starting a production router with an unproven plugin logs a structured warning."""

from __future__ import annotations

from pathlib import Path

import pytest
from _nats import NatsServer
from structlog.testing import capture_logs

from hookwire.router.pipeline._service import Router
from hookwire.service import connect

from ._kit import load, write_plugin

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


async def test_a_production_router_logs_plugin_maturity_warning_at_start(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    write_plugin(tmp_path / "plugins", "almost", maturity="beta")
    write_plugin(tmp_path / "plugins", "solid")
    config = load(tmp_path, {"almost": {}, "solid": {}}, "production")
    nc = await connect(nats_server.url, "test-maturity")
    router = Router(nc, config)
    try:
        with capture_logs() as logs:
            await router.start()
    finally:
        await router.drain()
        await nc.close()

    assert [log for log in logs if log["event"] == "plugin.maturity.warning"] == [
        {
            "event": "plugin.maturity.warning",
            "log_level": "warning",
            "plugin": "almost",
            "kind": "almost",
            "level": "beta",
            "environment": "production",
            "replacement": None,
        }
    ]


async def test_a_development_router_logs_no_maturity_warning(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    write_plugin(tmp_path / "plugins", "almost", maturity="beta")
    config = load(tmp_path, {"almost": {}}, "development")
    nc = await connect(nats_server.url, "test-maturity")
    router = Router(nc, config)
    try:
        with capture_logs() as logs:
            await router.start()
    finally:
        await router.drain()
        await nc.close()

    assert "plugin.maturity.warning" not in [log["event"] for log in logs]
    assert "router.started" in [log["event"] for log in logs]
