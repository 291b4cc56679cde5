"""rate_limiter in the pipeline: one limit across a pool of worker processes, in NATS."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from _nats import NatsServer
from nats.micro.service import ServiceVerb

import hookwire.client
from hookwire.router import config_from_text
from hookwire.router._stack import Stack
from hookwire.router.live._discovery import collect
from hookwire.schemas import subjects

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
EVENTS = 100


def config_text(tmp_path: Path, **rate_config: Any) -> Any:
    doc = {
        "plugin_dirs": [str(PLUGINS)],
        "plugins": {"rate_limiter": {"workers": 2, "config": rate_config}},
        "routes": [{"entities": ["tool", "prompt"], "plugins": [{"name": "rate_limiter"}]}],
    }
    return config_from_text(json.dumps(doc), file="rate.yaml", base_dir=tmp_path)


async def away_from_a_minute_boundary(margin: float = 10.0) -> None:
    """Wait until ``margin`` seconds of the current minute are left: a fixed window that
    turned over during the burst would rightly admit a second 30."""
    while 60 - time.time() % 60 < margin:
        await asyncio.sleep(0.2)


@pytest.mark.integration
async def test_two_workers_admit_exactly_the_limit_of_100_concurrent_events(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    config = config_text(tmp_path, by_user="30/m", by_tenant=None)
    user = f"burst-{uuid.uuid4().hex}@example.com"
    pool = subjects.worker_service("rate_limiter")
    async with (
        Stack(config, nats_url=nats_server.url, data_dir=tmp_path, router=True) as stack,
        await hookwire.client.connect(stack.url, timeout=30) as gateway,
    ):
        await away_from_a_minute_boundary()
        results = await asyncio.gather(
            *(gateway.tool_pre_invoke("search", {"q": i}, user=user) for i in range(EVENTS))
        )
        stats = await collect(gateway.nc, ServiceVerb.STATS, pool)
    decisions = [r.decision for r in results]
    assert decisions.count("allow") == 30, [r.error for r in results if r.error][:3]
    assert decisions.count("block") == EVENTS - 30
    served = [e["num_requests"] for s in stats for e in s["endpoints"]]
    assert len(served) == 2 and all(n > 0 for n in served), served  # both workers counted
    violation = next(r.violation for r in results if r.blocked)
    assert violation is not None
    assert (violation.code, violation.http_status_code) == ("RATE_LIMIT", 429)
    assert violation.http_headers is not None
    assert violation.http_headers["X-RateLimit-Limit"] == "30"
    assert int(violation.http_headers["Retry-After"]) >= 1
    assert violation.details["retry_delay_ms"] > 0


@pytest.mark.integration
@pytest.mark.parametrize(("fail_mode", "decision"), [("closed", "block"), ("open", "allow")])
async def test_without_jetstream_the_fail_mode_decides(
    tmp_path: Path, fail_mode: str, decision: str
) -> None:
    config = config_text(tmp_path, by_user="30/m", fail_mode=fail_mode)
    with NatsServer(tmp_path / "nats", jetstream=False) as server:
        async with (
            Stack(config, nats_url=server.url, data_dir=tmp_path, router=True) as stack,
            await hookwire.client.connect(stack.url, timeout=30) as gateway,
        ):
            result = await gateway.tool_pre_invoke("search", {"q": 1}, user="u@example.com")
    assert result.decision == decision, result.error
    if fail_mode == "closed":
        assert result.violation is not None
        assert (result.violation.code, result.violation.http_status_code) == (
            "BACKEND_UNAVAILABLE",
            503,
        )
        assert "state bucket" in result.violation.details["error"]
    else:
        assert result.trace[0].status == "completed"
