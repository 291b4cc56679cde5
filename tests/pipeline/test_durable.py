"""Durable fire_and_forget (issue 11): redelivery with backoff, dead letters, and the
consumer made by the router, not by the first worker."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nats.js.errors
from nats.js.api import ConsumerInfo

from hookwire.router import load_config
from hookwire.router.cli._up import render_status
from hookwire.router.live._discovery import collect_stats
from hookwire.router.live._status import summarize
from hookwire.schemas import subjects

from ._kit import Deploy, read_log, rec, started_tags, wait_until, write_config

FAST_RETRY = {"fire_and_forget": {"max_deliver": 3, "backoff": [0.05]}}


async def test_a_failed_call_is_delivered_again_with_its_delivery_count(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy([rec("ff", log, mode="fire_and_forget", fail_until=3)], settings=FAST_RETRY)

    result = await dep.tool()
    await wait_until(lambda: len(started_tags(log)) == 3, 10, "the third delivery")
    worker, _ = dep.workers["recorder"]
    assert worker.durable is not None
    await wait_until(lambda: worker.durable.counts["acked"] == 1, 10, "the call is acked")

    starts = [line for line in read_log(log) if line["event"] == "start"]
    assert [s["delivery"] for s in starts] == [1, 2, 3]
    assert {s["request_id"] for s in starts} == {result.request_id}
    assert worker.durable.counts["retried"] == 2
    assert worker.durable.counts["dead_letters"] == 0


async def test_a_call_that_always_fails_goes_to_the_dead_letters_after_max_deliver(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy([rec("ff", log, mode="fire_and_forget", fail=True)], settings=FAST_RETRY)

    await dep.tool()
    worker, nc = dep.workers["recorder"]
    assert worker.durable is not None
    await wait_until(lambda: worker.durable.counts["dead_letters"] == 1, 10, "a dead letter")
    js = nc.jetstream()
    inst = dep.ids[0]
    dead = await js.get_last_msg(
        subjects.FF_DEAD_STREAM, subjects.ff_dead_subject("recorder", inst, "tool_pre_invoke")
    )

    assert [s["delivery"] for s in read_log(log) if s["event"] == "start"] == [1, 2, 3]
    assert dead.headers is not None
    assert dead.headers["Hookwire-Deliveries"] == "3"
    assert "told to fail" in dead.headers["Hookwire-Error"]


async def test_status_shows_dead_letters_and_recording_counts(deploy: Deploy, log: Path) -> None:
    settings = {**FAST_RETRY, "record": True}
    dep = await deploy([rec("ff", log, mode="fire_and_forget", fail=True)], settings=settings)

    await dep.tool()
    worker, _ = dep.workers["recorder"]
    assert worker.durable is not None
    await wait_until(lambda: worker.durable.counts["dead_letters"] == 1, 10, "a dead letter")
    await wait_until(lambda: dep.router.recorder.counts["written"] == 1, 10, "a record")
    report = summarize(await collect_stats(dep.gateway_nc), [])
    text = "\n".join(render_status(report))

    (row,) = [w for w in report["workers"] if w["plugin"] == "recorder"]
    assert row["dead_letters"] == 1
    assert "1 dead letter" in text and "1 dead letters" not in text  # singular counts
    assert "record (full): 1 written, 0 failed, 0 dropped" in text
    assert "fire_and_forget: stored 1" in text


async def test_the_router_creates_each_instances_consumer_before_any_worker_runs(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy([rec("ff", log, mode="fire_and_forget")], without=("recorder",))

    js = dep.router_nc.jetstream()
    inst = dep.ids[0]
    info: ConsumerInfo = await js.consumer_info(
        subjects.FF_STREAM, subjects.ff_consumer("recorder", inst)
    )

    assert info.config.filter_subject == subjects.ff_instance_filter("recorder", inst)
    assert dep.router.stats().fire_and_forget == {}


async def test_a_reload_that_adds_a_fire_and_forget_instance_creates_its_consumer(
    deploy: Deploy, log: Path, tmp_path: Path
) -> None:
    dep = await deploy([rec("seq", log)])
    config = load_config(
        write_config(tmp_path, [rec("ff", log, mode="fire_and_forget")], name="ff.yaml")
    )
    (inst,) = [a.instance for a in config.rules[0].attachments]
    js = dep.router_nc.jetstream()

    dep.router.reload(config)

    async def exists() -> bool:
        try:
            await js.consumer_info(subjects.FF_STREAM, subjects.ff_consumer("recorder", inst.id))
        except nats.js.errors.NotFoundError:
            return False
        return True

    deadline = asyncio.get_running_loop().time() + 10
    while not await exists():
        assert asyncio.get_running_loop().time() < deadline, "no consumer after the reload"
        await asyncio.sleep(0.05)
