"""The embedded nats-server of `hookwire up`: starts on loopback with JetStream, stops clean."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import nats
import pytest
from nats.js.api import StorageType

from hookwire.router.errors import EmbeddedNatsError
from hookwire.router.pools._embedded import EmbeddedNats

pytestmark = pytest.mark.integration


def _can_bind(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            return False
        return True


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_serves_on_loopback_with_jetstream_in_data_dir(tmp_path: Path) -> None:
    async with EmbeddedNats(tmp_path) as server:
        nc = await nats.connect(server.url, connect_timeout=2, allow_reconnect=False)
        try:
            js = nc.jetstream()
            await js.add_stream(name="EMB", subjects=["emb.>"], storage=StorageType.FILE)
            ack = await js.publish("emb.one", b"kept")
            msg = await js.get_msg("EMB", seq=ack.seq)
        finally:
            await nc.close()
        url, port = server.url, server.port

    assert url == f"nats://127.0.0.1:{port}"
    assert port != 4222
    assert msg.data == b"kept"
    assert list(tmp_path.glob("nats/jetstream/*/streams/EMB"))


async def test_stop_ends_the_process_and_frees_the_port(tmp_path: Path) -> None:
    server = EmbeddedNats(tmp_path)
    await server.start()
    pid, port = server.pid, server.port
    assert pid is not None
    held = _can_bind(port)
    await server.stop()

    assert not held
    assert not server.running
    assert not _process_exists(pid)
    assert _can_bind(port)


async def test_restart_keeps_jetstream_data(tmp_path: Path) -> None:
    async with EmbeddedNats(tmp_path) as server:
        nc = await nats.connect(server.url, allow_reconnect=False)
        js = nc.jetstream()
        await js.add_stream(name="KEEP", subjects=["keep"], storage=StorageType.FILE)
        await js.publish("keep", b"survives")
        await nc.close()

    async with EmbeddedNats(tmp_path) as server:
        nc = await nats.connect(server.url, allow_reconnect=False)
        try:
            msg = await nc.jetstream().get_msg("KEEP", seq=1)
        finally:
            await nc.close()
    assert msg.data == b"survives"


async def test_start_fails_with_the_servers_output_when_it_dies(tmp_path: Path) -> None:
    fake = tmp_path / "nats-server"
    fake.write_text("#!/bin/sh\necho 'boom: cannot listen' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    server = EmbeddedNats(tmp_path / "data", binary=fake)

    with pytest.raises(EmbeddedNatsError, match=r"(?s)exited with code 3.*boom: cannot listen"):
        await server.start()
    assert not server.running


async def test_url_before_start_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedNatsError, match="not been started"):
        _ = EmbeddedNats(tmp_path).url
