"""The nats-server fixtures give a real, reachable server with JetStream."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import nats
import pytest
from _nats import HOST, SYSTEM_NATS_PORT, NatsServer
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import StorageType

pytestmark = pytest.mark.integration


async def _connect(url: str) -> Client:
    return await nats.connect(url, connect_timeout=2, allow_reconnect=False)


@pytest.fixture
async def nc(nats_server: NatsServer) -> AsyncIterator[Client]:
    client = await _connect(nats_server.url)
    yield client
    await client.close()


def test_server_listens_on_loopback_not_system_port(nats_server: NatsServer) -> None:
    """The fixture's server has its own port, never the system NATS on 4222."""
    assert nats_server.port != SYSTEM_NATS_PORT
    assert nats_server.url == f"nats://{HOST}:{nats_server.port}"


async def test_request_reply_round_trip(nc: Client) -> None:
    async def echo(msg: Msg) -> None:
        await msg.respond(b"echo:" + msg.data)

    sub = await nc.subscribe("fixture.echo", cb=echo)
    reply = await nc.request("fixture.echo", b"ping", timeout=2)
    await sub.unsubscribe()
    assert reply.data == b"echo:ping"


async def test_jetstream_is_enabled(nc: Client) -> None:
    """account_info() raises unless JetStream is on for the account."""
    info = await nc.jetstream().account_info()
    assert info.limits.max_streams != 0


async def test_jetstream_stores_files_in_store_dir(nc: Client, nats_server: NatsServer) -> None:
    js = nc.jetstream()
    await js.add_stream(name="FIXTURE_STORE", subjects=["fixture.store"], storage=StorageType.FILE)
    try:
        ack = await js.publish("fixture.store", b"kept")
        assert ack.stream == "FIXTURE_STORE"
        stream_dirs = list(nats_server.store_dir.glob("jetstream/*/streams/FIXTURE_STORE"))
        assert len(stream_dirs) == 1
    finally:
        await js.delete_stream("FIXTURE_STORE")


def _accepts_tcp(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0):
            return True
    except OSError:
        return False


async def test_stop_then_start_serves_again_on_same_port(fresh_nats_server: NatsServer) -> None:
    port = fresh_nats_server.port
    fresh_nats_server.stop()
    down = _accepts_tcp(port)
    fresh_nats_server.start()

    assert not down
    assert fresh_nats_server.port == port
    nc = await _connect(fresh_nats_server.url)
    try:
        assert nc.is_connected
        assert nc.connected_url is not None
        assert nc.connected_url.port == port
    finally:
        await nc.close()


async def test_restart_keeps_jetstream_data(fresh_nats_server: NatsServer) -> None:
    nc = await _connect(fresh_nats_server.url)
    js = nc.jetstream()
    await js.add_stream(name="KEPT", subjects=["kept.>"], storage=StorageType.FILE)
    await js.publish("kept.one", b"survives restarts")
    await nc.close()

    fresh_nats_server.stop()
    fresh_nats_server.start()

    nc = await _connect(fresh_nats_server.url)
    try:
        msg = await nc.jetstream().get_msg("KEPT", seq=1)
    finally:
        await nc.close()
    assert msg.data == b"survives restarts"
