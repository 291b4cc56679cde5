"""The fire_and_forget streams and each instance's durable consumer, made by the router
as soon as a config naming the instance is live (not by the first worker), so calls made
while no worker runs are kept."""

from __future__ import annotations

from collections.abc import Iterator

import nats.errors
import nats.js.errors
import structlog
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.client import JetStreamContext

from hookwire.router._jetstream import ensure_stream
from hookwire.router.config._load import Config
from hookwire.router.config._model import FireAndForgetSettings
from hookwire.router.routing._instances import PluginInstance
from hookwire.router.routing._modes import Mode
from hookwire.schemas import subjects

log = structlog.get_logger("hookwire.delivery")

#: Consumer metadata keys a worker reads its retry policy from.
MAX_DELIVER_KEY = "hookwire_max_deliver"
BACKOFF_KEY = "hookwire_backoff"


def ff_instances(config: Config) -> Iterator[PluginInstance]:
    """Every fire_and_forget instance any rule of ``config`` attaches (each once)."""
    seen: set[str] = set()
    for rule in config.rules:
        for att in rule.attachments:
            inst = att.instance
            if inst.mode is Mode.FIRE_AND_FORGET and inst.id not in seen:
                seen.add(inst.id)
                yield inst


async def ensure_ff_streams(js: JetStreamContext, settings: FireAndForgetSettings) -> None:
    age = settings.max_age_seconds
    await ensure_stream(
        js,
        StreamConfig(
            name=subjects.FF_STREAM,
            description="hookwire fire_and_forget calls until a worker acknowledges them",
            subjects=[f"{subjects.FF_PREFIX}.>"],
            retention=RetentionPolicy.WORK_QUEUE,
            storage=StorageType.FILE,
            max_age=age,
        ),
    )
    await ensure_stream(
        js,
        StreamConfig(
            name=subjects.FF_DEAD_STREAM,
            description="hookwire fire_and_forget calls that failed every delivery",
            subjects=[f"{subjects.FF_DEAD_PREFIX}.>"],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=age,
        ),
    )


def consumer_config(inst: PluginInstance, settings: FireAndForgetSettings) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=subjects.ff_consumer(inst.worker, inst.id),
        description=f"fire_and_forget calls of {inst.plugin} ({inst.id})",
        filter_subject=subjects.ff_instance_filter(inst.worker, inst.id),
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=settings.ack_wait,
        # the worker dead-letters after max_deliver tries; the server never gives up
        # on its own, so a worker that dies during the last try does not lose the call
        max_deliver=-1,
        metadata={
            MAX_DELIVER_KEY: str(settings.max_deliver),
            BACKOFF_KEY: ",".join(f"{b:g}" for b in settings.backoff),
        },
    )


async def ensure_ff_consumers(js: JetStreamContext, config: Config) -> list[str]:
    """The streams and one durable consumer per fire_and_forget instance of ``config``.

    Returns the consumer names; raises nats-py's errors when JetStream is unavailable.
    """
    settings = config.settings.fire_and_forget
    instances = list(ff_instances(config))
    if not instances:
        return []
    await ensure_ff_streams(js, settings)
    names = []
    for inst in instances:
        cfg = consumer_config(inst, settings)
        try:
            await js.add_consumer(subjects.FF_STREAM, cfg)
        except nats.js.errors.BadRequestError as exc:  # a changed policy: update it
            log.info("delivery.consumer.update", consumer=cfg.durable_name, reason=str(exc))
            await js.delete_consumer(subjects.FF_STREAM, cfg.durable_name or "")
            await js.add_consumer(subjects.FF_STREAM, cfg)
        names.append(cfg.durable_name or "")
    log.info("delivery.consumers.ready", consumers=names)
    return names
