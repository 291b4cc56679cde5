"""The JetStream streams a config needs before its events flow: fire_and_forget (and
each instance's durable consumer) and, with ``plugin_settings.record``, the records."""

from __future__ import annotations

import structlog
from nats.aio.client import Client

from hookwire.router.config._load import Config
from hookwire.router.delivery._streams import ensure_ff_consumers
from hookwire.router.record._recorder import ensure_record_stream

log = structlog.get_logger("hookwire.router")


async def prepare_streams(nc: Client, config: Config) -> None:
    """Create what ``config`` needs; without JetStream, log why and carry on."""
    js = nc.jetstream(timeout=5.0)
    try:
        await ensure_ff_consumers(js, config)
    except Exception as exc:
        log.warning("delivery.unavailable", error=repr(exc), effect="fire_and_forget not durable")
    record = config.settings.record
    if record is not None and record.enabled:
        try:
            await ensure_record_stream(js, record)
        except Exception as exc:
            log.warning("record.unavailable", error=repr(exc), effect="records will fail")
