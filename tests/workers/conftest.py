"""Fixtures for the worker tests: NATS connections, in-process workers, worker requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from _nats import NatsServer
from _workerkit import PLUGINS, Call, StartWorker, connect, decode_reply, request_bytes
from nats.aio.client import Client

from hookwire.schemas import WorkerReply, subjects
from hookwire.workers import Worker


@pytest.fixture
async def nc(nats_server: NatsServer) -> AsyncIterator[Client]:
    client = await connect(nats_server.url)
    yield client
    await client.close()


@pytest.fixture
def call(nc: Client) -> Call:
    async def send(
        plugin: str,
        hook: str,
        payload: Any,
        *,
        wait: float = 5.0,
        **fields: Any,
    ) -> WorkerReply:
        data = request_bytes(plugin, hook, payload, **fields)
        msg = await nc.request(subjects.plugin_subject(plugin, hook), data, timeout=wait)
        return decode_reply(msg.data)

    return send


@pytest.fixture
async def start_worker(nats_server: NatsServer) -> AsyncIterator[StartWorker]:
    """Start an in-process Worker (own connection) for a plugin of tests/workers/plugins."""
    started: list[tuple[Worker, Client]] = []

    async def start(plugin: str, **options: Any) -> Worker:
        worker_nc = await connect(nats_server.url)
        worker = await Worker.start(worker_nc, PLUGINS / plugin, **options)
        started.append((worker, worker_nc))
        return worker

    yield start
    for worker, worker_nc in started:
        await worker.stop(timeout=5)
        await worker_nc.close()
