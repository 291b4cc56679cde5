"""The grants that came after the roles: healing (issue 10), plugin state (issue 13), and
the record stream. Each allowed use works end to end on a server with the roles, and
the same use by the wrong role is refused."""

from __future__ import annotations

import asyncio

import nats.errors
import nats.js.errors
import pytest
from nats.aio.msg import Msg
from nats.js.api import StreamConfig

from hookwire.schemas import subjects
from hookwire.service import connect

from ._abuse import _settle, rogue
from .conftest import Secured

P, Q = "echo_upper", "other"


async def test_a_supervisors_exit_notice_reaches_the_router_and_a_gateway_cannot_fake_one(
    secured_nats: Secured,
) -> None:
    url = secured_nats.url
    router = await connect(url, "router", auth=secured_nats.auth("router"))
    supervisor = await connect(url, "supervisor", auth=secured_nats.auth("supervisor"))
    gateway = await rogue(url, secured_nats.auth("gateway"), "fake-supervisor")
    got: asyncio.Queue[Msg] = asyncio.Queue()

    async def heard(msg: Msg) -> None:
        await got.put(msg)

    await router.subscribe(subjects.worker_exited("*"), cb=heard)
    await router.flush()
    try:
        await gateway.nc.publish(subjects.worker_exited(P), b"fake")
        await _settle(gateway)
        await supervisor.publish(subjects.worker_exited(P), b"real")
        msg = await asyncio.wait_for(got.get(), 10)
        assert msg.data == b"real"  # the gateway's came first, and never arrived
        assert gateway.refused
    finally:
        for nc in (router, supervisor, gateway.nc):
            await nc.close()


async def test_a_router_asks_a_pool_what_it_holds_and_a_worker_hears_only_its_own_plugin(
    secured_nats: Secured,
) -> None:
    url = secured_nats.url
    router = await connect(url, "router", auth=secured_nats.auth("router"))
    worker = await connect(url, "worker", auth=secured_nats.auth(f"worker-{P}"))
    rogue_worker = await rogue(url, secured_nats.auth(f"worker-{P}"), "rogue-worker")

    async def holding(msg: Msg) -> None:
        await msg.respond(b'{"replies": []}')

    await worker.subscribe(subjects.worker_inflight(P), cb=holding)
    await worker.flush()
    try:
        reply = await router.request(subjects.worker_inflight(P), b"", timeout=10)
        assert reply.data == b'{"replies": []}'
        await rogue_worker.nc.subscribe(subjects.worker_inflight(Q))
        await _settle(rogue_worker)
        assert rogue_worker.refused
    finally:
        for nc in (router, worker, rogue_worker.nc):
            await nc.close()


async def test_a_worker_uses_its_plugins_state_bucket_and_no_other(secured_nats: Secured) -> None:
    worker = await connect(secured_nats.url, "worker", auth=secured_nats.auth(f"worker-{P}"))
    js = worker.jetstream(timeout=2)
    try:
        kv = await js.create_key_value(bucket=subjects.plugin_bucket(P))
        await kv.put("count", b"1")
        assert (await kv.get("count")).value == b"1"
        with pytest.raises((nats.errors.TimeoutError, nats.js.errors.Error)):
            await js.create_key_value(bucket=subjects.plugin_bucket(Q))
    finally:
        await worker.close()


async def test_the_recorder_stores_reads_and_follows_records_and_a_gateway_cannot(
    secured_nats: Secured,
) -> None:
    url = secured_nats.url
    router = await connect(url, "router", auth=secured_nats.auth("router"))
    recorder = await connect(url, "recorder", auth=secured_nats.auth("recorder"))
    gateway = await rogue(url, secured_nats.auth("gateway"), "rogue-reader")
    subject = f"{subjects.RECORD_PREFIX}.tool_pre_invoke"
    live: asyncio.Queue[Msg] = asyncio.Queue()

    async def tailed(msg: Msg) -> None:
        await live.put(msg)

    try:  # the router makes the stream (it records), the recorder uses it
        await router.jetstream().add_stream(
            StreamConfig(name=subjects.RECORD_STREAM, subjects=[f"{subjects.RECORD_PREFIX}.>"])
        )
        await recorder.subscribe(f"{subjects.RECORD_PREFIX}.>", cb=tailed)  # tail
        js = recorder.jetstream(timeout=5)
        await js.publish(subject, b"one", stream=subjects.RECORD_STREAM)  # import
        assert (await asyncio.wait_for(live.get(), 10)).data == b"one"
        sub = await js.pull_subscribe(subject, stream=subjects.RECORD_STREAM)  # export
        (msg,) = await sub.fetch(1, timeout=5)
        await msg.ack()
        assert msg.data == b"one"
        await gateway.nc.subscribe(f"{subjects.RECORD_PREFIX}.>")
        await _settle(gateway)
        assert gateway.refused
    finally:
        for nc in (router, recorder, gateway.nc):
            await nc.close()
