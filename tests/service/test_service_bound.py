"""hookwire.service.Service runs requests concurrently, never more than max_concurrency."""

from __future__ import annotations

import asyncio

import nats
import pytest
from nats.aio.msg import Msg

from hookwire.service import Service


@pytest.mark.integration
async def test_requests_overlap_up_to_max_concurrency_and_no_further(nats_server) -> None:
    server_nc = await nats.connect(nats_server.url)
    client_nc = await nats.connect(nats_server.url)
    running, peak = 0, 0

    async def handler(msg: Msg) -> bytes:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        return b"ok"

    service = Service(server_nc, name="bound-test", version="1.0.0", max_concurrency=3)
    await service.start()
    await service.add_endpoint("e", "test.bound", "q", handler, lambda exc: b"error")
    try:
        replies = await asyncio.gather(
            *(client_nc.request("test.bound", b"", timeout=5) for _ in range(12))
        )
    finally:
        await service.drain()
        await server_nc.close()
        await client_nc.close()
    assert [r.data for r in replies] == [b"ok"] * 12
    assert peak == 3
