"""A plugin's shared state: the worker hands it its NATS connection and its own bucket."""

from __future__ import annotations

import pytest
from _workerkit import Call, StartWorker
from nats.aio.client import Client

from hookwire.schemas import subjects
from hookwire.workers import Plugin

pytestmark = pytest.mark.integration


async def test_a_plugin_gets_its_own_bucket_shared_by_its_workers(
    start_worker: StartWorker, call: Call, nc: Client
) -> None:
    await start_worker("counter")
    await start_worker("counter")
    counts = [(await call("counter", "tool_pre_invoke", {"name": "t"})).metadata for _ in range(4)]
    assert counts == [{"count": n, "plugin": "counter"} for n in range(1, 5)]
    kv = await nc.jetstream().key_value(subjects.plugin_bucket("counter"))
    assert (await kv.get("calls")).value == b"4"
    await nc.jetstream().delete_key_value(subjects.plugin_bucket("counter"))


async def test_key_value_outside_a_worker_says_why() -> None:
    with pytest.raises(RuntimeError, match="needs a worker"):
        await Plugin({}).key_value()


def test_the_bucket_and_its_subjects_are_named_after_the_plugin() -> None:
    assert subjects.plugin_bucket("rate_limiter") == "hookwire-state-rate_limiter"
    assert "$KV.hookwire-state-rate_limiter.>" in subjects.plugin_bucket_subjects("rate_limiter")


class _Picky:
    def __init__(self, config: dict[str, object]) -> None:
        if config.get("bad"):
            raise ValueError("policies:2:1: nope")


async def test_a_failed_instance_is_listed_until_it_works() -> None:
    import msgspec

    from hookwire.workers._instances import Instances

    instances = Instances("picky", _Picky)
    with pytest.raises(ValueError):
        await instances.acquire("i1", msgspec.Raw(b'{"bad": true}'))
    assert instances.failed == {"i1": "ValueError: policies:2:1: nope"}
    inst = await instances.acquire("i1", msgspec.Raw(b"{}"))
    instances.release(inst)
    assert instances.failed == {}
